//! The thread-safe draft socket types: CLIENT/SERVER, SCATTER/GATHER, PEER and
//! CHANNEL, over tcp, ipc and inproc; routing ids, EHOSTUNREACH, single-frame rules,
//! CHANNEL's exclusivity and SCATTER's round-robin.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use zocket::{
    Channel, Client, Error, Gather, Message, MonitorEvent, Peer, Scatter, Server, Socket,
    SocketType,
};

const T: Duration = Duration::from_secs(5);

/// Awaits `f`, failing the test if it takes longer than [`T`].
async fn bounded<F: Future>(f: F) -> F::Output {
    tokio::time::timeout(T, f).await.expect("timed out")
}

fn unique(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn two_frames() -> Message {
    Message::from_frames(vec!["a".into(), "b".into()])
}

/// Two CLIENTs on one bound SERVER: distinct non-zero routing ids, replies reach the
/// right client, unknown ids are unreachable.
async fn client_server(endpoint: String) {
    let server = Server::new().unwrap();
    let ep = server.bind(&endpoint).await.unwrap();
    let (c1, c2) = (Client::new().unwrap(), Client::new().unwrap());
    c1.connect(&ep).await.unwrap();
    c2.connect(&ep).await.unwrap();
    let mut ids = HashMap::new();
    for round in 0..3 {
        c1.send(format!("one {round}")).await.unwrap();
        c2.send(format!("two {round}")).await.unwrap();
        for _ in 0..2 {
            let (id, data) = bounded(server.recv()).await.unwrap();
            assert_ne!(id, 0);
            let who = data[..3].to_vec();
            assert_eq!(&data[4..], format!("{round}").as_bytes());
            // A connection keeps its id from one message to the next.
            assert_eq!(*ids.entry(who.clone()).or_insert(id), id);
            server
                .send(id, [&b"re "[..], &data[..]].concat())
                .await
                .unwrap();
        }
        assert_eq!(
            bounded(c1.recv()).await.unwrap(),
            format!("re one {round}").as_bytes()
        );
        assert_eq!(
            bounded(c2.recv()).await.unwrap(),
            format!("re two {round}").as_bytes()
        );
    }
    let (one, two) = (ids[&b"one"[..]], ids[&b"two"[..]]);
    assert_ne!(one, two);
    let unknown = (1..).find(|i| *i != one && *i != two).unwrap();
    for id in [unknown, 0] {
        match server.send(id, "nobody").await {
            Err(e @ Error::HostUnreachable) => assert_eq!(e.errno_name(), "EHOSTUNREACH"),
            other => panic!("expected EHOSTUNREACH, got {other:?}"),
        }
    }
}

/// The roles are free: a SERVER may connect to a bound CLIENT.
async fn server_connects(endpoint: String) {
    let client = Client::new().unwrap();
    let ep = client.bind(&endpoint).await.unwrap();
    let server = Server::new().unwrap();
    server.connect(&ep).await.unwrap();
    client.send("hello").await.unwrap();
    let (id, data) = bounded(server.recv()).await.unwrap();
    assert_eq!(&data[..], b"hello");
    server.send(id, "welcome").await.unwrap();
    assert_eq!(&bounded(client.recv()).await.unwrap()[..], b"welcome");
}

/// A SCATTER connected to two GATHERs alternates between them.
async fn scatter_round_robin(endpoint: impl Fn() -> String) {
    let (g1, g2) = (Gather::new().unwrap(), Gather::new().unwrap());
    let ep1 = g1.bind(&endpoint()).await.unwrap();
    let ep2 = g2.bind(&endpoint()).await.unwrap();
    let scatter = Scatter::new().unwrap();
    // Connecting creates both pipes at once, so the round-robin sees both from the
    // first message on.
    scatter.connect(&ep1).await.unwrap();
    scatter.connect(&ep2).await.unwrap();
    for i in 0..20u32 {
        scatter.send(i.to_be_bytes().to_vec()).await.unwrap();
    }
    let mut got = Vec::new();
    for g in [&g1, &g2] {
        let mut mine = Vec::new();
        for _ in 0..10 {
            let m = bounded(g.recv()).await.unwrap();
            mine.push(u32::from_be_bytes(m[..].try_into().unwrap()));
        }
        // Every other message, in order.
        assert!(
            mine.windows(2).all(|w| w[1] == w[0] + 2),
            "not round-robin: {mine:?}"
        );
        got.extend(mine);
    }
    got.sort_unstable();
    assert_eq!(got, (0..20).collect::<Vec<_>>());
}

/// A GATHER fair-queues from several SCATTERs.
async fn gather_from_many(endpoint: String) {
    let gather = Gather::new().unwrap();
    let ep = gather.bind(&endpoint).await.unwrap();
    let scatters = [Scatter::new().unwrap(), Scatter::new().unwrap()];
    for (k, s) in scatters.iter().enumerate() {
        s.connect(&ep).await.unwrap();
        for i in 0..5 {
            s.send(format!("{k}:{i}")).await.unwrap();
        }
    }
    let mut got = Vec::new();
    for _ in 0..10 {
        got.push(bounded(gather.recv()).await.unwrap());
    }
    got.sort();
    let want: Vec<Bytes> = (0..2)
        .flat_map(|k| (0..5).map(move |i| Bytes::from(format!("{k}:{i}"))))
        .collect();
    assert_eq!(got, want);
}

/// PEERs speak first over the connection `connect_peer` made; one PEER both binds and
/// connects, and each connection has its own routing id.
async fn peer_to_peer(endpoint: impl Fn() -> String) {
    let a = Peer::new().unwrap();
    let ep_a = a.bind(&endpoint()).await.unwrap();
    let b = Peer::new().unwrap();
    let ep_b = b.bind(&endpoint()).await.unwrap();
    let c = Peer::new().unwrap();

    let b_to_a = b.connect_peer(&ep_a).await.unwrap();
    let c_to_a = c.connect_peer(&ep_a).await.unwrap();
    b.send(b_to_a, "from b").await.unwrap();
    c.send(c_to_a, "from c").await.unwrap();
    let mut a_ids = HashMap::new();
    for _ in 0..2 {
        let (id, data) = bounded(a.recv()).await.unwrap();
        a_ids.insert(data, id);
    }
    let (a_to_b, a_to_c) = (a_ids[&b"from b"[..]], a_ids[&b"from c"[..]]);
    assert_ne!(a_to_b, a_to_c);
    a.send(a_to_c, "to c").await.unwrap();
    a.send(a_to_b, "to b").await.unwrap();
    assert_eq!(
        bounded(b.recv()).await.unwrap(),
        (b_to_a, Bytes::from("to b"))
    );
    assert_eq!(
        bounded(c.recv()).await.unwrap(),
        (c_to_a, Bytes::from("to c"))
    );

    // `a` also connects, to `b`: a second connection between them, with new ids.
    let a_to_b2 = a.connect_peer(&ep_b).await.unwrap();
    assert_ne!(a_to_b2, a_to_b);
    assert_ne!(a_to_b2, a_to_c);
    a.send(a_to_b2, "second link").await.unwrap();
    let (b_to_a2, data) = bounded(b.recv()).await.unwrap();
    assert_eq!(&data[..], b"second link");
    assert_ne!(b_to_a2, b_to_a);
    b.send(b_to_a2, "back on it").await.unwrap();
    assert_eq!(
        bounded(a.recv()).await.unwrap(),
        (a_to_b2, Bytes::from("back on it"))
    );
}

/// CHANNEL: a single-frame PAIR.
async fn channel(endpoint: String) {
    let a = Channel::new().unwrap();
    let ep = a.bind(&endpoint).await.unwrap();
    let b = Channel::new().unwrap();
    b.connect(&ep).await.unwrap();
    for i in 0..5 {
        b.send(format!("ping {i}")).await.unwrap();
        assert_eq!(
            bounded(a.recv()).await.unwrap(),
            format!("ping {i}").as_bytes()
        );
        a.send(format!("pong {i}")).await.unwrap();
        assert_eq!(
            bounded(b.recv()).await.unwrap(),
            format!("pong {i}").as_bytes()
        );
    }
}

/// A CHANNEL refuses a second peer while it has one (tcp and ipc, where the refusal
/// is a monitor event); the first keeps talking, and nothing of the second arrives.
async fn channel_exclusive(endpoint: String) {
    let a = Channel::new().unwrap();
    let ep = a.bind(&endpoint).await.unwrap();
    let b = Channel::new().unwrap();
    b.connect(&ep).await.unwrap();
    b.send("first").await.unwrap();
    assert_eq!(&bounded(a.recv()).await.unwrap()[..], b"first");
    let mut monitor = a.monitor();
    let intruder = Channel::new().unwrap();
    intruder.connect(&ep).await.unwrap();
    intruder.send("intruder").await.unwrap();
    // The refused connection is dropped right after its handshake.
    let reason = bounded(async {
        loop {
            if let MonitorEvent::Disconnected { reason, .. } =
                monitor.recv().await.expect("monitor ended")
            {
                if reason.contains("already has a peer") {
                    break reason;
                }
            }
        }
    })
    .await;
    assert_eq!(reason, "CHANNEL already has a peer");
    a.send("still yours").await.unwrap();
    assert_eq!(&bounded(b.recv()).await.unwrap()[..], b"still yours");
    b.send("second").await.unwrap();
    assert_eq!(&bounded(a.recv()).await.unwrap()[..], b"second");
    assert!(matches!(a.try_recv(), Err(Error::WouldBlock)));
}

/// Every draft type that sends refuses a multipart message with EINVAL, and queues
/// none of it: the next single-frame message is the first to arrive.
async fn multipart_refused(endpoint: impl Fn() -> String) {
    fn refused(r: zocket::Result<()>) {
        match r {
            Err(e) => assert_eq!(e.errno_name(), "EINVAL", "{e}"),
            Ok(()) => panic!("a multipart message was accepted"),
        }
    }

    let server = Server::new().unwrap();
    let ep = server.bind(&endpoint()).await.unwrap();
    let client = Client::new().unwrap();
    client.connect(&ep).await.unwrap();
    refused(client.as_socket().send(two_frames()).await);
    client.send("single").await.unwrap();
    let (id, data) = bounded(server.recv()).await.unwrap();
    assert_eq!(&data[..], b"single");
    let mut three = Message::from_frames(vec![id.to_be_bytes().to_vec().into()]);
    three.push_back("a");
    three.push_back("b");
    refused(server.as_socket().send(three).await);
    // The routing id frame must be 4 bytes.
    refused(
        server
            .as_socket()
            .send(Message::from_frames(vec![
                vec![0u8, 0, 1].into(),
                "x".into(),
            ]))
            .await,
    );
    server.send(id, "single back").await.unwrap();
    assert_eq!(&bounded(client.recv()).await.unwrap()[..], b"single back");

    let gather = Gather::new().unwrap();
    let ep = gather.bind(&endpoint()).await.unwrap();
    let scatter = Scatter::new().unwrap();
    scatter.connect(&ep).await.unwrap();
    refused(scatter.as_socket().send(two_frames()).await);
    scatter.send("single").await.unwrap();
    assert_eq!(&bounded(gather.recv()).await.unwrap()[..], b"single");

    let a = Channel::new().unwrap();
    let ep = a.bind(&endpoint()).await.unwrap();
    let b = Channel::new().unwrap();
    b.connect(&ep).await.unwrap();
    refused(b.as_socket().send(two_frames()).await);
    b.send("single").await.unwrap();
    assert_eq!(&bounded(a.recv()).await.unwrap()[..], b"single");

    let p = Peer::new().unwrap();
    let ep = p.bind(&endpoint()).await.unwrap();
    let q = Peer::new().unwrap();
    let id = q.connect_peer(&ep).await.unwrap();
    let mut three = Message::from_frames(vec![id.to_be_bytes().to_vec().into()]);
    three.push_back("a");
    three.push_back("b");
    refused(q.as_socket().send(three).await);
    q.send(id, "single").await.unwrap();
    assert_eq!(&bounded(p.recv()).await.unwrap().1[..], b"single");
}

/// The dynamic socket shows SERVER's routing id as a leading 4-byte frame.
async fn dynamic_routing_frame(endpoint: String) {
    let server = Socket::new(SocketType::Server).unwrap();
    let ep = server.bind(&endpoint).await.unwrap();
    let client = Socket::new(SocketType::Client).unwrap();
    client.connect(&ep).await.unwrap();
    client.send("q").await.unwrap();
    let m = bounded(server.recv()).await.unwrap();
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].len(), 4);
    assert_ne!(u32::from_be_bytes(m[0][..].try_into().unwrap()), 0);
    assert_eq!(&m[1][..], b"q");
    server
        .send(Message::from_frames(vec![m[0].clone(), "a".into()]))
        .await
        .unwrap();
    let reply = bounded(client.recv()).await.unwrap();
    assert_eq!(reply.frames(), &[Bytes::from("a")]);
}

