//! PUSH/PULL over TCP: load balancing, fair queueing, HWM, linger, reconnect.

use std::time::Duration;

use zocket::{Error, Message, MonitorEvent, Options, Socket, SocketType};

const T: Duration = Duration::from_secs(5);

async fn recv(s: &Socket) -> Message {
    tokio::time::timeout(T, s.recv())
        .await
        .expect("timed out")
        .unwrap()
}

/// A PUSH connected to a PULL over tcp on loopback.
async fn push_to_pull() -> (Socket, Socket) {
    let pull = Socket::new(SocketType::Pull).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let push = Socket::new(SocketType::Push).unwrap();
    push.connect(&ep).await.unwrap();
    (push, pull)
}

#[tokio::test]
async fn push_to_pull_in_order_multipart_and_large() {
    let pull = Socket::new(SocketType::Pull).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    assert!(ep.starts_with("tcp://127.0.0.1:"));
    assert_eq!(pull.last_endpoint().as_deref(), Some(ep.as_str()));
    let push = Socket::new(SocketType::Push).unwrap();
    push.connect(&ep).await.unwrap();
    for i in 0..1000u32 {
        push.send(i.to_be_bytes().to_vec()).await.unwrap();
    }
    for i in 0..1000u32 {
        assert_eq!(&recv(&pull).await[0][..], &i.to_be_bytes());
    }
    let multi = Message::from_frames(vec!["a".into(), "".into(), vec![7u8; 1 << 20].into()]);
    push.send(multi.clone()).await.unwrap();
    assert_eq!(recv(&pull).await, multi);
}

/// `send_copy` interleaved with `send`: small copies go into the connection's
/// encoded batch, larger ones (over 16 KiB) as messages of their own, between
/// shared messages; all arrive whole and in order.
#[tokio::test]
async fn send_copy_and_send_interleave_in_order_at_every_size() {
    let (push, pull) = push_to_pull().await;
    let sizes = [0, 1, 16, 512, 513, 4096, 16 * 1024, 16 * 1024 + 1, 300_000];
    let body = |i: usize, n: usize| -> Vec<u8> { (0..n).map(|k| (i + k) as u8).collect() };
    for round in 0..3 {
        for (i, &n) in sizes.iter().enumerate() {
            push.send_copy(&body(i + round, n)).await.unwrap();
            push.send(body(i + round + 1, n / 2)).await.unwrap();
        }
    }
    for round in 0..3 {
        for (i, &n) in sizes.iter().enumerate() {
            let copied = recv(&pull).await;
            assert_eq!((copied.len(), &copied[0][..]), (1, &body(i + round, n)[..]));
            let shared = recv(&pull).await;
            assert_eq!(&shared[0][..], &body(i + round + 1, n / 2)[..]);
        }
    }
}

/// `send_copy` over inproc (no encoded batch: a message of its own) and through
/// the patterns that frame their messages (REQ's envelope).
#[tokio::test]
async fn send_copy_over_inproc_and_from_a_req() {
    let pull = Socket::new(SocketType::Pull).unwrap();
    pull.bind("inproc://send-copy").await.unwrap();
    let push = Socket::new(SocketType::Push).unwrap();
    push.connect("inproc://send-copy").await.unwrap();
    push.send_copy(b"over inproc").await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"over inproc");

    let rep = Socket::new(SocketType::Rep).unwrap();
    let ep = rep.bind("tcp://127.0.0.1:*").await.unwrap();
    let req = Socket::new(SocketType::Req).unwrap();
    req.connect(&ep).await.unwrap();
    req.send_copy(b"question").await.unwrap();
    assert_eq!(&recv(&rep).await[0][..], b"question");
    rep.send_copy(b"answer").await.unwrap();
    assert_eq!(&recv(&req).await[0][..], b"answer");
}

/// At SNDHWM `send_copy` waits like `send` (here: up to SNDTIMEO, then
/// `Timeout`; zero: `WouldBlock`), and the bytes it copied before stay queued.
#[tokio::test]
async fn send_copy_waits_at_hwm_and_times_out() {
    let push = Socket::new(SocketType::Push).unwrap();
    let mut o = push.options();
    o.sndhwm = 3;
    o.sndtimeo = Some(Duration::from_millis(50));
    push.set_options(o).unwrap();
    let ep = free_endpoint();
    push.connect(&ep).await.unwrap();
    for i in 0..3u8 {
        push.send_copy(&[i; 10]).await.unwrap();
    }
    assert!(matches!(push.send_copy(b"x").await, Err(Error::Timeout)));
    let mut o = push.options();
    o.sndtimeo = Some(Duration::ZERO);
    push.set_options(o).unwrap();
    assert!(matches!(push.send_copy(b"x").await, Err(Error::WouldBlock)));
    let pull = Socket::new(SocketType::Pull).unwrap();
    pull.bind(&ep).await.unwrap();
    for i in 0..3u8 {
        assert_eq!(&recv(&pull).await[0][..], &[i; 10]);
    }
}

