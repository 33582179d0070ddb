//! Session: the whole connection state machine, driven with byte vectors and a fake clock.

use std::time::{Duration, Instant};

use bytes::{BufMut, Bytes, BytesMut};
use zocket_proto::{
    Error, Event, Limits, Message, ProtocolError, Session, SessionConfig, SocketType, UsageError,
    Version,
};

/// libzmq 4.3's greeting: NULL, version 3.1, padding = u64 BE 1 (empty routing id).
fn libzmq_greeting(minor: u8) -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, minor];
    g.extend_from_slice(b"NULL");
    g.resize(64, 0);
    g
}

/// The RFC 37 worked example: READY of a DEALER with an empty identity.
const DEALER_READY: &[u8] =
    b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00";

fn ready_of(socket_type: &str) -> Vec<u8> {
    let mut body = vec![5];
    body.extend_from_slice(b"READY");
    body.push(11);
    body.extend_from_slice(b"Socket-Type");
    body.put_u32(socket_type.len() as u32);
    body.extend_from_slice(socket_type.as_bytes());
    let mut f = vec![0x04, body.len() as u8];
    f.extend_from_slice(&body);
    f
}

fn drain(s: &mut Session) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(c) = s.poll_transmit() {
        out.extend_from_slice(&c);
    }
    out
}

fn events(s: &mut Session) -> Vec<Event> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

/// Feeds `data` whole or one byte at a time.
fn feed(s: &mut Session, data: &[u8], now: Instant, bytewise: bool) -> Result<(), Error> {
    if bytewise {
        for b in data {
            s.handle_input(std::slice::from_ref(b), now)?;
        }
        Ok(())
    } else {
        s.handle_input(data, now)
    }
}

/// A ROUTER session that has completed the handshake with a raw libzmq DEALER.
fn router_ready(now: Instant) -> Session {
    let mut s = Session::new(SessionConfig::new(SocketType::Router), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(DEALER_READY, now).unwrap();
    drain(&mut s);
    assert!(matches!(events(&mut s)[..], [Event::HandshakeSucceeded(_)]));
    s
}

/// A PULL session with the given frame-size limit, past its handshake with a
/// libzmq PUSH.
fn pull_ready(max_frame_size: Option<u64>, now: Instant) -> Session {
    let config = SessionConfig::new(SocketType::Pull)
        .with_limits(Limits::default().with_max_frame_size(max_frame_size));
    let mut s = Session::new(config, now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(&ready_of("PUSH"), now).unwrap();
    events(&mut s);
    s
}

#[test]
fn greeting_is_sent_before_anything_is_received() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Dealer), now).unwrap();
    let out = drain(&mut s);
    assert_eq!(out.len(), 64);
    assert_eq!(&out[..12], &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1]);
    assert_eq!(&out[12..16], b"NULL");
    assert!(!s.is_ready());
}

#[test]
fn handshake_with_libzmq_dealer_whole_and_bytewise() {
    for bytewise in [false, true] {
        let now = Instant::now();
        let mut s = Session::new(SessionConfig::new(SocketType::Router), now).unwrap();
        drain(&mut s);
        feed(&mut s, &libzmq_greeting(1), now, bytewise).unwrap();
        // Our READY goes out as soon as the greeting is complete: a ROUTER sends an
        // empty Identity, as libzmq does.
        let ready = drain(&mut s);
        let expected =
            b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06ROUTER\x08Identity\x00\x00\x00\x00";
        assert_eq!(ready, expected);
        feed(&mut s, DEALER_READY, now, bytewise).unwrap();
        let ev = events(&mut s);
        let [Event::HandshakeSucceeded(peer)] = &ev[..] else {
            panic!("{ev:?}")
        };
        assert_eq!(peer.socket_type, Some(SocketType::Dealer));
        assert_eq!(peer.version, Version::V3_1);
        assert!(peer.identity.is_empty());
        assert!(s.is_ready());
        assert_eq!(
            s.poll_timeout(),
            None,
            "handshake deadline cleared, no heartbeat"
        );
    }
}

