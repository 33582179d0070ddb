//! Commands: byte-exact wire vectors, hostile bodies, encode refusals, round trips.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use zocket_proto::command::{MAX_PING_CONTEXT, parse_subscription_message, subscription_message};
use zocket_proto::{Command, FrameDecoder, Limits, Metadata, ProtocolError, UsageError};

/// RFC 23/37 §Worked Example: READY from a DEALER with an empty identity.
const RFC_READY: &[u8] =
    b"\x04\x29\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00";

/// What libzmq 4.3 sends for a DEALER whose `ZMQ_ROUTING_ID` is "peer1": Socket-Type
/// first, then Identity.
const LIBZMQ_DEALER_READY: &[u8] =
    b"\x04\x2e\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x05peer1";

fn encode(cmd: &Command) -> Vec<u8> {
    let mut out = BytesMut::new();
    cmd.encode(&mut out).unwrap();
    assert_eq!(out.len(), cmd.encoded_len(), "encoded_len of {cmd:?}");
    out.to_vec()
}

/// The body of a short command frame, checking its 2-byte header.
fn body_of(frame: &[u8]) -> Bytes {
    assert_eq!(frame[0], 0x04, "short command flags");
    assert_eq!(usize::from(frame[1]), frame.len() - 2, "short size");
    Bytes::copy_from_slice(&frame[2..])
}

fn parse(body: &'static [u8]) -> Result<Command, ProtocolError> {
    Command::parse(Bytes::from_static(body))
}

fn metadata(props: &[(&'static str, &'static str)]) -> Metadata {
    let mut md = Metadata::new();
    for (n, v) in props {
        md.insert(*n, *v).unwrap();
    }
    md
}

fn b(s: &'static [u8]) -> Bytes {
    Bytes::from_static(s)
}

/// Encodes `cmd`, compares with `wire`, and parses `wire`'s body back to `cmd`.
fn check_vector(cmd: Command, wire: &[u8]) {
    assert_eq!(encode(&cmd), wire, "encoding of {cmd:?}");
    assert_eq!(Command::parse(body_of(wire)).unwrap(), cmd);
}

#[test]
fn rfc_ready_vector() {
    let cmd = Command::Ready(metadata(&[("Socket-Type", "DEALER"), ("Identity", "")]));
    check_vector(cmd.clone(), RFC_READY);
    assert_eq!(cmd.name(), b"READY");
    let Command::Ready(md) = Command::parse(body_of(RFC_READY)).unwrap() else {
        panic!("not READY");
    };
    assert_eq!(&md.get("Socket-Type").unwrap()[..], b"DEALER");
    assert_eq!(md.get("Identity").map(|v| v.len()), Some(0));
}

#[test]
fn libzmq_dealer_ready_vector() {
    check_vector(
        Command::Ready(metadata(&[
            ("Socket-Type", "DEALER"),
            ("Identity", "peer1"),
        ])),
        LIBZMQ_DEALER_READY,
    );
}

#[test]
fn empty_ready() {
    check_vector(Command::Ready(Metadata::new()), b"\x04\x06\x05READY");
}

#[test]
fn ready_above_255_bytes_uses_the_long_form() {
    let mut md = Metadata::new();
    md.insert("Socket-Type", "PUB").unwrap();
    md.insert("X-Big", vec![b'z'; 300]).unwrap();
    let cmd = Command::Ready(md);
    let wire = encode(&cmd);
    let body_len = 6 + (1 + 11 + 4 + 3) + (1 + 5 + 4 + 300);
    assert_eq!(wire[0], 0x06, "command + long");
    assert_eq!(&wire[1..9], &(body_len as u64).to_be_bytes());
    assert_eq!(wire.len(), 9 + body_len);
    assert_eq!(
        Command::parse(Bytes::copy_from_slice(&wire[9..])).unwrap(),
        cmd
    );
}

#[test]
fn subscribe_vectors() {
    check_vector(
        Command::Subscribe { topic: b(b"A") },
        b"\x04\x0b\x09SUBSCRIBEA",
    );
    check_vector(
        Command::Subscribe {
            topic: Bytes::new(),
        },
        b"\x04\x0a\x09SUBSCRIBE",
    );
    // ZMTP 3.0 form: a one-frame data message whose body is 01 ‖ topic.
    assert_eq!(&subscription_message(true, b"A")[..], b"\x01A");
    assert_eq!(
        parse_subscription_message(&b(b"\x01A")),
        Some((true, b(b"A")))
    );
}

