//! Seed 000's client: dials the server and writes one message. Raw TCP (STREAM), so
//! it can talk to any TCP server, including `nc -l 8899`.

use std::time::Duration;

use zocket::blocking::Socket;
use zocket::{Message, SocketType};

fn main() -> zocket::Result<()> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://127.0.0.1:8899".into());
    let client = Socket::new(SocketType::Stream)?;
    client.connect(&endpoint)?;
    // The first message is the connection notification, carrying the server's id.
    let hello = client.recv_timeout(Duration::from_secs(10))?;
    let server = hello[0].clone();
    client.send(Message::from_frames(vec![server, "Hello, server!".into()]))?;
    println!("sent: Hello, server!");
    client.close()
}
