//! zocket's draft socket types against libzmq 4.3.5 built with its draft API, over
//! tcp on 127.0.0.1: CLIENT/SERVER, SCATTER/GATHER, PEER and CHANNEL, each side in
//! each role, plus the errors both libraries must agree on.

use std::time::Duration;

use zocket::Error;
use zocket::blocking::{Channel, Client, Gather, Peer, Scatter, Server};
use zocket_draft_interop::{CHANNEL, CLIENT, Context, GATHER, PEER, SCATTER, SERVER, version};

/// Every wait, on either side.
const T: Duration = Duration::from_secs(5);
const T_MS: i32 = 5000;
const ANY_PORT: &str = "tcp://127.0.0.1:*";

#[test]
fn libzmq_is_4_3_5_with_the_draft_api() {
    assert_eq!(version(), (4, 3, 5));
    let ctx = Context::new();
    for kind in [SERVER, CLIENT, GATHER, SCATTER, PEER, CHANNEL] {
        ctx.socket(kind, T_MS)
            .unwrap_or_else(|e| panic!("libzmq has no draft socket type {kind}: {e}"));
    }
}

#[test]
fn libzmq_clients_to_zocket_server() {
    let server = Server::new().unwrap();
    let ep = server.bind(ANY_PORT).unwrap();
    let ctx = Context::new();
    let (c1, c2) = (
        ctx.socket(CLIENT, T_MS).unwrap(),
        ctx.socket(CLIENT, T_MS).unwrap(),
    );
    c1.connect(&ep).unwrap();
    c2.connect(&ep).unwrap();
    for round in 0..3 {
        c1.send(format!("c1 {round}").as_bytes()).unwrap();
        c2.send(format!("c2 {round}").as_bytes()).unwrap();
        for _ in 0..2 {
            let (id, data) = server.recv_timeout(T).unwrap();
            assert_ne!(id, 0);
            server.send(id, [&b"re "[..], &data[..]].concat()).unwrap();
        }
        assert_eq!(c1.recv().unwrap(), format!("re c1 {round}").as_bytes());
        assert_eq!(c2.recv().unwrap(), format!("re c2 {round}").as_bytes());
    }
}

#[test]
fn zocket_clients_to_libzmq_server() {
    let ctx = Context::new();
    let server = ctx.socket(SERVER, T_MS).unwrap();
    let ep = server.bind(ANY_PORT).unwrap();
    let (c1, c2) = (Client::new().unwrap(), Client::new().unwrap());
    c1.connect(&ep).unwrap();
    c2.connect(&ep).unwrap();
    c1.send("one").unwrap();
    c2.send("two").unwrap();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let (id, data) = server.recv_routed().unwrap();
        assert_ne!(id, 0);
        ids.push(id);
        server
            .send_to(id, &[&b"re "[..], &data[..]].concat())
            .unwrap();
    }
    assert_ne!(ids[0], ids[1]);
    assert_eq!(&c1.recv_timeout(T).unwrap()[..], b"re one");
    assert_eq!(&c2.recv_timeout(T).unwrap()[..], b"re two");
}

#[test]
fn zocket_server_connects_to_libzmq_client() {
    let ctx = Context::new();
    let client = ctx.socket(CLIENT, T_MS).unwrap();
    let ep = client.bind(ANY_PORT).unwrap();
    let server = Server::new().unwrap();
    server.connect(&ep).unwrap();
    client.send(b"hello").unwrap();
    let (id, data) = server.recv_timeout(T).unwrap();
    assert_eq!(&data[..], b"hello");
    server.send(id, "welcome").unwrap();
    assert_eq!(client.recv().unwrap(), b"welcome");
}

#[test]
fn libzmq_scatter_to_zocket_gather() {
    let gather = Gather::new().unwrap();
    let ep = gather.bind(ANY_PORT).unwrap();
    let ctx = Context::new();
    let scatter = ctx.socket(SCATTER, T_MS).unwrap();
    scatter.connect(&ep).unwrap();
    for i in 0..10u32 {
        scatter.send(&i.to_be_bytes()).unwrap();
    }
    for i in 0..10u32 {
        assert_eq!(&gather.recv_timeout(T).unwrap()[..], &i.to_be_bytes());
    }
}

#[test]
fn zocket_scatter_round_robin_over_libzmq_gathers() {
    let ctx = Context::new();
    let (g1, g2) = (
        ctx.socket(GATHER, T_MS).unwrap(),
        ctx.socket(GATHER, T_MS).unwrap(),
    );
    let ep1 = g1.bind(ANY_PORT).unwrap();
    let ep2 = g2.bind(ANY_PORT).unwrap();
    let scatter = Scatter::new().unwrap();
    // Both pipes exist from the connects on, so the round-robin alternates from the
    // first message.
    scatter.connect(&ep1).unwrap();
    scatter.connect(&ep2).unwrap();
    for i in 0..20u32 {
        scatter.send(i.to_be_bytes().to_vec()).unwrap();
    }
    let mut all = Vec::new();
    for g in [&g1, &g2] {
        let mine: Vec<u32> = (0..10)
            .map(|_| u32::from_be_bytes(g.recv().unwrap()[..].try_into().unwrap()))
            .collect();
        assert!(
            mine.windows(2).all(|w| w[1] == w[0] + 2),
            "not round-robin: {mine:?}"
        );
        all.extend(mine);
    }
    all.sort_unstable();
    assert_eq!(all, (0..20).collect::<Vec<_>>());
}

