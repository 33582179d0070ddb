//! The library error type: errno names and values, I/O mapping, messages.

use std::error::Error as _;
use std::io;

use zocket::error::{Error, Result};
use zocket::proto::{ProtocolError, SocketType, UsageError};

const HAUSNUMERO: i32 = 156_384_712;

fn every_case() -> Vec<(Error, &'static str, i32)> {
    vec![
        (Error::WouldBlock, "EAGAIN", 11),
        (Error::Timeout, "EAGAIN", 11),
        (
            Error::Fsm {
                operation: "send",
                state: "awaiting a reply",
            },
            "EFSM",
            HAUSNUMERO + 51,
        ),
        (Error::HostUnreachable, "EHOSTUNREACH", 113),
        (
            Error::AddrInUse {
                endpoint: "tcp://*:5555".into(),
            },
            "EADDRINUSE",
            98,
        ),
        (
            Error::AddrNotAvailable {
                endpoint: "tcp://10.9.8.7:5555".into(),
            },
            "EADDRNOTAVAIL",
            99,
        ),
        (
            Error::InvalidEndpoint {
                endpoint: "tcp://x".into(),
                reason: "missing port",
            },
            "EINVAL",
            22,
        ),
        (
            Error::UnsupportedTransport {
                endpoint: "foo://x".into(),
            },
            "EPROTONOSUPPORT",
            93,
        ),
        (
            Error::IncompatibleTransport {
                transport: "udp",
                socket_type: SocketType::Req,
            },
            "ENOCOMPATPROTO",
            HAUSNUMERO + 52,
        ),
        (
            Error::MessageTooLarge {
                size: 9000,
                limit: 8192,
            },
            "EMSGSIZE",
            90,
        ),
        (
            Error::InvalidOption {
                option: "ZMQ_SNDHWM",
                reason: "must not be negative".into(),
            },
            "EINVAL",
            22,
        ),
        (
            Error::UnknownOption {
                name: "ZMQ_NOPE".into(),
            },
            "EINVAL",
            22,
        ),
        (
            Error::NotSupported {
                operation: "send",
                socket_type: SocketType::Sub,
            },
            "ENOTSUP",
            95,
        ),
        (
            Error::NotFound {
                endpoint: "tcp://127.0.0.1:1".into(),
            },
            "ENOENT",
            2,
        ),
        (Error::Closed, "ETERM", HAUSNUMERO + 53),
        (
            Error::Protocol(ProtocolError::BadSignature.into()),
            "EPROTO",
            71,
        ),
        (
            Error::Io(io::Error::from(io::ErrorKind::ConnectionRefused)),
            "ECONNREFUSED",
            111,
        ),
    ]
}

#[test]
fn errno_name_and_value_of_every_case() {
    for (err, name, errno) in every_case() {
        assert_eq!(err.errno_name(), name, "{err:?}");
        assert_eq!(err.errno(), errno, "{err:?}");
    }
}

#[test]
fn libzmq_own_errnos() {
    assert_eq!(
        Error::Fsm {
            operation: "receive",
            state: "owing a reply"
        }
        .errno(),
        156_384_763
    );
    assert_eq!(
        Error::IncompatibleTransport {
            transport: "udp",
            socket_type: SocketType::Push
        }
        .errno(),
        156_384_764
    );
    assert_eq!(Error::Closed.errno(), 156_384_765);
}

#[test]
fn protocol_errors_keep_the_core_errno() {
    let cases: Vec<(zocket::proto::Error, &str, i32)> = vec![
        (ProtocolError::EmptyCommand.into(), "EPROTO", 71),
        (
            ProtocolError::FrameTooLarge { size: 10, limit: 5 }.into(),
            "EMSGSIZE",
            90,
        ),
        (UsageError::EmptyMessage.into(), "EINVAL", 22),
        (UsageError::NotReady.into(), "EAGAIN", 11),
        (
            zocket::proto::Error::HandshakeTimeout { millis: 30_000 },
            "ETIMEDOUT",
            110,
        ),
        (zocket::proto::Error::Closed, "ETERM", HAUSNUMERO + 53),
    ];
    for (inner, name, errno) in cases {
        let err = Error::from(inner);
        assert!(matches!(err, Error::Protocol(_)));
        assert_eq!(err.errno_name(), name, "{err:?}");
        assert_eq!(err.errno(), errno, "{err:?}");
    }
}