#[test]
fn ready_without_socket_type_is_accepted_like_libzmq() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Pull), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(b"\x04\x06\x05READY", now).unwrap();
    let ev = events(&mut s);
    let [Event::HandshakeSucceeded(peer)] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(peer.socket_type, None);
}

#[test]
fn socket_type_mismatch_is_a_protocol_error() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Pull), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    let err = s.handle_input(&ready_of("PULL"), now).unwrap_err();
    assert!(matches!(
        err,
        Error::Protocol(ProtocolError::IncompatibleSocketType {
            ours: SocketType::Pull,
            ..
        })
    ));
    assert!(s.is_closed());
    assert_eq!(s.handle_input(b"x", now), Err(Error::Closed));
    // Socket-Type names are case-sensitive, as in libzmq.
    let mut s = Session::new(SessionConfig::new(SocketType::Pull), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    assert!(s.handle_input(&ready_of("push"), now).is_err());
}

#[test]
fn mechanism_mismatch_is_a_protocol_error() {
    let now = Instant::now();
    let mut g = libzmq_greeting(1);
    g[12..17].copy_from_slice(b"PLAIN");
    let mut s = Session::new(SessionConfig::new(SocketType::Req), now).unwrap();
    let err = s.handle_input(&g, now).unwrap_err();
    assert!(matches!(
        &err,
        Error::Protocol(ProtocolError::MechanismMismatch { ours: "NULL", theirs }) if theirs == "PLAIN"
    ));
    assert_eq!(err.errno_name(), "EPROTO");
}

#[test]
fn peer_error_command_during_handshake_is_fatal() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Req), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    let err = s
        .handle_input(b"\x04\x0a\x05ERROR\x03400", now)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Protocol(ProtocolError::PeerSentError {
            reason: "400".into()
        })
    );
}

#[test]
fn message_before_ready_is_a_protocol_error() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Pull), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    let err = s.handle_input(b"\x00\x02hi", now).unwrap_err();
    assert!(matches!(
        err,
        Error::Protocol(ProtocolError::UnexpectedDuringHandshake { .. })
    ));
}

#[test]
fn sending_before_ready_is_refused_locally() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Push), now).unwrap();
    assert_eq!(
        s.send_message(&Message::from("x")),
        Err(UsageError::NotReady)
    );
    let mut ready = router_ready(now);
    assert_eq!(
        ready.send_message(&Message::new()),
        Err(UsageError::EmptyMessage)
    );
}

#[test]
fn multipart_message_is_delivered_whole_in_any_chunking() {
    let wire = b"\x01\x05hello\x01\x00\x02\x00\x00\x00\x00\x00\x00\x01\x2c";
    let mut wire = wire.to_vec();
    wire.extend_from_slice(&[b'z'; 300]);
    for bytewise in [false, true] {
        let now = Instant::now();
        let mut s = router_ready(now);
        feed(&mut s, &wire[..wire.len() - 1], now, bytewise).unwrap();
        assert!(
            events(&mut s).is_empty(),
            "nothing before the last frame is complete"
        );
        feed(&mut s, &wire[wire.len() - 1..], now, bytewise).unwrap();
        let ev = events(&mut s);
        let [Event::Message(m)] = &ev[..] else {
            panic!("{ev:?}")
        };
        assert_eq!(m.len(), 3);
        assert_eq!(&m[0][..], b"hello");
        assert!(m[1].is_empty());
        assert_eq!(&m[2][..], &[b'z'; 300][..]);
    }
}