/// Sends and receives each draft type refuses (ENOTSUP).
async fn one_way_types(endpoint: String) {
    let gather = Gather::new().unwrap();
    let ep = gather.bind(&endpoint).await.unwrap();
    let scatter = Scatter::new().unwrap();
    scatter.connect(&ep).await.unwrap();
    let e = gather.as_socket().send("x").await.unwrap_err();
    assert!(matches!(
        e,
        Error::NotSupported {
            socket_type: SocketType::Gather,
            ..
        }
    ));
    let e = scatter.as_socket().try_recv().unwrap_err();
    assert!(matches!(
        e,
        Error::NotSupported {
            socket_type: SocketType::Scatter,
            ..
        }
    ));
}

/// A SERVER's send to a departed client becomes EHOSTUNREACH; the other client is
/// unaffected.
async fn departed_client_is_unreachable(endpoint: String) {
    let server = Server::new().unwrap();
    let ep = server.bind(&endpoint).await.unwrap();
    let (gone, stays) = (Client::new().unwrap(), Client::new().unwrap());
    gone.connect(&ep).await.unwrap();
    stays.connect(&ep).await.unwrap();
    gone.send("gone").await.unwrap();
    stays.send("stays").await.unwrap();
    let mut ids = HashMap::new();
    for _ in 0..2 {
        let (id, data) = bounded(server.recv()).await.unwrap();
        ids.insert(data, id);
    }
    gone.close().await.unwrap();
    let gone_id = ids[&b"gone"[..]];
    bounded(async {
        loop {
            match server.send(gone_id, "anyone?").await {
                Err(Error::HostUnreachable) => break,
                Ok(()) => tokio::time::sleep(Duration::from_millis(10)).await,
                Err(e) => panic!("unexpected {e}"),
            }
        }
    })
    .await;
    server.send(ids[&b"stays"[..]], "still here").await.unwrap();
    assert_eq!(&bounded(stays.recv()).await.unwrap()[..], b"still here");
}

