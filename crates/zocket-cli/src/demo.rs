//! `zocket demo`: the whole system on loopback, in one process, with a verdict.
//!
//! Each model (client-server, request-response, publish-subscribe) and each
//! topology (point-to-point, one-to-many, many-to-many) runs over real TCP
//! connections on 127.0.0.1 and checks what arrives.

use std::process::ExitCode;
use std::time::Duration;

use zocket::{Dealer, Message, Pair, Pub, Pull, Push, Rep, Req, Result, Router, Sub};

const WAIT: Duration = Duration::from_secs(5);

fn text(m: &Message) -> String {
    m.iter()
        .map(|f| format!("{:?}", String::from_utf8_lossy(f)))
        .collect::<Vec<_>>()
        .join(" | ")
}

async fn recv_sub(sub: &Sub, publisher: &Pub, msg: &Message) -> Result<Message> {
    // Subscriptions travel asynchronously: publish until the subscriber has it.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        publisher.send(msg.clone()).await?;
        match sub.recv_timeout(Some(Duration::from_millis(20))).await {
            Ok(m) if m == *msg => return Ok(m),
            Err(e) if tokio::time::Instant::now() > deadline => return Err(e),
            _ if tokio::time::Instant::now() > deadline => return Err(zocket::Error::Timeout),
            _ => {}
        }
    }
}

/// Seed 003's exchange as client-server: a DEALER client, a ROUTER server that
/// prints what it got and answers "Hello, client!".
async fn client_server() -> Result<String> {
    let server = Router::new()?;
    let ep = server.bind("tcp://127.0.0.1:*").await?;
    let client = Dealer::new()?;
    client.connect(&ep).await?;
    client.send("Hello, server!").await?;
    let got = server.recv_timeout(Some(WAIT)).await?;
    let id = got[0].clone();
    server
        .send(Message::from_frames(vec![id, "Hello, client!".into()]))
        .await?;
    let reply = client.recv_timeout(Some(WAIT)).await?;
    Ok(format!(
        "server got {}; client got {}",
        text(&Message::single(got[1].clone())),
        text(&reply)
    ))
}

async fn request_response() -> Result<String> {
    let rep = Rep::new()?;
    let ep = rep.bind("tcp://127.0.0.1:*").await?;
    let req = Req::new()?;
    req.connect(&ep).await?;
    let mut lines = Vec::new();
    for n in 1..=3u32 {
        req.send(format!("{n} squared?")).await?;
        let q = rep.recv_timeout(Some(WAIT)).await?;
        rep.send(format!("{}", n * n)).await?;
        let a = req.recv_timeout(Some(WAIT)).await?;
        lines.push(format!("{} -> {}", text(&q), text(&a)));
    }
    Ok(lines.join("; "))
}

async fn publish_subscribe() -> Result<String> {
    let publisher = Pub::new()?;
    let ep = publisher.bind("tcp://127.0.0.1:*").await?;
    let sub = Sub::new()?;
    sub.subscribe("weather")?;
    sub.connect(&ep).await?;
    let update = Message::from_frames(vec!["weather".into(), "sunny, 21C".into()]);
    let got = recv_sub(&sub, &publisher, &update).await?;
    publisher
        .send(Message::from_frames(vec![
            "sports".into(),
            "not for us".into(),
        ]))
        .await?;
    publisher
        .send(Message::from_frames(vec![
            "weather".into(),
            "rain later".into(),
        ]))
        .await?;
    let mut next = sub.recv_timeout(Some(WAIT)).await?;
    while next == update {
        next = sub.recv_timeout(Some(WAIT)).await?;
    }
    Ok(format!(
        "subscribed \"weather\": got {} then {} (\"sports\" filtered out)",
        text(&got),
        text(&next)
    ))
}

async fn point_to_point() -> Result<String> {
    let a = Pair::new()?;
    let ep = a.bind("tcp://127.0.0.1:*").await?;
    let b = Pair::new()?;
    b.connect(&ep).await?;
    b.send("ping").await?;
    let got = a.recv_timeout(Some(WAIT)).await?;
    a.send("pong").await?;
    let back = b.recv_timeout(Some(WAIT)).await?;
    Ok(format!("PAIR {} / {}", text(&got), text(&back)))
}