#[test]
fn messages_encode_short_and_long_and_large_bodies_are_not_copied() {
    let now = Instant::now();
    let mut s = router_ready(now);
    let big = Bytes::from(vec![9u8; 100_000]);
    let m = Message::from_frames(vec![Bytes::from_static(b"id"), big.clone()]);
    s.send_message(&m).unwrap();
    let first = s.poll_transmit().unwrap();
    assert_eq!(
        &first[..],
        b"\x01\x02id\x02\x00\x00\x00\x00\x00\x01\x86\xa0"
    );
    let body = s.poll_transmit().unwrap();
    assert_eq!(
        body.as_ptr(),
        big.as_ptr(),
        "the 100 kB body is queued by reference"
    );
    assert_eq!(s.poll_transmit(), None);
}

#[test]
fn ping_is_answered_with_pong_echoing_context() {
    let now = Instant::now();
    let mut s = router_ready(now);
    // PING with TTL 0 and context "LOL".
    s.handle_input(b"\x04\x0a\x04PING\x00\x00LOL", now).unwrap();
    assert_eq!(drain(&mut s), b"\x04\x08\x04PONGLOL");
    assert!(events(&mut s).is_empty());
}

#[test]
fn ping_context_of_65_bytes_is_truncated_to_16_in_the_pong() {
    let now = Instant::now();
    let mut s = router_ready(now);
    let mut ping = vec![0x04, 7 + 65, 4];
    ping.extend_from_slice(b"PING\x00\x00");
    ping.extend((0..65u8).map(|i| b'a' + i % 26));
    s.handle_input(&ping, now).unwrap();
    let pong = drain(&mut s);
    let mut expected = vec![0x04, 5 + 16, 4];
    expected.extend_from_slice(b"PONG");
    expected.extend((0..16u8).map(|i| b'a' + i % 26));
    assert_eq!(pong, expected);
}

#[test]
fn peer_ping_ttl_closes_a_silent_connection() {
    let now = Instant::now();
    let mut s = router_ready(now);
    // TTL 20 deciseconds = 2 s.
    s.handle_input(b"\x04\x07\x04PING\x00\x14", now).unwrap();
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_secs(2)));
    s.handle_timeout(now + Duration::from_millis(1999)).unwrap();
    // Any traffic disarms it.
    s.handle_input(b"\x00\x00", now + Duration::from_millis(1500))
        .unwrap();
    assert_eq!(s.poll_timeout(), None);
    s.handle_input(b"\x04\x07\x04PING\x00\x14", now).unwrap();
    let err = s.handle_timeout(now + Duration::from_secs(2)).unwrap_err();
    assert_eq!(err, Error::HeartbeatTimeout { millis: 2000 });
    assert!(s.is_closed());
}

#[test]
fn heartbeats_send_ping_and_time_out_without_traffic() {
    let now = Instant::now();
    let ivl = Duration::from_secs(1);
    let config = SessionConfig::new(SocketType::Dealer)
        .with_heartbeat_ivl(Some(ivl))
        .with_heartbeat_ttl(Duration::from_secs(3))
        .with_heartbeat_timeout(Some(Duration::from_millis(1500)));
    let mut s = Session::new(config, now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(&ready_of("ROUTER"), now).unwrap();
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(now + ivl));
    s.handle_timeout(now + ivl).unwrap();
    // PING, TTL 30 deciseconds, no context (libzmq's 7-byte body).
    assert_eq!(drain(&mut s), b"\x04\x07\x04PING\x00\x1e");
    // The heartbeat timeout (1.5 s after the PING) comes after the next PING (1 s).
    assert_eq!(s.poll_timeout(), Some(now + 2 * ivl));
    s.handle_timeout(now + 2 * ivl).unwrap();
    assert_eq!(drain(&mut s), b"\x04\x07\x04PING\x00\x1e");
    let err = s
        .handle_timeout(now + ivl + Duration::from_millis(1500))
        .unwrap_err();
    assert_eq!(err, Error::HeartbeatTimeout { millis: 1500 });
}