macro_rules! over {
    ($transport:ident, $endpoint:expr) => {
        mod $transport {
            fn endpoint() -> String {
                $endpoint
            }
            #[tokio::test]
            async fn client_server() {
                super::client_server(endpoint()).await;
            }
            #[tokio::test]
            async fn server_connects() {
                super::server_connects(endpoint()).await;
            }
            #[tokio::test]
            async fn scatter_round_robin() {
                super::scatter_round_robin(endpoint).await;
            }
            #[tokio::test]
            async fn gather_from_many() {
                super::gather_from_many(endpoint()).await;
            }
            #[tokio::test]
            async fn peer_to_peer() {
                super::peer_to_peer(endpoint).await;
            }
            #[tokio::test]
            async fn channel() {
                super::channel(endpoint()).await;
            }
            #[tokio::test]
            async fn multipart_refused() {
                super::multipart_refused(endpoint).await;
            }
            #[tokio::test]
            async fn dynamic_routing_frame() {
                super::dynamic_routing_frame(endpoint()).await;
            }
            #[tokio::test]
            async fn one_way_types() {
                super::one_way_types(endpoint()).await;
            }
            #[tokio::test]
            async fn departed_client_is_unreachable() {
                super::departed_client_is_unreachable(endpoint()).await;
            }
        }
    };
}