/// A loopback endpoint with a port that was free a moment ago (reserved, then
/// released), for a socket to bind after its peer connected.
fn free_endpoint() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("tcp://127.0.0.1:{port}")
}

#[tokio::test]
async fn push_queues_before_the_peer_exists() {
    let push = Socket::new(SocketType::Push).unwrap();
    let ep = free_endpoint();
    push.connect(&ep).await.unwrap();
    push.send("early").await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    let pull = Socket::new(SocketType::Pull).unwrap();
    pull.bind(&ep).await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"early");
}

#[tokio::test]
async fn push_round_robins_over_pullers() {
    let push = Socket::new(SocketType::Push).unwrap();
    let ep = push.bind("tcp://127.0.0.1:*").await.unwrap();
    let a = Socket::new(SocketType::Pull).unwrap();
    let b = Socket::new(SocketType::Pull).unwrap();
    let mut mon = push.monitor();
    a.connect(&ep).await.unwrap();
    b.connect(&ep).await.unwrap();
    let mut ready = 0;
    while ready < 2 {
        if let MonitorEvent::HandshakeSucceeded { .. } =
            tokio::time::timeout(T, mon.recv()).await.unwrap().unwrap()
        {
            ready += 1;
        }
    }
    for i in 0..10u8 {
        push.send(vec![i]).await.unwrap();
    }
    let (mut got_a, mut got_b) = (0, 0);
    for _ in 0..5 {
        recv(&a).await;
        got_a += 1;
        recv(&b).await;
        got_b += 1;
    }
    assert_eq!((got_a, got_b), (5, 5));
}

#[tokio::test]
async fn push_blocks_at_hwm_and_try_send_would_block() {
    let push = Socket::new(SocketType::Push).unwrap();
    let mut o = push.options();
    o.sndhwm = 5;
    push.set_options(o).unwrap();
    // Connected to nothing: the pipe exists and holds exactly SNDHWM messages.
    push.connect("tcp://127.0.0.1:1").await.unwrap();
    for _ in 0..5 {
        push.try_send("x").unwrap();
    }
    assert!(matches!(push.try_send("x"), Err(Error::WouldBlock)));
    let r = push
        .send_timeout("x", Some(Duration::from_millis(50)))
        .await;
    assert!(matches!(r, Err(Error::Timeout)));
}

#[tokio::test]
async fn wrong_direction_is_not_supported() {
    let push = Socket::new(SocketType::Push).unwrap();
    assert_eq!(push.try_recv().unwrap_err().errno_name(), "ENOTSUP");
    let pull = Socket::new(SocketType::Pull).unwrap();
    assert_eq!(pull.try_send("x").unwrap_err().errno_name(), "ENOTSUP");
}

#[tokio::test]
async fn one_shot_sender_loses_nothing_with_linger() {
    let (push, pull) = push_to_pull().await;
    for i in 0..500u32 {
        push.send(i.to_be_bytes().to_vec()).await.unwrap();
    }
    tokio::time::timeout(T, push.close())
        .await
        .expect("close hangs")
        .unwrap();
    for i in 0..500u32 {
        assert_eq!(&recv(&pull).await[0][..], &i.to_be_bytes());
    }
}

#[tokio::test]
async fn reconnects_after_the_peer_restarts() {
    let ep = free_endpoint();
    let push = Socket::new(SocketType::Push).unwrap();
    push.connect(&ep).await.unwrap();
    let pull = Socket::new(SocketType::Pull).unwrap();
    pull.bind(&ep).await.unwrap();
    push.send("one").await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"one");
    let mut o = pull.options();
    o.linger = Some(Duration::ZERO);
    pull.set_options(o).unwrap();
    let mut mon = push.monitor();
    pull.close().await.unwrap();
    let next = |ev: &MonitorEvent| matches!(ev, MonitorEvent::Disconnected { .. });
    while !next(&tokio::time::timeout(T, mon.recv()).await.unwrap().unwrap()) {}
    let pull = Socket::new(SocketType::Pull).unwrap();
    pull.bind(&ep).await.unwrap();
    // Wait for the reconnection: a message sent into the dying connection is lost,
    // as with libzmq.
    loop {
        let ev = tokio::time::timeout(T, mon.recv()).await.unwrap().unwrap();
        if matches!(ev, MonitorEvent::HandshakeSucceeded { .. }) {
            break;
        }
    }
    push.send("two").await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"two");
}