#[test]
fn pong_keeps_the_connection_alive() {
    let now = Instant::now();
    let ivl = Duration::from_secs(1);
    let config = SessionConfig::new(SocketType::Dealer).with_heartbeat_ivl(Some(ivl));
    let mut s = Session::new(config, now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(&ready_of("ROUTER"), now).unwrap();
    for i in 1..10u32 {
        let t = now + ivl * i;
        s.handle_timeout(t).unwrap();
        s.handle_input(b"\x04\x05\x04PONG", t + Duration::from_millis(10))
            .unwrap();
    }
    assert!(!s.is_closed());
}

#[test]
fn handshake_deadline() {
    let now = Instant::now();
    let config =
        SessionConfig::new(SocketType::Rep).with_handshake_ivl(Some(Duration::from_millis(250)));
    let mut s = Session::new(config, now).unwrap();
    assert_eq!(s.poll_timeout(), Some(now + Duration::from_millis(250)));
    s.handle_input(&libzmq_greeting(1)[..30], now).unwrap();
    s.handle_timeout(now + Duration::from_millis(249)).unwrap();
    let err = s
        .handle_timeout(now + Duration::from_millis(250))
        .unwrap_err();
    assert_eq!(err, Error::HandshakeTimeout { millis: 250 });
    assert_eq!(err.errno_name(), "ETIMEDOUT");
    assert_eq!(
        s.poll_transmit(),
        None,
        "nothing more is sent after a fatal error"
    );
}

#[test]
fn unknown_command_after_ready_is_ignored_like_libzmq() {
    let now = Instant::now();
    let mut s = router_ready(now);
    s.handle_input(b"\x04\x08\x07UNKNOWN", now).unwrap();
    s.handle_input(b"\x04\x06\x05READY", now).unwrap();
    s.handle_input(b"\x00\x01x", now).unwrap();
    assert_eq!(events(&mut s), vec![Event::Message(Message::from("x"))]);
}

#[test]
fn ping_between_frames_of_a_multipart_message_is_handled() {
    // libzmq can emit a PING between two frames of one message when its heartbeat
    // timer fires mid-message.
    let now = Instant::now();
    let mut s = router_ready(now);
    s.handle_input(b"\x01\x01a\x04\x07\x04PING\x00\x00\x00\x01b", now)
        .unwrap();
    assert_eq!(drain(&mut s), b"\x04\x05\x04PONG");
    let ev = events(&mut s);
    let [Event::Message(m)] = &ev[..] else {
        panic!("{ev:?}")
    };
    assert_eq!(m.frames(), &[Bytes::from("a"), Bytes::from("b")]);
}

#[test]
fn four_million_empty_more_frames_hit_the_frame_limit_with_bounded_memory() {
    let now = Instant::now();
    let mut s = router_ready(now);
    let limit = Limits::DEFAULT_MAX_FRAMES_PER_MESSAGE;
    let chunk: Vec<u8> = [0x01u8, 0x00].repeat(64 * 1024);
    let mut sent = 0usize;
    let mut result = Ok(());
    while sent < 4_000_000 {
        result = s.handle_input(&chunk, now);
        sent += 64 * 1024;
        if result.is_err() {
            break;
        }
    }
    assert_eq!(
        result,
        Err(Error::Protocol(ProtocolError::TooManyFrames { limit }))
    );
    assert!(sent <= 2 * limit, "refused after {sent} frames");
    assert!(events(&mut s).is_empty());
}

#[test]
fn frame_limit_is_configurable_and_exact() {
    let now = Instant::now();
    let config = SessionConfig::new(SocketType::Pull)
        .with_limits(Limits::default().with_max_frames_per_message(3));
    let mut s = Session::new(config, now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(&ready_of("PUSH"), now).unwrap();
    s.handle_input(b"\x01\x00\x01\x00\x00\x00", now).unwrap();
    assert_eq!(events(&mut s).len(), 2);
    let err = s
        .handle_input(b"\x01\x00\x01\x00\x01\x00\x00\x00", now)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Protocol(ProtocolError::TooManyFrames { limit: 3 })
    );
}

#[test]
fn frame_length_2_pow_63_closes_the_session_without_allocating() {
    let now = Instant::now();
    let mut s = router_ready(now);
    let mut f = BytesMut::new();
    f.put_u8(0x02);
    f.put_u64(1 << 63);
    let err = s.handle_input(&f, now).unwrap_err();
    assert!(
        matches!(err, Error::Protocol(ProtocolError::FrameTooLarge { size, .. }) if size == 1 << 63)
    );
    assert_eq!(err.errno_name(), "EMSGSIZE");
}

#[test]
fn max_frame_size_is_enforced_before_the_body_arrives() {
    let now = Instant::now();
    let config = SessionConfig::new(SocketType::Pull)
        .with_limits(Limits::default().with_max_frame_size(Some(1000)));
    let mut s = Session::new(config, now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(&ready_of("PUSH"), now).unwrap();
    let err = s
        .handle_input(b"\x02\x00\x00\x00\x00\x00\x00\x03\xe9", now)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Protocol(ProtocolError::FrameTooLarge {
            size: 1001,
            limit: 1000
        })
    );
}

#[test]
fn messages_received_before_garbage_are_kept() {
    let now = Instant::now();
    let mut s = router_ready(now);
    let err = s
        .handle_input(b"\x00\x01a\x00\x01b\x04\x00", now)
        .unwrap_err();
    assert_eq!(err, Error::Protocol(ProtocolError::EmptyCommand));
    assert_eq!(
        events(&mut s),
        vec![
            Event::Message(Message::from("a")),
            Event::Message(Message::from("b"))
        ]
    );
    assert_eq!(s.handle_input(b"\x00\x01c", now), Err(Error::Closed));
    assert!(events(&mut s).is_empty(), "no event after a fatal error");
}

#[test]
fn zmtp_3_0_peer_gets_and_gives_subscriptions_as_messages() {
    let now = Instant::now();
    // A SUB talking to a 3.0 publisher sends 0x01|topic messages.
    let mut sub = Session::new(SessionConfig::new(SocketType::Sub), now).unwrap();
    sub.handle_input(&libzmq_greeting(0), now).unwrap();
    sub.handle_input(&ready_of("PUB"), now).unwrap();
    assert_eq!(sub.version(), Version::V3_0);
    drain(&mut sub);
    sub.send_subscribe(b"A").unwrap();
    assert_eq!(drain(&mut sub), b"\x00\x02\x01A");
    sub.send_cancel(b"A").unwrap();
    assert_eq!(drain(&mut sub), b"\x00\x02\x00A");
    // A PUB accepts both forms from anyone.
    let mut publisher = Session::new(SessionConfig::new(SocketType::Pub), now).unwrap();
    publisher.handle_input(&libzmq_greeting(1), now).unwrap();
    publisher.handle_input(&ready_of("SUB"), now).unwrap();
    events(&mut publisher);
    publisher
        .handle_input(
            b"\x00\x02\x01A\x04\x0b\x09SUBSCRIBEB\x04\x08\x06CANCELA",
            now,
        )
        .unwrap();
    assert_eq!(
        events(&mut publisher),
        vec![
            Event::Subscribe(Bytes::from("A")),
            Event::Subscribe(Bytes::from("B")),
            Event::Cancel(Bytes::from("A"))
        ]
    );
}

#[test]
fn zmtp_3_1_subscription_is_a_command() {
    let now = Instant::now();
    let mut sub = Session::new(SessionConfig::new(SocketType::Sub), now).unwrap();
    sub.handle_input(&libzmq_greeting(1), now).unwrap();
    sub.handle_input(&ready_of("PUB"), now).unwrap();
    drain(&mut sub);
    sub.send_subscribe(b"A").unwrap();
    assert_eq!(drain(&mut sub), b"\x04\x0b\x09SUBSCRIBEA");
}

#[test]
fn higher_version_peer_is_accepted_at_3_1() {
    let now = Instant::now();
    let mut g = libzmq_greeting(1);
    g[10] = 4;
    g[11] = 7;
    let mut s = Session::new(SessionConfig::new(SocketType::Pair), now).unwrap();
    s.handle_input(&g, now).unwrap();
    s.handle_input(&ready_of("PAIR"), now).unwrap();
    assert_eq!(s.version(), Version::V3_1);
}

#[test]
fn zmtp_2_peer_is_refused_clearly() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Pair), now).unwrap();
    let err = s
        .handle_input(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 1], now)
        .unwrap_err();
    assert!(matches!(
        err,
        Error::Protocol(ProtocolError::UnsupportedVersion { major: 1, .. })
    ));
}