over!(tcp, String::from("tcp://127.0.0.1:*"));
over!(
    ipc,
    format!(
        "ipc://{}/{}.sock",
        std::env::temp_dir().display(),
        super::unique("zocket-draft")
    )
);
over!(
    inproc,
    format!("inproc://{}", super::unique("zocket-draft"))
);

#[tokio::test]
async fn channel_exclusive_tcp() {
    channel_exclusive("tcp://127.0.0.1:*".into()).await;
}

#[tokio::test]
async fn channel_exclusive_ipc() {
    channel_exclusive(format!("ipc://@{}", unique("zocket-draft"))).await;
}

#[tokio::test]
async fn server_full_pipe_would_block_then_send_waits_for_room() {
    let server = Server::new().unwrap();
    let mut o = server.options();
    o.sndhwm = 1;
    server.set_options(o).unwrap();
    let ep = server
        .bind(&format!("inproc://{}", unique("zocket-draft-hwm")))
        .await
        .unwrap();
    let client = Client::new().unwrap();
    let mut o = client.options();
    o.rcvhwm = 1;
    client.set_options(o).unwrap();
    client.connect(&ep).await.unwrap();
    client.send("hi").await.unwrap();
    let (id, _) = bounded(server.recv()).await.unwrap();
    // Queue until the SERVER's pipe and the CLIENT's inbound queue are both full.
    let mut sent = 0u32;
    loop {
        match server.try_send(id, sent.to_be_bytes().to_vec()) {
            Ok(()) => sent += 1,
            Err(e @ Error::WouldBlock) => {
                assert_eq!(e.errno_name(), "EAGAIN");
                break;
            }
            Err(e) => panic!("unexpected {e}"),
        }
        assert!(sent < 10_000, "the SERVER never reported a full pipe");
    }
    assert!(sent >= 1);
    // A waiting send completes once the client makes room.
    let (blocked, first) = tokio::join!(
        bounded(server.send(id, sent.to_be_bytes().to_vec())),
        bounded(client.recv())
    );
    blocked.unwrap();
    assert_eq!(&first.unwrap()[..], &0u32.to_be_bytes());
    for i in 1..=sent {
        assert_eq!(&bounded(client.recv()).await.unwrap()[..], &i.to_be_bytes());
    }
}