#[test]
fn cancel_vectors() {
    check_vector(Command::Cancel { topic: b(b"A") }, b"\x04\x08\x06CANCELA");
    assert_eq!(&subscription_message(false, b"A")[..], b"\x00A");
    assert_eq!(
        parse_subscription_message(&b(b"\x00A")),
        Some((false, b(b"A")))
    );
}

#[test]
fn subscription_message_edge_cases() {
    assert_eq!(&subscription_message(true, b"")[..], b"\x01");
    assert_eq!(
        parse_subscription_message(&b(b"\x01")),
        Some((true, Bytes::new()))
    );
    assert_eq!(
        parse_subscription_message(&b(b"\x00")),
        Some((false, Bytes::new()))
    );
    assert_eq!(parse_subscription_message(&Bytes::new()), None);
    assert_eq!(parse_subscription_message(&b(b"\x02A")), None);
    assert_eq!(parse_subscription_message(&b(b"AB")), None);
    // Zero-copy topic.
    let frame = b(b"\x01topic");
    let (_, topic) = parse_subscription_message(&frame).unwrap();
    assert_eq!(topic.as_ptr(), frame[1..].as_ptr());
}

#[test]
fn ping_pong_vectors() {
    check_vector(
        Command::Ping {
            ttl: 0,
            context: b(b"LOL"),
        },
        b"\x04\x0a\x04PING\x00\x00LOL",
    );
    check_vector(Command::Pong { context: b(b"LOL") }, b"\x04\x08\x04PONGLOL");
    // libzmq's own heartbeat: no context, TTL in deciseconds, big-endian.
    check_vector(
        Command::Ping {
            ttl: 0x0102,
            context: Bytes::new(),
        },
        b"\x04\x07\x04PING\x01\x02",
    );
    check_vector(
        Command::Pong {
            context: Bytes::new(),
        },
        b"\x04\x05\x04PONG",
    );
}

#[test]
fn long_ping_context_is_kept_on_parse_and_truncated_in_pong() {
    let context: Vec<u8> = (0..65).collect();
    let mut body = b"\x04PING\x00\x05".to_vec();
    body.extend_from_slice(&context);
    let ping = Command::parse(body.into()).unwrap();
    let Command::Ping {
        ttl,
        context: received,
    } = &ping
    else {
        panic!("{ping:?}")
    };
    assert_eq!(*ttl, 5);
    assert_eq!(received.len(), 65);

    let pong = Command::Pong {
        context: received.clone(),
    };
    let mut expected = b"\x04\x15\x04PONG".to_vec();
    expected.extend_from_slice(&context[..MAX_PING_CONTEXT]);
    assert_eq!(encode(&pong), expected);
    assert_eq!(pong.encoded_len(), 2 + 5 + 16);

    // PING itself is truncated the same way when sent.
    let mut expected = b"\x04\x17\x04PING\x00\x05".to_vec();
    expected.extend_from_slice(&context[..16]);
    assert_eq!(encode(&ping), expected);
}

#[test]
fn join_leave_vectors() {
    check_vector(
        Command::Join {
            group: b(b"weather"),
        },
        b"\x04\x0c\x04JOINweather",
    );
    check_vector(
        Command::Leave {
            group: b(b"weather"),
        },
        b"\x04\x0d\x05LEAVEweather",
    );
    let group = Bytes::from(vec![b'g'; 255]);
    let wire = encode(&Command::Join {
        group: group.clone(),
    });
    assert_eq!(wire[0], 0x06, "260-byte body takes the long form");
    assert_eq!(wire.len(), 9 + 5 + 255);
}

#[test]
fn error_vector() {
    check_vector(
        Command::Error { reason: b(b"400") },
        b"\x04\x0a\x05ERROR\x03400",
    );
    check_vector(
        Command::Error {
            reason: Bytes::new(),
        },
        b"\x04\x07\x05ERROR\x00",
    );
}

#[test]
fn error_trailing_bytes_are_ignored() {
    assert_eq!(
        parse(b"\x05ERROR\x03400junk").unwrap(),
        Command::Error { reason: b(b"400") }
    );
}

