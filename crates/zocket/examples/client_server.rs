//! Client-server with the thread-safe draft types: a SERVER answers several CLIENTs,
//! addressing each reply by the routing id that came with the request.

use zocket::blocking::{Client, Server};

fn main() -> zocket::Result<()> {
    let server = Server::new()?;
    let endpoint = server.bind("tcp://127.0.0.1:*")?;
    let worker = std::thread::spawn(move || -> zocket::Result<()> {
        for _ in 0..3 {
            let (client, request) = server.recv()?;
            let reply = format!("Hello, {}!", String::from_utf8_lossy(&request));
            server.send(client, reply)?;
        }
        Ok(())
    });
    for name in ["alice", "bob", "carol"] {
        let client = Client::new()?;
        client.connect(&endpoint)?;
        client.send(name)?;
        println!("{name} got {:?}", String::from_utf8_lossy(&client.recv()?));
    }
    worker.join().expect("server thread")?;
    Ok(())
}
