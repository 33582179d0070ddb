//! Proxies: XSUB/XPUB many-to-many pub-sub, ROUTER/DEALER shared queue, capture,
//! pause/resume/terminate, statistics.

use std::time::Duration;

use zocket::proxy::Proxy;
use zocket::{Message, Socket, SocketType};

const T: Duration = Duration::from_secs(5);

async fn bound(t: SocketType) -> (Socket, String) {
    let s = Socket::new(t).unwrap();
    let ep = s.bind("tcp://127.0.0.1:*").await.unwrap();
    (s, ep)
}

async fn connected(t: SocketType, ep: &str) -> Socket {
    let s = Socket::new(t).unwrap();
    s.connect(ep).await.unwrap();
    s
}

#[tokio::test]
async fn xsub_xpub_hub_joins_many_publishers_to_many_subscribers() {
    let (frontend, pubs_ep) = bound(SocketType::XSub).await;
    let (backend, subs_ep) = bound(SocketType::XPub).await;
    let proxy = Proxy::new(frontend, backend);
    let control = proxy.control();
    let running = tokio::spawn(proxy.run());
    let p1 = connected(SocketType::Pub, &pubs_ep).await;
    let p2 = connected(SocketType::Pub, &pubs_ep).await;
    let s1 = connected(SocketType::Sub, &subs_ep).await;
    let s2 = connected(SocketType::Sub, &subs_ep).await;
    s1.subscribe("news").unwrap();
    s2.subscribe("news").unwrap();
    for sub in [&s1, &s2] {
        for (n, publisher) in [&p1, &p2].into_iter().enumerate() {
            let want = format!("news from {n}");
            let deadline = tokio::time::Instant::now() + T;
            loop {
                publisher.send("sports: filtered upstream").await.unwrap();
                publisher.send(want.clone()).await.unwrap();
                if let Ok(m) = sub.recv_timeout(Some(Duration::from_millis(20))).await {
                    if m[0] == want.as_bytes() {
                        break;
                    }
                    assert!(
                        m[0].starts_with(b"news"),
                        "unsubscribed topic delivered: {m:?}"
                    );
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "hub never delivered {want}"
                );
            }
        }
    }
    let stats = control.statistics();
    assert!(
        stats.frontend.messages_in > 0 && stats.backend.messages_in > 0,
        "{stats:?}"
    );
    control.terminate();
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn router_dealer_shared_queue() {
    let (frontend, clients_ep) = bound(SocketType::Router).await;
    let (backend, workers_ep) = bound(SocketType::Dealer).await;
    let proxy = Proxy::new(frontend, backend);
    let control = proxy.control();
    let running = tokio::spawn(proxy.run());
    let mut workers = Vec::new();
    for id in 0..2 {
        let w = connected(SocketType::Rep, &workers_ep).await;
        workers.push(tokio::spawn(async move {
            loop {
                let Ok(req) = w.recv().await else { return };
                let answer = format!("{} by worker {id}", String::from_utf8_lossy(&req[0]));
                if w.send(answer).await.is_err() {
                    return;
                }
            }
        }));
    }
    let client = connected(SocketType::Req, &clients_ep).await;
    for n in 0..6 {
        client.send(format!("job {n}")).await.unwrap();
        let reply = tokio::time::timeout(T, client.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            reply[0].starts_with(format!("job {n} by worker").as_bytes()),
            "{reply:?}"
        );
    }
    let stats = control.statistics();
    assert_eq!(stats.frontend.messages_in, 6);
    assert_eq!(stats.backend.messages_out, 6);
    assert_eq!(stats.backend.messages_in, 6);
    assert_eq!(stats.frontend.messages_out, 6);
    control.terminate();
    running.await.unwrap().unwrap();
    for w in workers {
        w.abort();
    }
}

#[tokio::test]
async fn capture_pause_and_resume() {
    let (frontend, in_ep) = bound(SocketType::Pull).await;
    let (backend, out_ep) = bound(SocketType::Push).await;
    let (capture, cap_ep) = bound(SocketType::Push).await;
    let tap = connected(SocketType::Pull, &cap_ep).await;
    let proxy = Proxy::new(frontend, backend).with_capture(capture);
    let control = proxy.control();
    let running = tokio::spawn(proxy.run());
    let producer = connected(SocketType::Push, &in_ep).await;
    let consumer = connected(SocketType::Pull, &out_ep).await;
    producer.send("one").await.unwrap();
    assert_eq!(
        &tokio::time::timeout(T, consumer.recv())
            .await
            .unwrap()
            .unwrap()[0][..],
        b"one"
    );
    assert_eq!(
        &tokio::time::timeout(T, tap.recv()).await.unwrap().unwrap()[0][..],
        b"one"
    );
    control.pause();
    producer.send("two").await.unwrap();
    let held = consumer
        .recv_timeout(Some(Duration::from_millis(200)))
        .await;
    assert_eq!(
        held.unwrap_err().errno_name(),
        "EAGAIN",
        "forwarded while paused"
    );
    control.resume();
    let m: Message = tokio::time::timeout(T, consumer.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&m[0][..], b"two");
    let stats = control.statistics();
    assert_eq!(stats.frontend.messages_in, 2);
    assert_eq!(stats.frontend.bytes_in, 6);
    control.terminate();
    running.await.unwrap().unwrap();
}