#[test]
fn protocol_error_message_is_the_core_message() {
    let inner = zocket::proto::Error::from(ProtocolError::BadSignature);
    let expected = inner.to_string();
    assert_eq!(Error::from(inner).to_string(), expected);
}

#[test]
fn io_errno_from_kind_when_no_os_code() {
    for (kind, name, errno) in [
        (io::ErrorKind::WouldBlock, "EAGAIN", 11),
        (io::ErrorKind::TimedOut, "ETIMEDOUT", 110),
        (io::ErrorKind::AddrInUse, "EADDRINUSE", 98),
        (io::ErrorKind::AddrNotAvailable, "EADDRNOTAVAIL", 99),
        (io::ErrorKind::NotFound, "ENOENT", 2),
        (io::ErrorKind::PermissionDenied, "EACCES", 13),
        (io::ErrorKind::ConnectionReset, "ECONNRESET", 104),
        (io::ErrorKind::BrokenPipe, "EPIPE", 32),
        (io::ErrorKind::InvalidInput, "EINVAL", 22),
        (io::ErrorKind::Interrupted, "EINTR", 4),
        (io::ErrorKind::Unsupported, "ENOTSUP", 95),
        (io::ErrorKind::HostUnreachable, "EHOSTUNREACH", 113),
        (io::ErrorKind::Other, "EIO", 5),
        (io::ErrorKind::UnexpectedEof, "EIO", 5),
    ] {
        let err = Error::from(io::Error::new(kind, "test"));
        assert_eq!(err.errno_name(), name, "{kind:?}");
        assert_eq!(err.errno(), errno, "{kind:?}");
    }
}

#[test]
fn io_errno_is_the_os_code_when_present() {
    // EADDRINUSE on Linux, something else elsewhere: errno() is the raw value anyway.
    let err = Error::from(io::Error::from_raw_os_error(98));
    assert_eq!(err.errno(), 98);
}

#[cfg(target_os = "linux")]
#[test]
fn io_errno_name_from_linux_os_code() {
    for (code, name) in [
        (11, "EAGAIN"),
        (98, "EADDRINUSE"),
        (99, "EADDRNOTAVAIL"),
        (111, "ECONNREFUSED"),
        (24, "EMFILE"),
        (36, "ENAMETOOLONG"),
        (19, "ENODEV"),
        (95, "ENOTSUP"),
    ] {
        let err = Error::from(io::Error::from_raw_os_error(code));
        assert_eq!(err.errno_name(), name, "os error {code}");
        assert_eq!(err.errno(), code);
    }
    // A code outside the table is named from its kind (E2BIG has no ErrorKind that
    // zocket maps) but keeps its value.
    let err = Error::from(io::Error::from_raw_os_error(7));
    assert_eq!(err.errno_name(), "EIO");
    assert_eq!(err.errno(), 7);
}

#[test]
fn from_io_bind_maps_address_errors() {
    let endpoint = "tcp://127.0.0.1:5555";

    let err = Error::from_io_bind(io::Error::from(io::ErrorKind::AddrInUse), endpoint);
    assert!(matches!(&err, Error::AddrInUse { endpoint: e } if e == endpoint));
    assert_eq!(err.errno_name(), "EADDRINUSE");

    let err = Error::from_io_bind(io::Error::from(io::ErrorKind::AddrNotAvailable), endpoint);
    assert!(matches!(&err, Error::AddrNotAvailable { endpoint: e } if e == endpoint));
    assert_eq!(err.errno_name(), "EADDRNOTAVAIL");

    let err = Error::from_io_bind(io::Error::from(io::ErrorKind::PermissionDenied), endpoint);
    match &err {
        Error::Io(e) => assert_eq!(e.kind(), io::ErrorKind::PermissionDenied),
        other => panic!("{other:?}"),
    }
}

#[cfg(target_os = "linux")]
#[test]
fn from_io_bind_maps_os_codes() {
    let err = Error::from_io_bind(io::Error::from_raw_os_error(98), "tcp://*:1");
    assert!(matches!(err, Error::AddrInUse { .. }));
    let err = Error::from_io_bind(io::Error::from_raw_os_error(99), "tcp://*:1");
    assert!(matches!(err, Error::AddrNotAvailable { .. }));
}