#[test]
fn thread_safe_types_discard_multipart_messages() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Server), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(&ready_of("CLIENT"), now).unwrap();
    events(&mut s);
    s.handle_input(b"\x01\x01a\x00\x01b\x00\x01c", now).unwrap();
    assert_eq!(events(&mut s), vec![Event::Message(Message::from("c"))]);
}

#[test]
fn dish_receives_group_and_body_but_not_longer_messages() {
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::Dish), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(&ready_of("RADIO"), now).unwrap();
    events(&mut s);
    // RADIO's wire form: the group frame (MORE), then the body.
    s.handle_input(b"\x01\x01g\x00\x04body", now).unwrap();
    s.handle_input(b"\x01\x01a\x01\x01b\x00\x01c", now).unwrap();
    let mut grouped = Message::from("g");
    grouped.push_back("body");
    assert_eq!(events(&mut s), vec![Event::Message(grouped)]);
}

#[test]
fn identity_is_sent_by_req_dealer_router_only() {
    let now = Instant::now();
    for (t, sends) in [
        (SocketType::Req, true),
        (SocketType::Pub, false),
        (SocketType::Push, false),
    ] {
        let config = SessionConfig::new(t).with_routing_id("me").unwrap();
        let mut s = Session::new(config, now).unwrap();
        drain(&mut s);
        s.handle_input(&libzmq_greeting(1), now).unwrap();
        let ready = drain(&mut s);
        let has = ready
            .windows(14)
            .any(|w| w == b"Identity\x00\x00\x00\x02me");
        assert_eq!(has, sends, "{t}");
    }
}