#[test]
fn zocket_peer_connects_to_libzmq_peer_and_speaks_first() {
    let ctx = Context::new();
    let lz = ctx.socket(PEER, T_MS).unwrap();
    let ep = lz.bind(ANY_PORT).unwrap();
    let z = Peer::new().unwrap();
    let to_lz = z.connect_peer(&ep).unwrap();
    assert_ne!(to_lz, 0);
    z.send(to_lz, "hello libzmq").unwrap();
    let (to_z, data) = lz.recv_routed().unwrap();
    assert_eq!(data, b"hello libzmq");
    lz.send_to(to_z, b"hello zocket").unwrap();
    let (from, data) = z.recv_timeout(T).unwrap();
    assert_eq!((from, &data[..]), (to_lz, &b"hello zocket"[..]));
}

#[test]
fn libzmq_peer_connects_to_zocket_peer_and_speaks_first() {
    let z = Peer::new().unwrap();
    let ep = z.bind(ANY_PORT).unwrap();
    let ctx = Context::new();
    let lz = ctx.socket(PEER, T_MS).unwrap();
    let to_z = lz.connect_peer(&ep).unwrap();
    lz.send_to(to_z, b"hello zocket").unwrap();
    let (to_lz, data) = z.recv_timeout(T).unwrap();
    assert_eq!(&data[..], b"hello zocket");
    z.send(to_lz, "hello libzmq").unwrap();
    assert_eq!(lz.recv_routed().unwrap(), (to_z, b"hello libzmq".to_vec()));
}

#[test]
fn channel_both_ways() {
    let ctx = Context::new();
    // libzmq binds, zocket connects.
    let lz = ctx.socket(CHANNEL, T_MS).unwrap();
    let ep = lz.bind(ANY_PORT).unwrap();
    let z = Channel::new().unwrap();
    z.connect(&ep).unwrap();
    z.send("ping").unwrap();
    assert_eq!(lz.recv().unwrap(), b"ping");
    lz.send(b"pong").unwrap();
    assert_eq!(&z.recv_timeout(T).unwrap()[..], b"pong");
    // zocket binds, libzmq connects.
    let z = Channel::new().unwrap();
    let ep = z.bind(ANY_PORT).unwrap();
    let lz = ctx.socket(CHANNEL, T_MS).unwrap();
    lz.connect(&ep).unwrap();
    lz.send(b"ping").unwrap();
    assert_eq!(&z.recv_timeout(T).unwrap()[..], b"ping");
    z.send("pong").unwrap();
    assert_eq!(lz.recv().unwrap(), b"pong");
}

/// A send to a routing id with no connection fails the same way on both sides.
#[test]
fn unknown_routing_id_is_ehostunreach_on_both() {
    let ctx = Context::new();
    let lz = ctx.socket(SERVER, T_MS).unwrap();
    lz.bind(ANY_PORT).unwrap();
    let lz_err = lz.send_to(12345, b"x").unwrap_err();
    let z = Server::new().unwrap();
    z.bind(ANY_PORT).unwrap();
    let z_err = z.send(12345, "x").unwrap_err();
    assert!(matches!(z_err, Error::HostUnreachable));
    assert_eq!(z_err.errno(), lz_err.errno, "zocket {z_err} / {lz_err}");
}

/// A multipart send on a thread-safe type fails the same way on both sides.
#[test]
fn multipart_send_is_einval_on_both() {
    let ctx = Context::new();
    let lz = ctx.socket(CLIENT, T_MS).unwrap();
    let lz_err = lz.send_flags(b"part", None, true).unwrap_err();
    let z = Client::new().unwrap();
    let two = zocket::Message::from_frames(vec!["a".into(), "b".into()]);
    let z_err = z.as_socket().send(two).unwrap_err();
    assert_eq!(z_err.errno(), lz_err.errno, "zocket {z_err} / {lz_err}");
}

/// A zocket CLIENT is refused by a libzmq GATHER (incompatible types): nothing
/// arrives, while a SCATTER on the same GATHER gets through.
#[test]
fn incompatible_draft_types_do_not_talk() {
    let ctx = Context::new();
    let gather = ctx.socket(GATHER, T_MS).unwrap();
    let ep = gather.bind(ANY_PORT).unwrap();
    let client = Client::new().unwrap();
    client.connect(&ep).unwrap();
    // The refused connection may already be gone, leaving no pipe: do not wait.
    let _ = client.send_timeout("wrong type", Duration::from_millis(200));
    let scatter = Scatter::new().unwrap();
    scatter.connect(&ep).unwrap();
    scatter.send("right type").unwrap();
    assert_eq!(gather.recv().unwrap(), b"right type");
    gather.set_rcvtimeo(200).unwrap();
    assert_eq!(
        gather.recv().unwrap_err().errno,
        11,
        "only EAGAIN: nothing else came"
    );
}