#[test]
fn other_commands_are_kept_raw() {
    let hello = b"\x05HELLO\x05admin\x06secret";
    let cmd = parse(hello).unwrap();
    assert_eq!(
        cmd,
        Command::Other {
            name: b(b"HELLO"),
            data: b(b"\x05admin\x06secret")
        }
    );
    assert_eq!(cmd.name(), b"HELLO");
    let mut wire = vec![0x04, hello.len() as u8];
    wire.extend_from_slice(hello);
    assert_eq!(encode(&cmd), wire);
    // Name matching is case-sensitive: lower-case "ping" is not PING.
    assert_eq!(
        parse(b"\x04ping\x00").unwrap(),
        Command::Other {
            name: b(b"ping"),
            data: b(b"\x00")
        }
    );
    assert_eq!(
        parse(b"\x05Ready").unwrap(),
        Command::Other {
            name: b(b"Ready"),
            data: Bytes::new()
        }
    );
}

#[test]
fn parse_is_zero_copy() {
    let body = b(b"\x04PING\x00\x01ctx");
    let Command::Ping { context, .. } = Command::parse(body.clone()).unwrap() else {
        panic!()
    };
    assert_eq!(context.as_ptr(), body[7..].as_ptr());
    let body = b(b"\x05HELLOdata");
    let Command::Other { name, data } = Command::parse(body.clone()).unwrap() else {
        panic!()
    };
    assert_eq!(name.as_ptr(), body[1..].as_ptr());
    assert_eq!(data.as_ptr(), body[6..].as_ptr());
}

#[test]
fn names() {
    let cases: [(Command, &[u8]); 8] = [
        (Command::Ready(Metadata::new()), b"READY"),
        (
            Command::Error {
                reason: Bytes::new(),
            },
            b"ERROR",
        ),
        (
            Command::Ping {
                ttl: 0,
                context: Bytes::new(),
            },
            b"PING",
        ),
        (
            Command::Pong {
                context: Bytes::new(),
            },
            b"PONG",
        ),
        (
            Command::Subscribe {
                topic: Bytes::new(),
            },
            b"SUBSCRIBE",
        ),
        (
            Command::Cancel {
                topic: Bytes::new(),
            },
            b"CANCEL",
        ),
        (
            Command::Join {
                group: Bytes::new(),
            },
            b"JOIN",
        ),
        (
            Command::Leave {
                group: Bytes::new(),
            },
            b"LEAVE",
        ),
    ];
    for (cmd, name) in cases {
        assert_eq!(cmd.name(), name);
    }
}

#[test]
fn vectors_through_the_frame_decoder() {
    // A stream of command frames, as a peer would send them, taken apart by the frame
    // decoder and parsed.
    let commands = [
        Command::Ready(metadata(&[("Socket-Type", "DEALER"), ("Identity", "")])),
        Command::Subscribe { topic: b(b"A") },
        Command::Ping {
            ttl: 0,
            context: b(b"LOL"),
        },
        Command::Pong { context: b(b"LOL") },
        Command::Join {
            group: Bytes::from(vec![b'g'; 255]),
        },
        Command::Error { reason: b(b"400") },
    ];
    let mut stream = BytesMut::new();
    for cmd in &commands {
        cmd.encode(&mut stream).unwrap();
    }
    assert_eq!(&stream[..RFC_READY.len()], RFC_READY);
    let mut decoder = FrameDecoder::new(Limits::default());
    for cmd in &commands {
        let frame = decoder.decode(&mut stream).unwrap().expect("a whole frame");
        assert!(frame.command && !frame.more);
        assert_eq!(&Command::parse(frame.body).unwrap(), cmd);
    }
    assert!(stream.is_empty());
}

// ---- hostile input ----

#[test]
fn hostile_empty_body() {
    assert_eq!(parse(b""), Err(ProtocolError::EmptyCommand));
}

#[test]
fn hostile_name_past_end() {
    assert_eq!(
        parse(b"\x05REA"),
        Err(ProtocolError::TruncatedCommandName {
            name_len: 5,
            frame_len: 4
        })
    );
    assert_eq!(
        parse(b"\xff"),
        Err(ProtocolError::TruncatedCommandName {
            name_len: 255,
            frame_len: 1
        })
    );
}

#[test]
fn hostile_zero_length_name() {
    assert!(matches!(
        parse(b"\x00"),
        Err(ProtocolError::MalformedCommand { .. })
    ));
    assert!(matches!(
        parse(b"\x00READY"),
        Err(ProtocolError::MalformedCommand { .. })
    ));
}

#[test]
fn hostile_ping_without_ttl() {
    for body in [&b"\x04PING"[..], b"\x04PING\x00"] {
        assert!(
            matches!(
                Command::parse(Bytes::from_static(body)),
                Err(ProtocolError::MalformedCommand {
                    command: "PING",
                    ..
                })
            ),
            "{body:?}"
        );
    }
}