#[test]
fn two_sessions_talk_to_each_other() {
    let now = Instant::now();
    let mut a = Session::new(SessionConfig::new(SocketType::Req), now).unwrap();
    let mut b = Session::new(SessionConfig::new(SocketType::Rep), now).unwrap();
    let (ab, ba) = (drain(&mut a), drain(&mut b));
    b.handle_input(&ab, now).unwrap();
    a.handle_input(&ba, now).unwrap();
    let (ab, ba) = (drain(&mut a), drain(&mut b));
    b.handle_input(&ab, now).unwrap();
    a.handle_input(&ba, now).unwrap();
    assert!(a.is_ready() && b.is_ready());
    let request = Message::from_frames(vec![Bytes::new(), Bytes::from("hi")]);
    a.send_message(&request).unwrap();
    b.handle_input(&drain(&mut a), now).unwrap();
    let ev = events(&mut b);
    assert_eq!(ev.last(), Some(&Event::Message(request)));
}

#[test]
fn short_frame_over_max_frame_size_is_refused_like_a_long_one() {
    // Short data frames take a fast path; its limits must be the decoder's.
    let now = Instant::now();
    let mut s = pull_ready(Some(10), now);
    let mut wire = b"\x00\x0a0123456789".to_vec();
    wire.extend_from_slice(b"\x00\x0b0123456789A");
    let err = s.handle_input(&wire, now).unwrap_err();
    assert_eq!(
        err,
        Error::Protocol(ProtocolError::FrameTooLarge {
            size: 11,
            limit: 10
        })
    );
    assert_eq!(
        events(&mut s),
        [Event::Message(Message::from("0123456789"))],
        "the frame within the limit is delivered"
    );
}