#[tokio::test]
async fn immediate_queues_only_to_completed_connections_and_survives_reconnect() {
    let ep = free_endpoint();
    let push = Socket::new(SocketType::Push).unwrap();
    let mut o = push.options();
    o.immediate = true;
    o.reconnect_ivl = Some(Duration::from_millis(20));
    push.set_options(o).unwrap();
    let mut mon = push.monitor();
    push.connect(&ep).await.unwrap();
    assert!(matches!(push.try_send("nobody"), Err(Error::WouldBlock)));
    for round in 0..2 {
        let pull = Socket::new(SocketType::Pull).unwrap();
        let mut o = pull.options();
        o.linger = Some(Duration::ZERO);
        pull.set_options(o).unwrap();
        pull.bind(&ep).await.unwrap();
        while !matches!(
            tokio::time::timeout(T, mon.recv()).await.unwrap().unwrap(),
            MonitorEvent::HandshakeSucceeded { .. }
        ) {}
        push.send(format!("round {round}")).await.unwrap();
        assert_eq!(recv(&pull).await[0], format!("round {round}").into_bytes());
        pull.close().await.unwrap();
        while !matches!(
            tokio::time::timeout(T, mon.recv()).await.unwrap().unwrap(),
            MonitorEvent::Disconnected { .. }
        ) {}
        assert!(matches!(push.try_send("gone"), Err(Error::WouldBlock)));
    }
}

/// Sends 64 KiB messages until one waits 300 ms for room; returns how many went,
/// failing if `most` went without a wait.
async fn sent_until_pushed_back(push: &Socket, most: usize) -> usize {
    let body = bytes::Bytes::from(vec![1u8; 64 * 1024]);
    let mut sent = 0usize;
    loop {
        match push
            .send_timeout(body.clone(), Some(Duration::from_millis(300)))
            .await
        {
            Ok(()) => sent += 1,
            Err(Error::Timeout) => return sent,
            Err(e) => panic!("{e}"),
        }
        assert!(sent < most, "the sender was never pushed back");
    }
}

/// A PULL bound on loopback and a PUSH connected to it, each with its options
/// changed by the given function.
async fn push_pull_with(
    pull_options: impl FnOnce(&mut Options),
    push_options: impl FnOnce(&mut Options),
) -> (Socket, Socket) {
    let pull = Socket::new(SocketType::Pull).unwrap();
    let mut o = pull.options();
    pull_options(&mut o);
    pull.set_options(o).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let push = Socket::new(SocketType::Push).unwrap();
    let mut o = push.options();
    push_options(&mut o);
    push.set_options(o).unwrap();
    push.connect(&ep).await.unwrap();
    (push, pull)
}

#[tokio::test]
async fn rcvhwm_pushes_back_on_the_sender() {
    let (push, pull) = push_pull_with(|o| o.rcvhwm = 10, |o| o.sndhwm = 10).await;
    // 64 KiB messages fill the kernel buffers quickly; the receiver reads nothing.
    let sent = sent_until_pushed_back(&push, 10_000).await;
    // Everything sent is delivered once the receiver reads.
    for _ in 0..sent {
        assert_eq!(recv(&pull).await[0].len(), 64 * 1024);
    }
}

#[tokio::test]
async fn the_inbound_byte_limit_pushes_back_before_rcvhwm() {
    let (push, pull) = push_pull_with(
        |o| {
            assert_eq!(o.rcvhwm, 1000);
            o.rcvhwm_bytes = Some(256 * 1024);
            o.rcvbuf = Some(64 * 1024);
        },
        |o| {
            o.sndhwm = 10;
            o.sndbuf = Some(64 * 1024);
        },
    )
    .await;
    // RCVHWM alone would take 1000 messages of 64 KiB (64 MiB); the byte limit
    // about four, the kernel buffers and SNDHWM a few dozen more.
    let sent = sent_until_pushed_back(&push, 200).await;
    for _ in 0..sent {
        assert_eq!(recv(&pull).await[0].len(), 64 * 1024);
    }
}

#[tokio::test]
async fn ipv6_loopback() {
    let pull = Socket::new(SocketType::Pull).unwrap();
    let mut o = pull.options();
    o.ipv6 = true;
    pull.set_options(o).unwrap();
    let ep = pull.bind("tcp://[::1]:*").await.unwrap();
    assert!(ep.starts_with("tcp://[::1]:"), "{ep}");
    let push = Socket::new(SocketType::Push).unwrap();
    push.connect(&ep).await.unwrap();
    push.send("over v6").await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"over v6");
}