#[test]
fn from_io_bind_on_a_real_port_conflict() {
    let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = first.local_addr().unwrap();
    let endpoint = format!("tcp://{addr}");
    let io_err = std::net::TcpListener::bind(addr).unwrap_err();
    let err = Error::from_io_bind(io_err, &endpoint);
    assert!(matches!(&err, Error::AddrInUse { endpoint: e } if *e == endpoint));
    assert!(err.to_string().contains(&endpoint), "{err}");
}

#[test]
fn would_block() {
    assert!(Error::WouldBlock.is_would_block());
    assert!(Error::from(io::Error::from(io::ErrorKind::WouldBlock)).is_would_block());
    assert!(!Error::Timeout.is_would_block());
    assert!(!Error::Closed.is_would_block());
    assert!(!Error::from(io::Error::from(io::ErrorKind::TimedOut)).is_would_block());
}

#[test]
fn messages_name_what_went_wrong() {
    let cases: Vec<(Error, Vec<&str>)> = vec![
        (
            Error::AddrInUse {
                endpoint: "tcp://*:5555".into(),
            },
            vec!["tcp://*:5555", "in use"],
        ),
        (
            Error::AddrNotAvailable {
                endpoint: "tcp://10.9.8.7:5555".into(),
            },
            vec!["tcp://10.9.8.7:5555", "not available"],
        ),
        (
            Error::InvalidEndpoint {
                endpoint: "tcp://x".into(),
                reason: "missing port",
            },
            vec!["tcp://x", "missing port"],
        ),
        (
            Error::UnsupportedTransport {
                endpoint: "foo://x".into(),
            },
            vec!["foo://x", "transport"],
        ),
        (
            Error::NotFound {
                endpoint: "ipc:///tmp/gone".into(),
            },
            vec!["ipc:///tmp/gone"],
        ),
        (
            Error::IncompatibleTransport {
                transport: "udp",
                socket_type: SocketType::Req,
            },
            vec!["udp", "REQ"],
        ),
        (
            Error::NotSupported {
                operation: "send",
                socket_type: SocketType::Sub,
            },
            vec!["send", "SUB"],
        ),
        (
            Error::Fsm {
                operation: "send",
                state: "awaiting a reply",
            },
            vec!["send", "awaiting a reply"],
        ),
        (
            Error::MessageTooLarge {
                size: 9000,
                limit: 8192,
            },
            vec!["9000", "8192"],
        ),
        (
            Error::InvalidOption {
                option: "ZMQ_SNDHWM",
                reason: "must not be negative".into(),
            },
            vec!["ZMQ_SNDHWM", "must not be negative"],
        ),
        (
            Error::UnknownOption {
                name: "ZMQ_NOPE".into(),
            },
            vec!["ZMQ_NOPE"],
        ),
        (Error::WouldBlock, vec!["would block"]),
        (Error::Timeout, vec!["timeout"]),
        (Error::HostUnreachable, vec!["routing id"]),
        (Error::Closed, vec!["closed"]),
    ];
    for (err, needles) in cases {
        let message = err.to_string();
        for needle in needles {
            assert!(message.contains(needle), "{message:?} lacks {needle:?}");
        }
    }
}

#[test]
fn io_error_is_transparent() {
    let inner = io::Error::new(io::ErrorKind::ConnectionReset, "peer went away");
    let err = Error::from(inner);
    assert_eq!(err.to_string(), "peer went away");
    assert!(err.source().is_none());
}

#[test]
fn question_mark_converts_into_error() {
    fn open() -> Result<()> {
        Err(io::Error::from(io::ErrorKind::NotFound))?;
        Ok(())
    }
    fn handshake() -> Result<u8> {
        Err(zocket::proto::Error::Closed)?
    }
    assert!(matches!(open(), Err(Error::Io(_))));
    assert!(matches!(handshake(), Err(Error::Protocol(_))));
}

#[test]
fn error_is_send_sync_static() {
    fn check<T: Send + Sync + 'static + std::error::Error>() {}
    check::<Error>();
}