#[test]
fn long_frames_are_limited_and_split_like_short_ones() {
    // Whole long data frames take the fast path too; partial ones, frames with
    // reserved flag bits and frames over the limit go to the general decoder.
    let now = Instant::now();
    let mut s = pull_ready(Some(300), now);
    let long = |flags: u8, body: &[u8]| {
        let mut f = vec![flags];
        f.extend_from_slice(&(body.len() as u64).to_be_bytes());
        f.extend_from_slice(body);
        f
    };
    let mut wire = long(0x03, b"ab"); // MORE, long form for a short body
    wire.extend(long(0x02, &[b'x'; 300]));
    wire.extend(long(0x42, b"reserved bit")); // ignored, as libzmq does
    let half = long(0x02, &[b'y'; 280]);
    wire.extend_from_slice(&half[..100]);
    s.handle_input(&wire, now).unwrap();
    s.handle_input(&half[100..], now).unwrap();
    let err = s.handle_input(&long(0x02, &[b'z'; 301]), now).unwrap_err();
    assert_eq!(
        err,
        Error::Protocol(ProtocolError::FrameTooLarge {
            size: 301,
            limit: 300
        })
    );
    assert_eq!(
        events(&mut s),
        [
            Event::Message(Message::from_frames(vec![
                Bytes::from("ab"),
                Bytes::from(vec![b'x'; 300])
            ])),
            Event::Message(Message::from("reserved bit")),
            Event::Message(Message::from(vec![b'y'; 280])),
        ]
    );
}

#[test]
fn messages_around_a_ping_arrive_in_order_and_in_one_batch() {
    let now = Instant::now();
    let mut s = router_ready(now);
    let mut wire = Vec::new();
    wire.extend_from_slice(b"\x01\x01a\x00\x01b"); // [a][b]
    wire.extend_from_slice(b"\x04\x07\x04PING\x00\x00");
    wire.extend_from_slice(b"\x00\x01c"); // [c]
    wire.extend_from_slice(b"\x01\x00\x02\x00\x00\x00\x00\x00\x00\x01\x2c");
    wire.extend_from_slice(&[b'z'; 300]); // [][z × 300], a long frame
    s.handle_input(&wire, now).unwrap();
    assert_eq!(drain(&mut s), b"\x04\x05\x04PONG");
    let mut batch = std::collections::VecDeque::new();
    s.take_messages(&mut batch);
    let big = Message::from_frames(vec![Bytes::new(), Bytes::from(vec![b'z'; 300])]);
    assert_eq!(
        batch,
        [
            Message::from_frames(vec![Bytes::from("a"), Bytes::from("b")]),
            Message::from("c"),
            big
        ]
    );
    assert!(events(&mut s).is_empty());
}

#[test]
fn messages_and_subscriptions_keep_their_order() {
    // An XPUB (3.1 peer) gets SUBSCRIBE commands between messages: a batch taken
    // with take_messages stops at the first subscription.
    let now = Instant::now();
    let mut s = Session::new(SessionConfig::new(SocketType::XPub), now).unwrap();
    s.handle_input(&libzmq_greeting(1), now).unwrap();
    s.handle_input(&ready_of("XSUB"), now).unwrap();
    events(&mut s);
    let mut wire = b"\x00\x02m1".to_vec();
    wire.extend_from_slice(b"\x04\x0b\x09SUBSCRIBEA");
    wire.extend_from_slice(b"\x00\x02m2");
    s.handle_input(&wire, now).unwrap();
    let mut batch = std::collections::VecDeque::new();
    s.take_messages(&mut batch);
    assert_eq!(batch, [Message::from("m1")]);
    assert_eq!(
        events(&mut s),
        [
            Event::Subscribe(Bytes::from("A")),
            Event::Message(Message::from("m2"))
        ]
    );
}