#[tokio::test]
async fn dns_name_connects() {
    let pull = Socket::new(SocketType::Pull).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let port = ep.rsplit(':').next().unwrap();
    let push = Socket::new(SocketType::Push).unwrap();
    push.connect(&format!("tcp://localhost:{port}"))
        .await
        .unwrap();
    push.send("by name").await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"by name");
}

#[tokio::test]
async fn malformed_and_unsupported_endpoints() {
    let s = Socket::new(SocketType::Push).unwrap();
    assert_eq!(
        s.connect("tcp://127.0.0.1").await.unwrap_err().errno_name(),
        "EINVAL"
    );
    assert_eq!(
        s.connect("tcp://127.0.0.1:*")
            .await
            .unwrap_err()
            .errno_name(),
        "EINVAL"
    );
    assert_eq!(
        s.bind("bogus://x").await.unwrap_err().errno_name(),
        "EPROTONOSUPPORT"
    );
    assert_eq!(s.bind("nothing").await.unwrap_err().errno_name(), "EINVAL");
}

#[tokio::test]
async fn conflate_keeps_only_the_newest_message_outbound() {
    let ep = free_endpoint();
    let push = Socket::new(SocketType::Push).unwrap();
    let mut o = push.options();
    o.conflate = true;
    o.sndhwm = 1;
    push.set_options(o).unwrap();
    push.connect(&ep).await.unwrap();
    // Never at the mark: each message replaces the one before.
    for i in 0..100u32 {
        push.try_send(i.to_be_bytes().to_vec()).unwrap();
    }
    let pull = Socket::new(SocketType::Pull).unwrap();
    pull.bind(&ep).await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], &99u32.to_be_bytes());
    assert!(matches!(
        pull.recv_timeout(Some(Duration::from_millis(100))).await,
        Err(Error::Timeout)
    ));
}

#[tokio::test]
async fn conflate_keeps_only_the_newest_message_inbound() {
    let (push, pull) = push_pull_with(|o| o.conflate = true, |_| {}).await;
    for i in 0..100u32 {
        push.send(i.to_be_bytes().to_vec()).await.unwrap();
    }
    let mut seen = Vec::new();
    loop {
        let m = recv(&pull).await;
        let n = u32::from_be_bytes(m[0][..].try_into().unwrap());
        seen.push(n);
        if n == 99 {
            break;
        }
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(seen.len() < 100, "nothing was conflated: {seen:?}");
}

#[tokio::test]
async fn kernel_buffer_and_maxrt_options_are_accepted() {
    let pull = Socket::new(SocketType::Pull).unwrap();
    let mut o = pull.options();
    o.sndbuf = Some(64 * 1024);
    o.rcvbuf = Some(64 * 1024);
    o.tcp_maxrt = Some(Duration::from_secs(5));
    o.tcp_keepalive = Some(true);
    o.tcp_keepalive_idle = Some(Duration::from_secs(30));
    pull.set_options(o.clone()).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let push = Socket::new(SocketType::Push).unwrap();
    push.set_options(o).unwrap();
    push.connect(&ep).await.unwrap();
    push.send("tuned").await.unwrap();
    assert_eq!(&recv(&pull).await[0][..], b"tuned");
}

/// A receive that waits polls its connection's engine itself; once a loop of
/// receives that never waited had spent the task's cooperative budget, the
/// engine woke itself at once and the receive polled it again without ever
/// yielding, for good (found with 64 KiB messages on a one-worker runtime).
#[test]
fn regression_a_receive_driving_its_engine_spun_once_out_of_budget() {
    const COUNT: usize = 2000;
    let (done, finished) = std::sync::mpsc::channel();
    // On its own thread, so that a receive that spins fails this test instead of
    // hanging it.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let received = rt.block_on(async {
            let (push, pull) = push_pull_with(|_| {}, |_| {}).await;
            let sender = tokio::spawn(async move {
                let body = bytes::Bytes::from(vec![7u8; 64 * 1024]);
                for _ in 0..COUNT {
                    push.send(body.clone()).await.unwrap();
                }
                push
            });
            let mut n = 0;
            while n < COUNT {
                let m = pull.recv().await.unwrap();
                assert_eq!(m[0].len(), 64 * 1024);
                n += 1;
            }
            drop(sender.await.unwrap());
            n
        });
        let _ = done.send(received);
    });
    let received = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("the receiving thread neither finished nor failed within 60 s");
    assert_eq!(received, COUNT);
}
