//! Request-response (REQ/REP): a server answers each request; the client waits for
//! each answer before asking again.

use zocket::blocking::{Rep, Req};

fn main() -> zocket::Result<()> {
    let server = Rep::new()?;
    let endpoint = server.bind("tcp://127.0.0.1:*")?;
    let worker = std::thread::spawn(move || -> zocket::Result<()> {
        for _ in 0..3 {
            let request = server.recv()?;
            let n: u64 = String::from_utf8_lossy(&request[0]).parse().unwrap_or(0);
            server.send((n * n).to_string())?;
        }
        Ok(())
    });
    let client = Req::new()?;
    client.connect(&endpoint)?;
    for n in 1..=3u64 {
        client.send(n.to_string())?;
        let reply = client.recv()?;
        println!("{n} squared is {}", String::from_utf8_lossy(&reply[0]));
    }
    worker.join().expect("server thread")?;
    Ok(())
}