#[tokio::test]
async fn connect_peer_errors() {
    let server = Socket::new(SocketType::Server).unwrap();
    assert!(matches!(
        server.connect_peer("tcp://127.0.0.1:1").await,
        Err(Error::NotSupported {
            operation: "connect_peer",
            ..
        })
    ));
    let peer = Peer::new().unwrap();
    let mut o = peer.options();
    o.immediate = true;
    peer.set_options(o).unwrap();
    match peer.connect_peer("tcp://127.0.0.1:1").await {
        Err(e @ Error::InvalidOption { .. }) => assert_eq!(e.errno_name(), "EINVAL"),
        other => panic!("expected EINVAL, got {other:?}"),
    }
    // Nothing was connected.
    assert!(peer.last_endpoint().is_none());
}

/// A raw ZMTP CLIENT whose multipart message the SERVER discards whole, while its
/// single-frame messages arrive.
#[tokio::test]
async fn multipart_from_the_wire_is_discarded() {
    let server = Server::new().unwrap();
    let ep = server.bind("tcp://127.0.0.1:*").await.unwrap();
    let addr = ep.trim_start_matches("tcp://");
    let mut raw = bounded(tokio::net::TcpStream::connect(addr)).await.unwrap();
    let mut greeting = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
    greeting.extend_from_slice(b"NULL");
    greeting.resize(64, 0);
    let mut ready = vec![5];
    ready.extend_from_slice(b"READY\x0bSocket-Type\x00\x00\x00\x06CLIENT");
    let mut wire = greeting;
    wire.extend_from_slice(&[0x04, ready.len() as u8]);
    wire.extend_from_slice(&ready);
    // [MORE "part 1"][LAST "part 2"], then [LAST "whole"].
    wire.extend_from_slice(b"\x01\x06part 1\x00\x06part 2\x00\x05whole");
    bounded(raw.write_all(&wire)).await.unwrap();
    let (id, data) = bounded(server.recv()).await.unwrap();
    assert_eq!(&data[..], b"whole");
    assert_ne!(id, 0);
    assert!(matches!(server.try_recv(), Err(Error::WouldBlock)));
}

#[test]
fn blocking_client_server_and_peer() {
    use zocket::blocking;
    let server = blocking::Server::new().unwrap();
    let ep = server.bind("tcp://127.0.0.1:*").unwrap();
    let client = blocking::Client::new().unwrap();
    client.connect(&ep).unwrap();
    client.send("q").unwrap();
    let (id, q) = server.recv_timeout(T).unwrap();
    assert_eq!(&q[..], b"q");
    server.send(id, "a").unwrap();
    assert_eq!(&client.recv_timeout(T).unwrap()[..], b"a");
    assert!(matches!(
        server.send(id.wrapping_add(1).max(1), "x"),
        Err(Error::HostUnreachable)
    ));

    let a = blocking::Peer::new().unwrap();
    let ep = a.bind("tcp://127.0.0.1:*").unwrap();
    let b = blocking::Socket::new(SocketType::Peer).unwrap();
    let to_a = b.connect_peer(&ep).unwrap();
    b.send(Message::from_frames(vec![
        to_a.to_be_bytes().to_vec().into(),
        "hi".into(),
    ]))
    .unwrap();
    let (to_b, hi) = a.recv_timeout(T).unwrap();
    assert_eq!(&hi[..], b"hi");
    a.send(to_b, "ho").unwrap();
    let m = b.recv_timeout(T).unwrap();
    assert_eq!(
        m.frames(),
        &[Bytes::from(to_a.to_be_bytes().to_vec()), "ho".into()]
    );
}