#[test]
fn hostile_error_without_reason_length() {
    assert!(matches!(
        parse(b"\x05ERROR"),
        Err(ProtocolError::MalformedCommand {
            command: "ERROR",
            ..
        })
    ));
}

#[test]
fn hostile_error_reason_past_end() {
    let err = parse(b"\x05ERROR\x05400").unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::MalformedCommand {
                command: "ERROR",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.zmq_code(),
        0x1000_0015,
        "ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR"
    );
    assert!(matches!(
        parse(b"\x05ERROR\xff"),
        Err(ProtocolError::MalformedCommand {
            command: "ERROR",
            ..
        })
    ));
}

fn assert_invalid_metadata(body: &'static [u8]) {
    let err = parse(body).unwrap_err();
    assert!(
        matches!(err, ProtocolError::InvalidMetadata { .. }),
        "{body:?}: {err:?}"
    );
    assert_eq!(
        err.zmq_code(),
        0x1000_0018,
        "ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA"
    );
}

#[test]
fn hostile_ready_value_past_end() {
    assert_invalid_metadata(b"\x05READY\x0bSocket-Type\x00\x00\x00\x07DEALER");
}

#[test]
fn hostile_ready_trailing_byte() {
    assert_invalid_metadata(
        b"\x05READY\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00\x00",
    );
}

#[test]
fn hostile_ready_huge_value_length() {
    assert_invalid_metadata(b"\x05READY\x0bSocket-Type\xff\xff\xff\xffDEALER");
}

#[test]
fn hostile_ready_truncated_name() {
    assert_invalid_metadata(b"\x05READY\x0bSocket");
}

// ---- encode refusals ----

fn assert_refused(cmd: Command, expected: UsageError) {
    let mut out = BytesMut::from(&b"prefix"[..]);
    assert_eq!(cmd.encode(&mut out), Err(expected));
    assert_eq!(&out[..], b"prefix", "nothing may be written on error");
}

#[test]
fn encode_refuses_oversized_fields() {
    assert_refused(
        Command::Error {
            reason: Bytes::from(vec![b'r'; 256]),
        },
        UsageError::ReasonTooLong { len: 256 },
    );
    assert_refused(
        Command::Join {
            group: Bytes::from(vec![b'g'; 256]),
        },
        UsageError::GroupTooLong { len: 256 },
    );
    assert_refused(
        Command::Leave {
            group: Bytes::from(vec![b'g'; 300]),
        },
        UsageError::GroupTooLong { len: 300 },
    );
    assert_refused(
        Command::Other {
            name: Bytes::new(),
            data: Bytes::new(),
        },
        UsageError::InvalidCommandName { len: 0 },
    );
    assert_refused(
        Command::Other {
            name: Bytes::from(vec![b'N'; 256]),
            data: Bytes::new(),
        },
        UsageError::InvalidCommandName { len: 256 },
    );
}

#[test]
fn encode_accepts_limits() {
    let reason = Bytes::from(vec![b'r'; 255]);
    let wire = encode(&Command::Error {
        reason: reason.clone(),
    });
    assert_eq!(
        Command::parse(Bytes::copy_from_slice(&wire[9..])).unwrap(),
        Command::Error { reason }
    );
    let name = Bytes::from(vec![b'N'; 255]);
    let cmd = Command::Other {
        name,
        data: b(b"d"),
    };
    let wire = encode(&cmd);
    assert_eq!(
        Command::parse(Bytes::copy_from_slice(&wire[9..])).unwrap(),
        cmd
    );
}

#[test]
fn encode_appends() {
    let mut out = BytesMut::from(&b"xy"[..]);
    Command::Pong {
        context: Bytes::new(),
    }
    .encode(&mut out)
    .unwrap();
    assert_eq!(&out[..], b"xy\x04\x05\x04PONG");
}

// ---- round trips ----

const KNOWN: [&str; 8] = [
    "READY",
    "ERROR",
    "PING",
    "PONG",
    "SUBSCRIBE",
    "CANCEL",
    "JOIN",
    "LEAVE",
];

fn bytes_up_to(max: usize) -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

fn any_metadata() -> impl Strategy<Value = Metadata> {
    proptest::collection::vec(("[A-Za-z0-9._+-]{1,20}", bytes_up_to(40)), 0..6).prop_map(|props| {
        let mut md = Metadata::new();
        for (n, v) in props {
            md.insert(n, v).unwrap();
        }
        md
    })
}