async fn one_to_many() -> Result<String> {
    let push = Push::new()?;
    let ep = push.bind("tcp://127.0.0.1:*").await?;
    let mut monitor = push.monitor();
    let mut workers = Vec::new();
    for _ in 0..3 {
        let w = Pull::new()?;
        w.connect(&ep).await?;
        workers.push(w);
    }
    // Wait until all three are connected, so round-robin reaches each.
    let mut ready = 0;
    while ready < 3 {
        match tokio::time::timeout(WAIT, monitor.recv()).await {
            Ok(Some(zocket::MonitorEvent::HandshakeSucceeded { .. })) => ready += 1,
            Ok(Some(_)) => {}
            _ => break,
        }
    }
    for n in 0..30u32 {
        push.send(format!("task {n}")).await?;
    }
    let mut counts = Vec::new();
    for w in &workers {
        let mut c = 0;
        while w
            .recv_timeout(Some(Duration::from_millis(200)))
            .await
            .is_ok()
        {
            c += 1;
        }
        counts.push(c);
    }
    let total: u32 = counts.iter().sum();
    if total != 30 {
        return Err(zocket::Error::Timeout);
    }
    Ok(format!("PUSH -> 3 PULL: 30 tasks split {counts:?}"))
}

async fn many_to_many() -> Result<String> {
    // Publishers and subscribers only know the hub: an XSUB/XPUB proxy.
    let frontend = zocket::Socket::new(zocket::SocketType::XSub)?;
    let publishers_to = frontend.bind("tcp://127.0.0.1:*").await?;
    let backend = zocket::Socket::new(zocket::SocketType::XPub)?;
    let subscribers_to = backend.bind("tcp://127.0.0.1:*").await?;
    let proxy = zocket::proxy::Proxy::new(frontend, backend);
    let control = proxy.control();
    let hub = tokio::spawn(proxy.run());
    let (p1, p2) = (Pub::new()?, Pub::new()?);
    p1.connect(&publishers_to).await?;
    p2.connect(&publishers_to).await?;
    let mut subs = Vec::new();
    for _ in 0..2 {
        let s = Sub::new()?;
        s.subscribe("")?;
        s.connect(&subscribers_to).await?;
        subs.push(s);
    }
    let mut heard = 0;
    for s in &subs {
        recv_sub(s, &p1, &Message::from("from publisher 1")).await?;
        recv_sub(s, &p2, &Message::from("from publisher 2")).await?;
        heard += 2;
    }
    let forwarded = control.statistics().backend.messages_out;
    control.terminate();
    let _ = hub.await;
    Ok(format!(
        "2 PUB -> XSUB/XPUB proxy -> 2 SUB: each subscriber heard both publishers ({heard} deliveries, {forwarded} forwarded)"
    ))
}

/// Publish-subscribe over UDP: a RADIO sends datagrams to a DISH that joined one
/// group; another group's datagrams are filtered out.
async fn publish_subscribe_udp() -> Result<String> {
    let dish = zocket::Dish::new()?;
    let ep = dish.bind("udp://127.0.0.1:*").await?;
    dish.join("weather")?;
    let radio = zocket::Radio::new()?;
    radio.connect(&ep).await?;
    // Datagrams are sent at once (no handshake); a few go out in case one is lost.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        radio.send("sports", "goal").await?;
        radio.send("weather", "fog at dawn").await?;
        match dish.recv_timeout(Some(Duration::from_millis(20))).await {
            Ok((group, body)) => {
                if &group[..] != b"weather" {
                    return Err(zocket::Error::Timeout);
                }
                return Ok(format!(
                    "RADIO -> DISH over {ep}: joined \"weather\", got {:?} (\"sports\" filtered out)",
                    String::from_utf8_lossy(&body)
                ));
            }
            Err(e) if tokio::time::Instant::now() > deadline => return Err(e),
            Err(_) => {}
        }
    }
}

type Check = (
    &'static str,
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<String>>>>,
);

/// Runs every part of the demo and prints a transcript and a verdict line.
pub(crate) fn run() -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zocket: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("zocket demo: every model and topology over TCP and UDP on 127.0.0.1");
    let checks: Vec<Check> = vec![
        ("client-server", Box::pin(client_server())),
        ("request-response", Box::pin(request_response())),
        ("publish-subscribe", Box::pin(publish_subscribe())),
        ("point-to-point", Box::pin(point_to_point())),
        ("one-to-many", Box::pin(one_to_many())),
        ("many-to-many", Box::pin(many_to_many())),
        ("pub-sub over udp", Box::pin(publish_subscribe_udp())),
    ];
    let total = checks.len();
    let mut failed = 0;
    for (name, check) in checks {
        match rt.block_on(async { tokio::time::timeout(Duration::from_secs(20), check).await }) {
            Ok(Ok(line)) => println!("  ok    {name:<18} {line}"),
            Ok(Err(e)) => {
                failed += 1;
                println!("  FAIL  {name:<18} {e} ({})", e.errno_name());
            }
            Err(_) => {
                failed += 1;
                println!("  FAIL  {name:<18} timed out");
            }
        }
    }
    if failed == 0 {
        println!("verdict: PASS ({total} checks over TCP and UDP)");
        ExitCode::SUCCESS
    } else {
        println!("verdict: FAIL ({failed} of {total} checks failed)");
        ExitCode::FAILURE
    }
}
