//! RADIO/DISH over tcp, ipc, inproc and udp (unicast, and multicast on loopback),
//! and DGRAM: groups, join/leave, filtering at the RADIO and at the DISH, the wire
//! forms (ZMTP frames and datagrams), limits and the errors libzmq gives.
//!
//! Joins travel asynchronously, so tests first send probes (`[group]["#sync"]`) until
//! the DISH receives one. To show that a message was *not* delivered, a test sends a
//! fence after it: messages of one RADIO arrive in order, so the fence arriving
//! first proves it.

#[path = "support/multicast.rs"]
mod multicast;

use std::net::{SocketAddr, UdpSocket as StdUdpSocket};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zocket::proto::{Command, Event, Session, SessionConfig};
use zocket::{Dgram, Dish, Error, Message, Options, Radio, Socket, SocketType};

const T: Duration = Duration::from_secs(5);
const PROBE: &str = "#sync";

fn socket(t: SocketType) -> Socket {
    Socket::new(t).unwrap()
}

fn configure(s: &Socket, f: impl FnOnce(&mut Options)) {
    let mut o = s.options();
    f(&mut o);
    s.set_options(o).unwrap();
}

fn grouped(group: &str, body: &str) -> Message {
    Message::from_frames(vec![
        Bytes::copy_from_slice(group.as_bytes()),
        Bytes::copy_from_slice(body.as_bytes()),
    ])
}

fn text(m: &Message) -> (String, String) {
    assert_eq!(m.len(), 2, "{m:?}");
    (
        String::from_utf8_lossy(&m[0]).into_owned(),
        String::from_utf8_lossy(&m[1]).into_owned(),
    )
}

async fn recv(s: &Socket) -> Message {
    tokio::time::timeout(T, s.recv())
        .await
        .expect("timed out")
        .unwrap()
}

/// Sends probes to `group` until the DISH receives one: its join took effect.
async fn sync(radio: &Socket, dish: &Socket, group: &str) {
    let wait = async {
        loop {
            radio.send(grouped(group, PROBE)).await.unwrap();
            if let Ok(m) = dish.recv_timeout(Some(Duration::from_millis(20))).await {
                if text(&m) == (group.to_string(), PROBE.to_string()) {
                    return;
                }
            }
        }
    };
    tokio::time::timeout(T, wait)
        .await
        .expect("the join never took effect");
}

/// What the DISH receives (probes skipped) before the message whose body is `fence`.
async fn until(dish: &Socket, fence: &str) -> Vec<(String, String)> {
    let mut got = Vec::new();
    loop {
        let (group, body) = text(&recv(dish).await);
        if body == fence {
            return got;
        }
        if body != PROBE {
            got.push((group, body));
        }
    }
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(g, b)| (g.to_string(), b.to_string()))
        .collect()
}

/// Joins, filters exactly, and leaves, between a RADIO and a DISH joined by
/// `link(radio, dish)`.
async fn join_filter_leave(radio: &Socket, dish: &Socket) {
    sync(radio, dish, "a").await;
    sync(radio, dish, "b").await;
    for (g, b) in [
        ("a", "1"),
        ("c", "x"),
        ("b", "2"),
        ("ab", "x"),
        ("", "x"),
        ("A", "x"),
        ("a", "3"),
        ("b", "fence"),
    ] {
        radio.send(grouped(g, b)).await.unwrap();
    }
    assert_eq!(
        until(dish, "fence").await,
        pairs(&[("a", "1"), ("b", "2"), ("a", "3")])
    );
    dish.leave("a").unwrap();
    for (g, b) in [("a", "4"), ("b", "5"), ("b", "fence")] {
        radio.send(grouped(g, b)).await.unwrap();
    }
    assert_eq!(until(dish, "fence").await, pairs(&[("b", "5")]));
    // Join again: delivered again.
    dish.join("a").unwrap();
    sync(radio, dish, "a").await;
    radio.send(grouped("a", "6")).await.unwrap();
    radio.send(grouped("b", "fence")).await.unwrap();
    assert_eq!(until(dish, "fence").await, pairs(&[("a", "6")]));
}

