//! WireRun: whole messages a session hands up in wire form, decoded where consumed.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;
use zocket_proto::frame::encode_message;
use zocket_proto::session::{Delivery, RUN_BYTES};
use zocket_proto::{
    Error, Event, Limits, Message, ProtocolError, Session, SessionConfig, SocketType,
};

/// A PULL session past its handshake with a libzmq PUSH (greeting 3.1, READY).
fn pull_ready(limits: Limits, now: Instant) -> Session {
    let mut s = Session::new(
        SessionConfig::new(SocketType::Pull).with_limits(limits),
        now,
    )
    .unwrap();
    let mut greeting = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
    greeting.extend_from_slice(b"NULL");
    greeting.resize(64, 0);
    s.handle_input(&greeting, now).unwrap();
    s.handle_input(b"\x04\x1a\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH", now)
        .unwrap();
    assert!(matches!(s.poll_event(), Some(Event::HandshakeSucceeded(_))));
    while s.poll_transmit().is_some() {}
    s
}

fn wire_of(msgs: &[Message]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for m in msgs {
        encode_message(m, &mut out);
    }
    out.to_vec()
}

fn frames(parts: &[&'static str]) -> Message {
    Message::from_frames(parts.iter().map(|p| Bytes::from(*p)).collect())
}

/// The deliveries as (is a run, messages) pairs.
fn take(s: &mut Session) -> Vec<(bool, Vec<Message>)> {
    let mut d = VecDeque::new();
    s.take_deliveries(&mut d);
    d.into_iter()
        .map(|d| match d {
            Delivery::Run(run) => {
                let (n, bytes) = (run.len(), run.payload_len());
                let msgs: Vec<Message> = run.collect();
                assert_eq!(msgs.len(), n, "len() counts the messages");
                let sum: usize = msgs.iter().map(Message::byte_len).sum();
                assert_eq!(sum, bytes, "payload_len() counts their bodies");
                (true, msgs)
            }
            Delivery::Message(m) => (false, vec![m]),
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn whole_messages_of_a_read_come_up_as_one_run() {
    let now = Instant::now();
    let mut s = pull_ready(Limits::default(), now);
    let sent = [
        Message::from("a"),
        frames(&["b1", "b2", "b3"]),
        Message::from(Bytes::new()),
        Message::from(vec![b'z'; 300]), // a long header
    ];
    s.handle_input(&wire_of(&sent), now).unwrap();
    assert_eq!(take(&mut s), [(true, sent.to_vec())]);
}

#[test]
fn a_run_ends_at_a_command_and_another_begins_after_it() {
    let now = Instant::now();
    let mut s = pull_ready(Limits::default(), now);
    let mut wire = wire_of(&[Message::from("a"), Message::from("b")]);
    wire.extend_from_slice(b"\x04\x07\x04PING\x00\x00");
    wire.extend_from_slice(&wire_of(&[frames(&["c", "d"])]));
    s.handle_input(&wire, now).unwrap();
    assert_eq!(
        take(&mut s),
        [
            (true, vec![Message::from("a"), Message::from("b")]),
            (true, vec![frames(&["c", "d"])])
        ]
    );
    let mut pong = Vec::new();
    while let Some(c) = s.poll_transmit() {
        pong.extend_from_slice(&c);
    }
    assert_eq!(pong, b"\x04\x05\x04PONG");
}

#[test]
fn a_message_split_between_reads_is_finished_frame_by_frame() {
    let now = Instant::now();
    let mut s = pull_ready(Limits::default(), now);
    let wire = wire_of(&[
        Message::from("a"),
        frames(&["b1", "b2", "b3"]),
        Message::from("c"),
    ]);
    // The first read ends inside b2: a's run comes up, b1 waits.
    let cut = 3 + 4 + 2;
    s.handle_input(&wire[..cut], now).unwrap();
    assert_eq!(take(&mut s), [(true, vec![Message::from("a")])]);
    s.handle_input(&wire[cut..], now).unwrap();
    assert_eq!(
        take(&mut s),
        [
            (false, vec![frames(&["b1", "b2", "b3"])]),
            (true, vec![Message::from("c")])
        ]
    );
}

#[test]
fn too_many_frames_is_reported_after_the_messages_before_it() {
    let now = Instant::now();
    let mut s = pull_ready(Limits::default().with_max_frames_per_message(2), now);
    let wire = wire_of(&[Message::from("ok"), frames(&["x", "y", "z"])]);
    let err = s.handle_input(&wire, now).unwrap_err();
    assert_eq!(
        err,
        Error::Protocol(ProtocolError::TooManyFrames { limit: 2 })
    );
    assert_eq!(take(&mut s), [(true, vec![Message::from("ok")])]);
}

#[test]
fn a_frame_over_the_limit_ends_the_run_and_closes_the_session() {
    let now = Instant::now();
    let mut s = pull_ready(Limits::default().with_max_frame_size(Some(4)), now);
    let wire = wire_of(&[Message::from("ok"), Message::from("toolong")]);
    let err = s.handle_input(&wire, now).unwrap_err();
    assert!(matches!(
        err,
        Error::Protocol(ProtocolError::FrameTooLarge { size: 7, .. })
    ));
    assert_eq!(take(&mut s), [(true, vec![Message::from("ok")])]);
    assert!(s.is_closed());
}

#[test]
fn runs_hold_about_run_bytes_each() {
    let now = Instant::now();
    let mut s = pull_ready(Limits::default(), now);
    let sent: Vec<Message> = (0..20_000u32)
        .map(|i| Message::from(i.to_be_bytes().repeat(4)))
        .collect();
    s.handle_input(&wire_of(&sent), now).unwrap();
    let got = take(&mut s);
    assert!(got.len() > 1, "{} bytes in one run", 18 * 20_000);
    for (run, msgs) in &got {
        assert!(run);
        let wire: usize = msgs.iter().map(|m| 2 + m.byte_len()).sum();
        assert!(wire < RUN_BYTES + 18, "{wire}");
    }
    let all: Vec<Message> = got.into_iter().flat_map(|(_, m)| m).collect();
    assert_eq!(all, sent);
}

#[test]
fn poll_event_decodes_runs_one_message_at_a_time() {
    let now = Instant::now();
    let mut s = pull_ready(Limits::default(), now);
    let mut wire = wire_of(&[Message::from("a"), Message::from("b")]);
    wire.put_slice(b"\x04\x07\x04PING\x00\x00");
    wire.put_slice(&wire_of(&[Message::from("c")]));
    s.handle_input(&wire, now).unwrap();
    let got: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(
        got,
        ["a", "b", "c"].map(|m| Event::Message(Message::from(m)))
    );
}

fn message() -> impl Strategy<Value = Message> {
    let frame = prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..20),
        1 => proptest::collection::vec(any::<u8>(), 250..300),
    ]
    .prop_map(Bytes::from);
    proptest::collection::vec(frame, 1..4).prop_map(Message::from_frames)
}

proptest! {
    /// Whatever the messages and however the bytes are cut into reads, the
    /// deliveries hold every message once, in order.
    #[test]
    fn deliveries_keep_every_message_in_order_in_any_chunking(
        sent in proptest::collection::vec(message(), 1..60),
        cuts in proptest::collection::vec(1usize..400, 1..30),
    ) {
        let now = Instant::now();
        let mut s = pull_ready(Limits::default(), now);
        let wire = wire_of(&sent);
        let mut got = Vec::new();
        let mut rest = &wire[..];
        for cut in cuts.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (now_in, later) = rest.split_at((*cut).min(rest.len()));
            s.handle_input(now_in, now).unwrap();
            got.extend(take(&mut s).into_iter().flat_map(|(_, m)| m));
            rest = later;
        }
        prop_assert_eq!(got, sent);
    }
}

#[test]
fn small_bodies_are_copied_out_of_the_run_larger_ones_share_it() {
    use zocket_proto::WireRun;
    use zocket_proto::frame::RUN_COPY_MAX;
    let small = Bytes::from(vec![b's'; RUN_COPY_MAX]);
    let large = Bytes::from(vec![b'l'; RUN_COPY_MAX + 1]);
    let wire = Bytes::from(wire_of(&[
        Message::single(small.clone()),
        Message::from_frames(vec![small.clone(), large.clone()]),
    ]));
    let range = wire.as_ptr_range();
    let inside = |b: &Bytes| range.contains(&b.as_ptr());
    let mut run = WireRun::from_frames(wire.clone()).unwrap();
    let first = run.pop_front().unwrap();
    assert_eq!(first[0], small);
    assert!(!inside(&first[0]), "a small body is a copy");
    let second = run.pop_front().unwrap();
    assert_eq!((&second[0], &second[1]), (&small, &large));
    assert!(!inside(&second[0]) && inside(&second[1]));
}
