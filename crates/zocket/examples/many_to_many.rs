//! Many-to-many publish-subscribe through an XSUB/XPUB proxy: two publishers and two
//! subscribers that only know the proxy's two endpoints.

use std::time::Duration;

use zocket::proxy::Proxy;
use zocket::{Pub, Socket, SocketType, Sub};

#[tokio::main]
async fn main() -> zocket::Result<()> {
    let frontend = Socket::new(SocketType::XSub)?;
    let publishers_connect_to = frontend.bind("tcp://127.0.0.1:*").await?;
    let backend = Socket::new(SocketType::XPub)?;
    let subscribers_connect_to = backend.bind("tcp://127.0.0.1:*").await?;
    let proxy = Proxy::new(frontend, backend);
    let control = proxy.control();
    let hub = tokio::spawn(proxy.run());

    let mut publishers = Vec::new();
    for _ in 0..2 {
        let p = Pub::new()?;
        p.connect(&publishers_connect_to).await?;
        publishers.push(p);
    }
    let mut subscribers = Vec::new();
    for _ in 0..2 {
        let s = Sub::new()?;
        s.subscribe("")?;
        s.connect(&subscribers_connect_to).await?;
        subscribers.push(s);
    }
    // Each subscriber must hear each publisher; publish until it has (subscriptions
    // travel through the proxy asynchronously).
    for (si, sub) in subscribers.iter().enumerate() {
        for (pi, publisher) in publishers.iter().enumerate() {
            let text = format!("hello from publisher {pi}");
            loop {
                publisher.send(text.clone()).await?;
                match sub.recv_timeout(Some(Duration::from_millis(20))).await {
                    Ok(m) if m[0] == text.as_bytes() => break,
                    _ => {}
                }
            }
            println!("subscriber {si} heard publisher {pi}");
        }
    }
    let stats = control.statistics();
    println!(
        "proxy forwarded {} messages downstream",
        stats.backend.messages_out
    );
    control.terminate();
    hub.await.expect("proxy task")?;
    Ok(())
}