/// Reads `wire` into the session the way an I/O layer does: room from
/// `reserve_input`, then at most the buffer's free space per read.
fn read_like_an_engine(s: &mut Session, mut wire: &[u8], now: Instant) -> Vec<Event> {
    let mut got = Vec::new();
    while !wire.is_empty() {
        s.reserve_input(64 * 1024);
        let buf = s.input_buffer();
        let n = wire.len().min(buf.capacity() - buf.len()).min(100_000);
        buf.extend_from_slice(&wire[..n]);
        wire = &wire[n..];
        s.handle_buffered_input(now).unwrap();
        got.extend(events(s));
    }
    got
}

#[test]
fn a_large_message_holds_its_own_bytes_and_not_the_next_ones() {
    let now = Instant::now();
    let mut s = router_ready(now);
    let big = vec![0xAB; zocket_proto::session::LARGE_BODY + 12_345];
    let mut wire = vec![0x01, 0x00]; // an empty frame, MORE
    wire.push(0x02); // long, last
    wire.extend_from_slice(&(big.len() as u64).to_be_bytes());
    wire.extend_from_slice(&big);
    wire.extend_from_slice(b"\x00\x05after");
    let got = read_like_an_engine(&mut s, &wire, now);
    let [Event::Message(m1), Event::Message(m2)] = &got[..] else {
        panic!("{got:?}")
    };
    let body = &m1[m1.len() - 1];
    assert_eq!(&body[..], &big[..]);
    assert_eq!(&m2[m2.len() - 1][..], b"after");
    // The body was received in a buffer of exactly its size: it does not share the
    // regular buffer, which the next message came through. (The session keeps an
    // empty view of the last large body's buffer, to reuse it once the body is let
    // go; receiving another large body while this one is held replaces that view.)
    let body = body.clone();
    drop(got);
    let mut next = vec![0x02];
    next.extend_from_slice(&(big.len() as u64).to_be_bytes());
    next.extend_from_slice(&big);
    assert_eq!(read_like_an_engine(&mut s, &next, now).len(), 1);
    assert!(
        body.try_into_mut().is_ok(),
        "the large body owns its buffer alone"
    );
}

#[test]
fn a_peer_declaring_a_huge_frame_gets_no_huge_buffer() {
    let now = Instant::now();
    let mut s = router_ready(now);
    let mut wire = vec![0x02];
    wire.extend_from_slice(&(1u64 << 40).to_be_bytes());
    wire.extend_from_slice(&[1; 5000]);
    assert!(read_like_an_engine(&mut s, &wire, now).is_empty());
    s.reserve_input(64 * 1024);
    assert!(s.input_buffer().capacity() <= 5000 + zocket_proto::session::BODY_READ_AHEAD);
}

proptest::proptest! {
    /// Messages of short and long frames, cut anywhere: what the fast path and
    /// the general decoder assemble between them is what was sent.
    #[test]
    fn messages_of_short_and_long_frames_arrive_whole_in_any_chunking(
        sizes in proptest::collection::vec(proptest::collection::vec(0usize..600, 1..4), 1..8),
        cuts in proptest::collection::vec(proptest::sample::select(vec![1usize, 2, 3, 7, 64, 300, 4096]), 1..6),
    ) {
        let now = Instant::now();
        let mut s = pull_ready(None, now);
        let sent: Vec<Message> = sizes
            .iter()
            .enumerate()
            .map(|(i, frames)| {
                Message::from_frames(frames.iter().map(|&n| Bytes::from(vec![i as u8; n])).collect())
            })
            .collect();
        let mut wire = BytesMut::new();
        for m in &sent {
            zocket_proto::frame::encode_message(m, &mut wire);
        }
        let mut at = 0;
        for step in cuts.iter().cycle() {
            if at == wire.len() {
                break;
            }
            let end = (at + step).min(wire.len());
            s.handle_input(&wire[at..end], now).unwrap();
            at = end;
        }
        let got: Vec<Message> = events(&mut s)
            .into_iter()
            .filter_map(|e| match e {
                Event::Message(m) => Some(m),
                _ => None,
            })
            .collect();
        proptest::prop_assert_eq!(got, sent);
    }
}