/// RADIO binds `endpoint`, DISH connects (or the other way round with `dish_binds`).
async fn over(endpoint: &str, dish_binds: bool) {
    let radio = socket(SocketType::Radio);
    let dish = socket(SocketType::Dish);
    dish.join("a").unwrap();
    dish.join("b").unwrap();
    if dish_binds {
        let ep = dish.bind(endpoint).await.unwrap();
        radio.connect(&ep).await.unwrap();
    } else {
        let ep = radio.bind(endpoint).await.unwrap();
        dish.connect(&ep).await.unwrap();
    }
    join_filter_leave(&radio, &dish).await;
}

#[tokio::test]
async fn tcp_join_filter_leave() {
    over("tcp://127.0.0.1:*", false).await;
}

#[tokio::test]
async fn tcp_dish_binds_and_radio_connects() {
    over("tcp://127.0.0.1:*", true).await;
}

#[cfg(unix)]
#[tokio::test]
async fn ipc_join_filter_leave() {
    over("ipc://*", false).await;
}

#[tokio::test]
async fn inproc_join_filter_leave() {
    over("inproc://radio-dish-join-filter-leave", false).await;
    over("inproc://radio-dish-dish-binds", true).await;
}

#[tokio::test]
async fn udp_unicast_join_filter_leave() {
    over("udp://127.0.0.1:*", true).await;
}

#[tokio::test]
async fn udp_unicast_over_ipv6_loopback() {
    if StdUdpSocket::bind("[::1]:0").is_err() {
        eprintln!("udp_unicast_over_ipv6_loopback skipped: no ::1 on this host");
        return;
    }
    over("udp://[::1]:*", true).await;
}

