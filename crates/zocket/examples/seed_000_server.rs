//! Seed 000's server: accepts one client, prints what it sent, and ends.
//!
//! ```text
//! cargo run -p zocket --example seed_000_server -- tcp://127.0.0.1:8899
//! cargo run -p zocket --example seed_000_client -- tcp://127.0.0.1:8899
//! ```

use zocket::SocketType;
use zocket::blocking::Socket;

fn main() -> zocket::Result<()> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://127.0.0.1:8899".into());
    let server = Socket::new(SocketType::Stream)?;
    let bound = server.bind(&endpoint)?;
    println!("server started on {bound}");
    loop {
        let msg = server.recv()?;
        if msg[1].is_empty() {
            continue; // the connection notification
        }
        println!("received: {}", String::from_utf8_lossy(&msg[1]));
        break;
    }
    println!("server done");
    server.close()
}
