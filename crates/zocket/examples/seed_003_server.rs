//! Seed 003's server: listens (default `tcp://127.0.0.1:8080`), accepts a client,
//! prints what it received and replies "Hello, client!". It speaks raw TCP (a
//! STREAM socket), so `telnet localhost 8080` or `nc localhost 8080` reaches it.
//!
//! ```text
//! cargo run -p zocket --example seed_003_server -- tcp://127.0.0.1:8080
//! telnet localhost 8080      # type a line; the server answers "Hello, client!"
//! ```

use zocket::blocking::Socket;
use zocket::{Message, SocketType};

fn main() -> zocket::Result<()> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://127.0.0.1:8080".into());
    let server = Socket::new(SocketType::Stream)?;
    let bound = server.bind(&endpoint)?;
    println!("listening on {bound}");
    loop {
        // Every message is [client id][bytes]; empty bytes announce a connection
        // (or a departure).
        let msg = server.recv()?;
        let (client, data) = (msg[0].clone(), msg[1].clone());
        if data.is_empty() {
            println!("client connected");
            continue;
        }
        println!(
            "Received from client: {}",
            String::from_utf8_lossy(&data).trim_end()
        );
        server.send(Message::from_frames(vec![
            client.clone(),
            "Hello, client!\r\n".into(),
        ]))?;
        println!("Sent to client: Hello, client!");
        // Close that connection, as the seed's server does, and stop.
        server.send(Message::from_frames(vec![client, bytes::Bytes::new()]))?;
        return server.close();
    }
}