fn any_command() -> impl Strategy<Value = Command> {
    prop_oneof![
        any_metadata().prop_map(Command::Ready),
        bytes_up_to(255).prop_map(|reason| Command::Error { reason }),
        (any::<u16>(), bytes_up_to(MAX_PING_CONTEXT))
            .prop_map(|(ttl, context)| Command::Ping { ttl, context }),
        bytes_up_to(MAX_PING_CONTEXT).prop_map(|context| Command::Pong { context }),
        bytes_up_to(400).prop_map(|topic| Command::Subscribe { topic }),
        bytes_up_to(400).prop_map(|topic| Command::Cancel { topic }),
        bytes_up_to(255).prop_map(|group| Command::Join { group }),
        bytes_up_to(255).prop_map(|group| Command::Leave { group }),
        ("[A-Z]{1,12}", bytes_up_to(300))
            .prop_filter("not a known command", |(n, _)| !KNOWN.contains(&n.as_str()))
            .prop_map(|(name, data)| Command::Other {
                name: name.into(),
                data
            }),
    ]
}

/// Splits an encoded command frame into its body, checking the header.
fn split_frame(wire: &[u8]) -> Bytes {
    match wire[0] {
        0x04 => {
            assert_eq!(usize::from(wire[1]), wire.len() - 2);
            Bytes::copy_from_slice(&wire[2..])
        }
        0x06 => {
            let len = u64::from_be_bytes(wire[1..9].try_into().unwrap());
            assert!(len > 255, "long form only above 255 bytes");
            assert_eq!(len as usize, wire.len() - 9);
            Bytes::copy_from_slice(&wire[9..])
        }
        flags => panic!("bad command flags {flags:#04x}"),
    }
}

proptest! {
    #[test]
    fn encode_parse_round_trip(cmd in any_command()) {
        let wire = encode(&cmd);
        let parsed = Command::parse(split_frame(&wire)).unwrap();
        prop_assert_eq!(parsed.name(), cmd.name());
        prop_assert_eq!(parsed, cmd);
    }

    #[test]
    fn parse_never_panics(body in proptest::collection::vec(any::<u8>(), 0..80)) {
        // Arbitrary bytes give a command or a protocol error, never a panic; a name
        // length running past the end is reported as such.
        match Command::parse(body.clone().into()) {
            Ok(cmd) => prop_assert_eq!(cmd.name(), &body[1..1 + usize::from(body[0])]),
            Err(ProtocolError::EmptyCommand) => prop_assert!(body.is_empty()),
            Err(ProtocolError::TruncatedCommandName { name_len, frame_len }) => {
                prop_assert_eq!(frame_len, body.len());
                prop_assert!(usize::from(name_len) >= frame_len);
            }
            Err(_) => prop_assert!(!body.is_empty()),
        }
    }

    #[test]
    fn known_names_with_random_data(
        name in prop::sample::select(KNOWN.to_vec()),
        data in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut body = vec![name.len() as u8];
        body.extend_from_slice(name.as_bytes());
        body.extend_from_slice(&data);
        match Command::parse(body.into()) {
            Ok(cmd) => {
                prop_assert_eq!(cmd.name(), name.as_bytes());
                // Re-encoding keeps everything but what the encoder truncates.
                let expected = match &cmd {
                    Command::Ping { ttl, context } => {
                        Command::Ping { ttl: *ttl, context: context.slice(..context.len().min(16)) }
                    }
                    Command::Pong { context } => Command::Pong { context: context.slice(..context.len().min(16)) },
                    other => other.clone(),
                };
                let again = Command::parse(split_frame(&encode(&cmd))).unwrap();
                prop_assert_eq!(again, expected);
            }
            Err(ProtocolError::InvalidMetadata { .. }) => prop_assert_eq!(name, "READY"),
            Err(ProtocolError::MalformedCommand { command, .. }) => {
                prop_assert!(command == "PING" || command == "ERROR");
                prop_assert_eq!(command, name);
            }
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }

    #[test]
    fn subscription_message_round_trip(subscribe in any::<bool>(), topic in bytes_up_to(300)) {
        let frame = subscription_message(subscribe, &topic);
        prop_assert_eq!(frame.len(), topic.len() + 1);
        prop_assert_eq!(parse_subscription_message(&frame), Some((subscribe, topic)));
    }
}