#[tokio::test]
async fn udp_unbind_and_disconnect() {
    let dish = socket(SocketType::Dish);
    let ep = dish.bind("udp://127.0.0.1:*").await.unwrap();
    dish.join("g").unwrap();
    let radio = socket(SocketType::Radio);
    radio.connect(&ep).await.unwrap();
    sync(&radio, &dish, "g").await;

    // Disconnected, the RADIO has nowhere to send: messages are dropped.
    radio.disconnect(&ep).await.unwrap();
    radio.send(grouped("g", "lost")).await.unwrap();
    let other = socket(SocketType::Radio);
    other.connect(&ep).await.unwrap();
    other.send(grouped("g", "fence")).await.unwrap();
    assert!(until(&dish, "fence").await.is_empty());

    // Unbound, the port is free again (once the socket's task has gone).
    dish.unbind(&ep).await.unwrap();
    assert_eq!(dish.unbind(&ep).await.unwrap_err().errno_name(), "ENOENT");
    let again = socket(SocketType::Dish);
    let rebound = tokio::time::timeout(T, async {
        loop {
            match again.bind(&ep).await {
                Ok(rebound) => return rebound,
                Err(e) => assert_eq!(e.errno_name(), "EADDRINUSE", "{e}"),
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the port was never released");
    assert_eq!(rebound, ep);
}

#[tokio::test]
async fn a_radio_reaches_every_dish_of_a_group() {
    let radio = socket(SocketType::Radio);
    let ep = radio.bind("tcp://127.0.0.1:*").await.unwrap();
    let (d1, d2) = (socket(SocketType::Dish), socket(SocketType::Dish));
    d1.join("g").unwrap();
    d2.join("g").unwrap();
    d2.join("h").unwrap();
    d1.connect(&ep).await.unwrap();
    d2.connect(&ep).await.unwrap();
    sync(&radio, &d1, "g").await;
    sync(&radio, &d2, "g").await;
    sync(&radio, &d2, "h").await;
    for (g, b) in [("g", "1"), ("h", "2"), ("g", "fence"), ("h", "fence")] {
        radio.send(grouped(g, b)).await.unwrap();
    }
    assert_eq!(until(&d1, "fence").await, pairs(&[("g", "1")]));
    assert_eq!(until(&d2, "fence").await, pairs(&[("g", "1"), ("h", "2")]));
}

/// A ZMTP peer driven by hand, to see exactly what zocket puts on the wire.
struct RawPeer {
    stream: TcpStream,
    session: Session,
    /// Every byte received after the handshake.
    wire: Vec<u8>,
    ready: bool,
}

impl RawPeer {
    fn new(stream: TcpStream, t: SocketType) -> RawPeer {
        let session = Session::new(SessionConfig::new(t), std::time::Instant::now()).unwrap();
        RawPeer {
            stream,
            session,
            wire: Vec::new(),
            ready: false,
        }
    }

    async fn flush(&mut self) {
        while let Some(chunk) = self.session.poll_transmit() {
            self.stream.write_all(&chunk).await.unwrap();
        }
    }

    /// Reads until at least one event arrives (or the connection closes: `None`).
    async fn next_events(&mut self) -> Option<Vec<Event>> {
        let mut events = Vec::new();
        loop {
            self.flush().await;
            while let Some(e) = self.session.poll_event() {
                if matches!(e, Event::HandshakeSucceeded(_)) {
                    self.ready = true;
                } else {
                    events.push(e);
                }
            }
            if !events.is_empty() {
                return Some(events);
            }
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout(T, self.stream.read(&mut buf))
                .await
                .expect("peer silent")
                .unwrap();
            if n == 0 {
                return None;
            }
            if self.ready {
                self.wire.extend_from_slice(&buf[..n]);
            }
            self.session
                .handle_input(&buf[..n], std::time::Instant::now())
                .unwrap();
        }
    }

    /// Reads until `n` events arrived, in order.
    async fn events(&mut self, n: usize) -> Vec<Event> {
        let mut got = Vec::new();
        while got.len() < n {
            got.extend(self.next_events().await.expect("closed"));
        }
        got
    }

    async fn handshake(&mut self) {
        while !self.ready {
            self.flush().await;
            let mut buf = [0u8; 4096];
            let n = tokio::time::timeout(T, self.stream.read(&mut buf))
                .await
                .expect("no handshake")
                .unwrap();
            assert!(n > 0, "closed during the handshake");
            self.session
                .handle_input(&buf[..n], std::time::Instant::now())
                .unwrap();
            if self.session.is_ready() {
                self.ready = true;
            }
        }
        self.flush().await;
    }
}

#[tokio::test]
async fn radio_filters_at_the_source_and_sends_group_then_body_frames() {
    let radio = socket(SocketType::Radio);
    let ep = radio.bind("tcp://127.0.0.1:*").await.unwrap();
    let stream = TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .unwrap();
    let mut dish = RawPeer::new(stream, SocketType::Dish);
    dish.handshake().await;
    dish.session
        .send_command(&Command::Join {
            group: Bytes::from_static(b"a"),
        })
        .unwrap();
    dish.flush().await;
    // "b" was never joined: the RADIO must not send it at all. Keep sending until
    // the JOIN has arrived and "a" comes through.
    let events = tokio::time::timeout(T, async {
        loop {
            radio.send(grouped("b", "never")).await.unwrap();
            radio.send(grouped("a", "hi")).await.unwrap();
            tokio::select! {
                e = dish.next_events() => return e.expect("closed"),
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    })
    .await
    .expect("no message for the joined group");
    assert_eq!(events[0], Event::Message(grouped("a", "hi")));
    // On the wire: `01 01 'a'` (group frame, MORE) then `00 02 "hi"`.
    assert!(
        dish.wire.starts_with(b"\x01\x01a\x00\x02hi"),
        "{:?}",
        dish.wire
    );
    assert!(
        !dish.wire.windows(3).any(|w| w == b"\x01\x01b"),
        "an unjoined group reached the wire"
    );
    // After LEAVE, nothing more of "a": a fence in a newly joined group proves it.
    dish.session
        .send_command(&Command::Leave {
            group: Bytes::from_static(b"a"),
        })
        .unwrap();
    dish.session
        .send_command(&Command::Join {
            group: Bytes::from_static(b"z"),
        })
        .unwrap();
    dish.flush().await;
    let fence = tokio::time::timeout(T, async {
        let mut seen = Vec::new();
        loop {
            radio.send(grouped("a", "after leave")).await.unwrap();
            radio.send(grouped("z", "fence")).await.unwrap();
            tokio::select! {
                e = dish.next_events() => {
                    for e in e.expect("closed") {
                        if e == Event::Message(grouped("z", "fence")) {
                            return seen;
                        }
                        seen.push(e);
                    }
                }
                () = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
    })
    .await
    .expect("no fence");
    // Messages sent before the LEAVE arrived may precede the fence; none after it.
    assert!(
        fence
            .iter()
            .all(|e| *e == Event::Message(grouped("a", "hi"))
                || *e == Event::Message(grouped("a", "after leave"))),
        "{fence:?}"
    );
    radio.send(grouped("a", "late")).await.unwrap();
    radio.send(grouped("z", "last")).await.unwrap();
    let mut rest = Vec::new();
    while !rest.contains(&Event::Message(grouped("z", "last"))) {
        rest.extend(dish.next_events().await.expect("closed"));
    }
    assert!(
        !rest.contains(&Event::Message(grouped("a", "late"))),
        "{rest:?}"
    );
}

#[tokio::test]
async fn dish_sends_join_and_leave_and_replays_joins_on_reconnect() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let dish = socket(SocketType::Dish);
    configure(&dish, |o| o.reconnect_ivl = Some(Duration::from_millis(20)));
    dish.join("a").unwrap();
    dish.join("b").unwrap();
    dish.connect(&format!("tcp://{addr}")).await.unwrap();

    let (stream, _) = listener.accept().await.unwrap();
    let mut radio = RawPeer::new(stream, SocketType::Radio);
    radio.handshake().await;
    let mut joined = radio.events(2).await;
    joined.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(
        joined,
        [
            Event::Join(Bytes::from_static(b"a")),
            Event::Join(Bytes::from_static(b"b"))
        ]
    );
    dish.leave("b").unwrap();
    dish.join("c").unwrap();
    assert_eq!(
        radio.events(2).await,
        [
            Event::Leave(Bytes::from_static(b"b")),
            Event::Join(Bytes::from_static(b"c"))
        ]
    );
    // What a RADIO sends: [group][body]. Single frames and longer messages are not
    // radio-dish messages and never reach the application.
    radio
        .session
        .send_message(&Message::from("single"))
        .unwrap();
    let mut three = grouped("a", "x");
    three.push_back("y");
    radio.session.send_message(&three).unwrap();
    radio.session.send_message(&grouped("b", "left")).unwrap();
    radio.session.send_message(&grouped("a", "ok")).unwrap();
    radio.flush().await;
    assert_eq!(text(&recv(&dish).await), ("a".into(), "ok".into()));

    // The connection drops: the next one gets the current groups again.
    drop(radio);
    let (stream, _) = tokio::time::timeout(T, listener.accept())
        .await
        .expect("no reconnection")
        .unwrap();
    let mut radio = RawPeer::new(stream, SocketType::Radio);
    radio.handshake().await;
    let mut joined = radio.events(2).await;
    joined.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(
        joined,
        [
            Event::Join(Bytes::from_static(b"a")),
            Event::Join(Bytes::from_static(b"c"))
        ]
    );
}

#[tokio::test]
async fn group_names_are_at_most_255_bytes() {
    let dish = socket(SocketType::Dish);
    let longest = "g".repeat(255);
    let too_long = "g".repeat(256);
    dish.join(&longest).unwrap();
    let e = dish.join(&too_long).unwrap_err();
    assert_eq!(e.errno_name(), "EINVAL");
    assert!(e.to_string().contains("256"), "{e}");
    assert_eq!(dish.leave(&too_long).unwrap_err().errno_name(), "EINVAL");

    let radio = socket(SocketType::Radio);
    let ep = radio.bind("tcp://127.0.0.1:*").await.unwrap();
    dish.connect(&ep).await.unwrap();
    sync(&radio, &dish, &longest).await;
    let e = radio.send(grouped(&too_long, "x")).await.unwrap_err();
    assert_eq!(e.errno_name(), "EINVAL");
    assert!(e.to_string().contains("255"), "{e}");
}

#[tokio::test]
async fn join_twice_or_leave_a_non_member_is_einval() {
    let dish = socket(SocketType::Dish);
    dish.join("g").unwrap();
    let e = dish.join("g").unwrap_err();
    assert!(matches!(e, Error::InvalidOption { .. }), "{e:?}");
    assert_eq!(e.errno_name(), "EINVAL");
    dish.leave("g").unwrap();
    assert_eq!(dish.leave("g").unwrap_err().errno_name(), "EINVAL");
    assert_eq!(dish.leave("never").unwrap_err().errno_name(), "EINVAL");
    // The empty group is a group like any other.
    dish.join("").unwrap();
    dish.leave("").unwrap();
}

#[tokio::test]
async fn operations_each_type_refuses() {
    let radio = socket(SocketType::Radio);
    let dish = socket(SocketType::Dish);
    let sub = socket(SocketType::Sub);
    assert_eq!(radio.try_recv().unwrap_err().errno_name(), "ENOTSUP");
    assert_eq!(
        dish.send(grouped("g", "x")).await.unwrap_err().errno_name(),
        "ENOTSUP"
    );
    assert_eq!(radio.join("g").unwrap_err().errno_name(), "ENOTSUP");
    assert_eq!(sub.join("g").unwrap_err().errno_name(), "ENOTSUP");
    assert_eq!(sub.leave("g").unwrap_err().errno_name(), "ENOTSUP");
    assert_eq!(dish.subscribe("g").unwrap_err().errno_name(), "EINVAL");
    assert_eq!(dish.unsubscribe("g").unwrap_err().errno_name(), "EINVAL");
    // A RADIO message is [group][body]: one frame, or a multipart body, is refused.
    for frames in [vec!["only"], vec!["g", "b1", "b2"]] {
        let m = Message::from_frames(frames.into_iter().map(Bytes::from).collect());
        let e = radio.send(m).await.unwrap_err();
        assert_eq!(e.errno_name(), "EINVAL", "{e}");
    }
}

#[tokio::test]
async fn radio_drops_at_hwm_or_waits_with_xpub_nodrop() {
    for nodrop in [false, true] {
        let radio = socket(SocketType::Radio);
        configure(&radio, |o| {
            o.sndhwm = 1;
            o.xpub_nodrop = nodrop;
        });
        let name = format!("inproc://radio-hwm-{nodrop}");
        radio.bind(&name).await.unwrap();
        let dish = socket(SocketType::Dish);
        configure(&dish, |o| o.rcvhwm = 1);
        dish.join("g").unwrap();
        dish.connect(&name).await.unwrap();
        sync(&radio, &dish, "g").await;
        // The DISH does not read: its queue and the RADIO's fill up.
        let mut blocked = 0;
        for i in 0..50 {
            match radio.try_send(grouped("g", &i.to_string())) {
                Ok(()) => {}
                Err(Error::WouldBlock) => blocked += 1,
                Err(e) => panic!("{e}"),
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        if nodrop {
            assert!(blocked > 0, "XPUB_NODROP never made the send wait");
        } else {
            assert_eq!(blocked, 0, "a RADIO drops at the HWM, never waits");
            let mut got = 0;
            while dish
                .recv_timeout(Some(Duration::from_millis(100)))
                .await
                .is_ok()
            {
                got += 1;
            }
            assert!(got < 50, "nothing was dropped ({got} received)");
        }
    }
}

#[tokio::test]
async fn udp_datagrams_are_at_most_8192_bytes() {
    let dish = socket(SocketType::Dish);
    let ep = dish.bind("udp://127.0.0.1:*").await.unwrap();
    dish.join("g").unwrap();
    let radio = socket(SocketType::Radio);
    radio.connect(&ep).await.unwrap();
    sync(&radio, &dish, "g").await;
    // 1 (group length) + 1 (group) + 8190 = 8192: the largest datagram.
    let largest = "x".repeat(8190);
    radio.send(grouped("g", &largest)).await.unwrap();
    let e = radio
        .send(grouped("g", &"x".repeat(8191)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            Error::MessageTooLarge {
                size: 8193,
                limit: 8192
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.errno_name(), "EMSGSIZE");
    radio.send(grouped("g", "fence")).await.unwrap();
    let got = until(&dish, "fence").await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1, largest);
}

#[tokio::test]
async fn dish_ignores_malformed_and_oversized_datagrams() {
    let dish = socket(SocketType::Dish);
    let ep = dish.bind("udp://127.0.0.1:*").await.unwrap();
    dish.join("a").unwrap();
    dish.join("").unwrap();
    let to: SocketAddr = ep.trim_start_matches("udp://").parse().unwrap();
    let raw = StdUdpSocket::bind("127.0.0.1:0").unwrap();
    let mut oversized = vec![1u8, b'a'];
    oversized.resize(8193, b'x');
    let mut largest = vec![1u8, b'a'];
    largest.resize(8192, b'y');
    for datagram in [
        &b""[..],   // no group length
        b"\x05ab",  // shorter than its group says
        &oversized, // over 8192 bytes
        b"\x01b",   // a group not joined
        b"\x01a",   // joined, empty body
        b"\x00",    // the empty group, empty body
        b"\x01aok", // joined
        &largest,   // exactly 8192 bytes
        b"\x01afence",
    ] {
        raw.send_to(datagram, to).unwrap();
    }
    let mut got = Vec::new();
    loop {
        let m = recv(&dish).await;
        if &m[1][..] == b"fence" {
            break;
        }
        got.push((m[0].clone(), m[1].len()));
    }
    assert_eq!(
        got,
        [
            (Bytes::from_static(b"a"), 0),
            (Bytes::from_static(b""), 0),
            (Bytes::from_static(b"a"), 2),
            (Bytes::from_static(b"a"), 8190)
        ]
    );
}

#[tokio::test]
async fn radio_sends_the_datagram_layout() {
    let raw = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let radio = socket(SocketType::Radio);
    radio
        .connect(&format!("udp://{}", raw.local_addr().unwrap()))
        .await
        .unwrap();
    // Over udp:// every group is sent: the receiver filters.
    radio.send(grouped("weather", "sunny")).await.unwrap();
    radio.send(grouped("", "")).await.unwrap();
    let mut buf = [0u8; 9000];
    let n = tokio::time::timeout(T, raw.recv(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"\x07weathersunny");
    let n = tokio::time::timeout(T, raw.recv(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"\x00");
}

#[tokio::test]
async fn udp_is_for_radio_dish_and_dgram_in_their_roles() {
    let incompatible = |e: Error, t: SocketType| {
        assert!(
            matches!(e, Error::IncompatibleTransport { socket_type, .. } if socket_type == t),
            "{e:?}"
        );
        assert_eq!(e.errno_name(), "ENOCOMPATPROTO");
    };
    for t in [
        SocketType::Push,
        SocketType::Pull,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Router,
        SocketType::Pair,
    ] {
        let s = socket(t);
        incompatible(s.bind("udp://127.0.0.1:*").await.unwrap_err(), t);
        incompatible(s.connect("udp://127.0.0.1:5555").await.unwrap_err(), t);
    }
    // As in libzmq: a RADIO connects, a DISH and a DGRAM bind.
    let radio = socket(SocketType::Radio);
    incompatible(
        radio.bind("udp://127.0.0.1:*").await.unwrap_err(),
        SocketType::Radio,
    );
    let dish = socket(SocketType::Dish);
    incompatible(
        dish.connect("udp://127.0.0.1:5555").await.unwrap_err(),
        SocketType::Dish,
    );
    let dgram = socket(SocketType::Dgram);
    incompatible(
        dgram.connect("udp://127.0.0.1:5555").await.unwrap_err(),
        SocketType::Dgram,
    );
    // DGRAM speaks nothing but udp://.
    incompatible(
        dgram.bind("tcp://127.0.0.1:*").await.unwrap_err(),
        SocketType::Dgram,
    );
    // Connect needs a host and a port.
    for ep in ["udp://*:5555", "udp://127.0.0.1:*"] {
        assert_eq!(
            radio.connect(ep).await.unwrap_err().errno_name(),
            "EINVAL",
            "{ep}"
        );
    }
}

#[tokio::test]
async fn dgram_echo() {
    let server = socket(SocketType::Dgram);
    let server_ep = server.bind("udp://127.0.0.1:*").await.unwrap();
    let client = socket(SocketType::Dgram);
    let client_ep = client.bind("udp://127.0.0.1:*").await.unwrap();
    let server_addr = server_ep.trim_start_matches("udp://");
    let client_addr = client_ep.trim_start_matches("udp://");

    let expected_sender = client_addr.to_string();
    let echo = tokio::spawn(async move {
        for _ in 0..3 {
            let m = recv(&server).await;
            assert_eq!(m.len(), 2);
            assert_eq!(&m[0][..], expected_sender.as_bytes());
            // Reply to whoever sent it.
            let mut reply = Message::single(m[0].clone());
            reply.push_back(m[1].to_ascii_uppercase());
            server.send(reply).await.unwrap();
        }
    });
    for word in ["one", "two", "three"] {
        let mut m = Message::single(server_addr.to_string());
        m.push_back(word);
        client.send(m).await.unwrap();
        let reply = recv(&client).await;
        assert_eq!(&reply[0][..], server_addr.as_bytes());
        assert_eq!(&reply[1][..], word.to_uppercase().as_bytes());
    }
    echo.await.unwrap();
}

#[tokio::test]
async fn dgram_receives_the_senders_address_and_checks_what_it_sends() {
    let dgram = socket(SocketType::Dgram);
    let ep = dgram.bind("udp://127.0.0.1:*").await.unwrap();
    let raw = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    raw.send_to(b"from raw", ep.trim_start_matches("udp://"))
        .await
        .unwrap();
    let m = recv(&dgram).await;
    assert_eq!(&m[0][..], raw.local_addr().unwrap().to_string().as_bytes());
    assert_eq!(&m[1][..], b"from raw");

    let mut to_raw = Message::single(raw.local_addr().unwrap().to_string());
    to_raw.push_back("back");
    dgram.send(to_raw).await.unwrap();
    let mut buf = [0u8; 100];
    let (n, from) = tokio::time::timeout(T, raw.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"back");
    assert_eq!(format!("udp://{from}"), ep);

    for (addr, frames) in [("not an address", 2), ("127.0.0.1", 2), ("127.0.0.1:1", 3)] {
        let mut m = Message::single(addr);
        for _ in 1..frames {
            m.push_back("x");
        }
        let e = dgram.send(m).await.unwrap_err();
        assert_eq!(e.errno_name(), "EINVAL", "{addr} {frames}");
    }
    let mut big = Message::single(raw.local_addr().unwrap().to_string());
    big.push_back(vec![0u8; 8193]);
    assert_eq!(dgram.send(big).await.unwrap_err().errno_name(), "EMSGSIZE");
    assert_eq!(
        dgram
            .bind("udp://127.0.0.1:*")
            .await
            .unwrap_err()
            .errno_name(),
        "ENOTSUP",
        "one socket per DGRAM"
    );
}

#[tokio::test]
async fn typed_radio_dish_and_dgram() {
    let dish = Dish::new().unwrap();
    let ep = dish.bind("udp://127.0.0.1:*").await.unwrap();
    dish.join("t").unwrap();
    let radio = Radio::new().unwrap();
    radio.connect(&ep).await.unwrap();
    let got = tokio::time::timeout(T, async {
        loop {
            radio.send("u", "not joined").await.unwrap();
            radio.send("t", "typed").await.unwrap();
            if let Ok(got) = dish.recv_timeout(Some(Duration::from_millis(20))).await {
                return got;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(
        got,
        (Bytes::from_static(b"t"), Bytes::from_static(b"typed"))
    );
    dish.leave("t").unwrap();
    assert_eq!(dish.leave("t").unwrap_err().errno_name(), "EINVAL");

    let a = Dgram::new().unwrap();
    let b = Dgram::new().unwrap();
    let a_addr: SocketAddr = a
        .bind("udp://127.0.0.1:*")
        .await
        .unwrap()
        .trim_start_matches("udp://")
        .parse()
        .unwrap();
    let b_addr: SocketAddr = b
        .bind("udp://127.0.0.1:*")
        .await
        .unwrap()
        .trim_start_matches("udp://")
        .parse()
        .unwrap();
    a.send_to(b_addr, "hello").await.unwrap();
    let (from, payload) = tokio::time::timeout(T, b.recv_from())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((from, &payload[..]), (a_addr, &b"hello"[..]));
}

/// Multicast group used by [`udp_multicast_on_loopback`]; distinct from the
/// example's.
const GROUP: &str = "239.255.91.7";

async fn multicast_on_loopback() {
    // Two DISHes share the group's port; only the one that joined "g" gets it.
    let d1 = socket(SocketType::Dish);
    let ep = d1
        .bind(&format!("udp://127.0.0.1;{GROUP}:*"))
        .await
        .unwrap();
    assert!(ep.starts_with(&format!("udp://127.0.0.1;{GROUP}:")), "{ep}");
    let d2 = socket(SocketType::Dish);
    assert_eq!(d2.bind(&ep).await.unwrap(), ep, "the port is shared");
    d1.join("g").unwrap();
    d2.join("g").unwrap();
    d2.join("h").unwrap();
    let radio = socket(SocketType::Radio);
    configure(&radio, |o| {
        assert_eq!((o.multicast_hops, o.multicast_loop), (1, true));
        o.multicast_hops = 1;
    });
    radio.connect(&ep).await.unwrap();
    sync(&radio, &d1, "g").await;
    sync(&radio, &d2, "g").await;
    sync(&radio, &d2, "h").await;
    for (g, b) in [
        ("g", "1"),
        ("h", "2"),
        ("x", "3"),
        ("g", "fence"),
        ("h", "fence"),
    ] {
        radio.send(grouped(g, b)).await.unwrap();
    }
    assert_eq!(until(&d1, "fence").await, pairs(&[("g", "1")]));
    assert_eq!(until(&d2, "fence").await, pairs(&[("g", "1"), ("h", "2")]));

    // A DISH that leaves stops receiving; the other still does.
    d2.leave("g").unwrap();
    for (g, b) in [("g", "2"), ("h", "fence"), ("g", "fence")] {
        radio.send(grouped(g, b)).await.unwrap();
    }
    assert!(until(&d2, "fence").await.is_empty());
    assert_eq!(until(&d1, "fence").await, pairs(&[("g", "2")]));
}

#[test]
fn udp_multicast_on_loopback() {
    match multicast::plan("radio-dish") {
        multicast::Plan::Here => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(multicast_on_loopback()),
        multicast::Plan::InNamespace(ns) => {
            let out = ns.run(
                &std::env::current_exe().unwrap(),
                &["--exact", "udp_multicast_on_loopback", "--nocapture"],
            );
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                out.status.success() && stdout.contains("1 passed"),
                "in the namespace:\n{stdout}\n{stderr}"
            );
            eprintln!("udp_multicast_on_loopback ran in a network namespace");
        }
        multicast::Plan::Skip(why) => eprintln!("udp_multicast_on_loopback skipped: {why}"),
    }
}
