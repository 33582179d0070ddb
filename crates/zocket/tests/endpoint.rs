//! Endpoint parsing, canonical printing and resolution.

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::path::PathBuf;

use proptest::prelude::*;
use zocket::endpoint::{Endpoint, Host, IPC_PATH_MAX, IpcEndpoint, Port, TcpEndpoint};
use zocket::error::Error;

fn parse(s: &str) -> Endpoint {
    s.parse()
        .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn tcp(s: &str) -> TcpEndpoint {
    match parse(s) {
        Endpoint::Tcp(tcp) => tcp,
        other => panic!("{s:?} parsed as {other:?}"),
    }
}

fn ip(s: &str) -> Host {
    Host::Ip(s.parse().unwrap())
}

/// Every accepted form, with its canonical printing.
const ACCEPTED: &[(&str, &str)] = &[
    ("tcp://127.0.0.1:5555", "tcp://127.0.0.1:5555"),
    ("tcp://[::1]:5555", "tcp://[::1]:5555"),
    ("tcp://[0:0:0:0:0:0:0:1]:5555", "tcp://[::1]:5555"),
    ("tcp://[::ffff:10.0.0.1]:80", "tcp://[::ffff:10.0.0.1]:80"),
    ("tcp://*:5555", "tcp://*:5555"),
    ("tcp://*:*", "tcp://*:*"),
    ("tcp://*:0", "tcp://*:*"),
    ("tcp://127.0.0.1:*", "tcp://127.0.0.1:*"),
    ("tcp://127.0.0.1:0", "tcp://127.0.0.1:*"),
    ("tcp://127.0.0.1:65535", "tcp://127.0.0.1:65535"),
    ("tcp://127.0.0.1:1", "tcp://127.0.0.1:1"),
    ("tcp://127.0.0.1:05555", "tcp://127.0.0.1:5555"),
    ("tcp://[fe80::1%eth0]:5555", "tcp://[fe80::1%eth0]:5555"),
    ("tcp://[fe80::1%2]:5555", "tcp://[fe80::1%2]:5555"),
    ("tcp://localhost:5555", "tcp://localhost:5555"),
    ("tcp://eth0:5555", "tcp://eth0:5555"),
    (
        "tcp://my-host_1.example.com:80",
        "tcp://my-host_1.example.com:80",
    ),
    ("tcp://src:0;dst:5555", "tcp://src:*;dst:5555"),
    ("tcp://eth1:0;server1:5555", "tcp://eth1:*;server1:5555"),
    (
        "tcp://192.168.1.17:5555;192.168.1.1:5555",
        "tcp://192.168.1.17:5555;192.168.1.1:5555",
    ),
    ("tcp://*:*;[::1]:5555", "tcp://*:*;[::1]:5555"),
    ("ipc:///tmp/x", "ipc:///tmp/x"),
    ("ipc://relative/path", "ipc://relative/path"),
    ("ipc://@abstract", "ipc://@abstract"),
    ("ipc://*", "ipc://*"),
    ("inproc://name", "inproc://name"),
    ("inproc://a://b", "inproc://a://b"),
    ("udp://*:5555", "udp://*:5555"),
    ("udp://239.0.0.1:5555", "udp://239.0.0.1:5555"),
    ("udp://eth0;239.0.0.1:5555", "udp://eth0;239.0.0.1:5555"),
    (
        "udp://10.0.0.2;239.0.0.1:5555",
        "udp://10.0.0.2;239.0.0.1:5555",
    ),
    ("udp://[ff02::1]:5555", "udp://[ff02::1]:5555"),
    ("udp://eth0;[ff02::1]:5555", "udp://eth0;[ff02::1]:5555"),
    (
        "udp://[fe80::1];[ff02::1]:5555",
        "udp://[fe80::1];[ff02::1]:5555",
    ),
    ("udp://192.168.1.1:5555", "udp://192.168.1.1:5555"),
    ("udp://radio.example:5555", "udp://radio.example:5555"),
];

#[test]
fn accepted_forms_print_canonically_and_round_trip() {
    for &(input, canonical) in ACCEPTED {
        let ep = parse(input);
        assert_eq!(ep.to_string(), canonical, "printing {input:?}");
        assert_eq!(parse(canonical), ep, "re-parsing the print of {input:?}");
    }
}

#[test]
fn tcp_parts() {
    let ep = tcp("tcp://127.0.0.1:5555");
    assert_eq!(ep.source, None);
    assert_eq!(ep.host, ip("127.0.0.1"));
    assert_eq!(ep.port, Port::Number(5555));

    let ep = tcp("tcp://*:*");
    assert_eq!((ep.host, ep.port), (Host::Any, Port::Any));

    let ep = tcp("tcp://[::1]:5555");
    assert_eq!(ep.host, Host::Ip(IpAddr::V6(Ipv6Addr::LOCALHOST)));

    let ep = tcp("tcp://localhost:5555");
    assert_eq!(ep.host, Host::Name("localhost".into()));

    let ep = tcp("tcp://[fe80::1%eth0]:5555");
    assert_eq!(
        ep.host,
        Host::Ipv6Zoned {
            addr: "fe80::1".parse().unwrap(),
            zone: "eth0".into()
        }
    );

    // The last ';' splits source from destination.
    let ep = tcp("tcp://src:0;dst:5555");
    let source = ep.source.expect("source address");
    assert_eq!(source.host, Host::Name("src".into()));
    assert_eq!(source.port, Port::Any);
    assert_eq!(ep.host, Host::Name("dst".into()));
    assert_eq!(ep.port, Port::Number(5555));
}

#[test]
fn ipc_inproc_udp_parts() {
    assert_eq!(
        parse("ipc:///tmp/x"),
        Endpoint::Ipc(IpcEndpoint::Path(PathBuf::from("/tmp/x")))
    );
    assert_eq!(
        parse("ipc://@abstract"),
        Endpoint::Ipc(IpcEndpoint::Abstract(b"abstract".to_vec()))
    );
    assert_eq!(parse("ipc://*"), Endpoint::Ipc(IpcEndpoint::Any));
    assert_eq!(parse("inproc://name"), Endpoint::Inproc("name".into()));

    let Endpoint::Udp(udp) = parse("udp://eth0;239.0.0.1:5555") else {
        panic!("not udp")
    };
    assert_eq!(udp.interface.as_deref(), Some("eth0"));
    assert_eq!(udp.host, ip("239.0.0.1"));
    assert_eq!(udp.port, Port::Number(5555));
    assert!(udp.is_multicast());

    let Endpoint::Udp(udp) = parse("udp://*:5555") else {
        panic!("not udp")
    };
    assert_eq!((udp.interface, udp.host), (None, Host::Any));

    for (s, multicast) in [
        ("udp://239.0.0.1:5555", true),
        ("udp://[ff02::1]:5555", true),
        ("udp://[ff02::1%eth0]:5555", true),
        ("udp://192.168.1.1:5555", false),
        ("udp://*:5555", false),
        ("udp://radio.example:5555", false),
    ] {
        let Endpoint::Udp(udp) = parse(s) else {
            panic!("not udp")
        };
        assert_eq!(udp.is_multicast(), multicast, "{s}");
    }
}

#[test]
fn ipc_path_limit_is_107_bytes() {
    let longest = format!("ipc:///{}", "a".repeat(IPC_PATH_MAX - 1));
    assert!(matches!(
        parse(&longest),
        Endpoint::Ipc(IpcEndpoint::Path(_))
    ));
    let abstract_longest = format!("ipc://@{}", "a".repeat(IPC_PATH_MAX - 1));
    assert!(matches!(
        parse(&abstract_longest),
        Endpoint::Ipc(IpcEndpoint::Abstract(_))
    ));

    for too_long in [
        format!("ipc:///{}", "a".repeat(IPC_PATH_MAX)),
        format!("ipc://@{}", "a".repeat(IPC_PATH_MAX)),
    ] {
        match too_long.parse::<Endpoint>() {
            Err(Error::InvalidEndpoint { endpoint, reason }) => {
                assert_eq!(endpoint, too_long);
                assert_eq!(reason, "path too long");
            }
            other => panic!("{too_long:?}: {other:?}"),
        }
    }
}

#[test]
fn transport_names() {
    for (s, transport) in [
        ("tcp://*:1", "tcp"),
        ("ipc://*", "ipc"),
        ("inproc://x", "inproc"),
        ("udp://*:1", "udp"),
    ] {
        assert_eq!(parse(s).transport(), transport);
    }
}

#[test]
fn bind_wildcard_port() {
    for (s, wildcard) in [
        ("tcp://*:*", true),
        ("tcp://127.0.0.1:0", true),
        ("tcp://127.0.0.1:*", true),
        ("tcp://*:5555", false),
        ("tcp://src:0;dst:5555", false),
        ("ipc://*", false),
        ("inproc://x", false),
        ("udp://*:5555", false),
    ] {
        assert_eq!(parse(s).is_bind_wildcard_port(), wildcard, "{s}");
    }
    assert!(tcp("tcp://*:0").is_bind_wildcard_port());
}

#[test]
fn port_conversions() {
    assert_eq!(Port::from(0), Port::Any);
    assert_eq!(Port::from(80), Port::Number(80));
    assert_eq!(Port::Any.number(), 0);
    assert_eq!(Port::Number(5555).number(), 5555);
}

/// Rejections that are `InvalidEndpoint`, with the reason expected.
const INVALID: &[(&str, &str)] = &[
    (
        "tcp127.0.0.1:5555",
        "missing \"://\" between transport and address",
    ),
    ("://127.0.0.1:5555", "empty transport"),
    ("tcp://", "empty address"),
    ("foo://", "empty address"),
    ("inproc://", "empty address"),
    ("tcp://127.0.0.1", "missing port"),
    ("tcp://127.0.0.1:", "missing port"),
    ("tcp://localhost", "missing port"),
    ("tcp://127.0.0.1:65536", "port out of range (at most 65535)"),
    ("tcp://127.0.0.1:99999", "port out of range (at most 65535)"),
    (
        "tcp://127.0.0.1:123456789012345678901234567890",
        "port out of range (at most 65535)",
    ),
    ("tcp://127.0.0.1:abc", "port must be a number, '*' or 0"),
    ("tcp://127.0.0.1:!", "port must be a number, '*' or 0"),
    ("tcp://127.0.0.1:-1", "port must be a number, '*' or 0"),
    ("tcp://127.0.0.1:+80", "port must be a number, '*' or 0"),
    ("tcp://127.0.0.1:55 55", "port must be a number, '*' or 0"),
    (
        "tcp://127.0.0.1:5555/resource",
        "port must be a number, '*' or 0",
    ),
    ("tcp://*:*[60000-]", "port must be a number, '*' or 0"),
    ("tcp://:5555", "empty host"),
    (
        "tcp://::1:5555",
        "an IPv6 address must be enclosed in brackets",
    ),
    (
        "tcp://fe80::1%eth0:5555",
        "an IPv6 address must be enclosed in brackets",
    ),
    ("tcp://[::1]", "missing port"),
    ("tcp://[::1:5555", "unclosed '[' in host"),
    ("tcp://[::1]5555", "expected ':' and a port after ']'"),
    (
        "tcp://[127.0.0.1]:5555",
        "brackets must enclose an IPv6 address",
    ),
    (
        "tcp://[localhost]:5555",
        "brackets must enclose an IPv6 address",
    ),
    ("tcp://[]:5555", "brackets must enclose an IPv6 address"),
    ("tcp://[fe80::1%]:5555", "empty IPv6 zone after '%'"),
    ("tcp://[fe80::1%et h0]:5555", "invalid IPv6 zone"),
    ("tcp://[fe80::1%..]:5555", "invalid IPv6 zone"),
    (
        "tcp://host%eth0:5555",
        "a zone ('%') is only allowed in a bracketed IPv6 address",
    ),
    ("tcp://1.2.3:5555", "invalid IPv4 address"),
    ("tcp://256.1.1.1:5555", "invalid IPv4 address"),
    (
        "tcp://exa mple:5555",
        "invalid character in host (allowed: letters, digits, '-', '.', '_')",
    ),
    (
        "tcp://ex$ample:5555",
        "invalid character in host (allowed: letters, digits, '-', '.', '_')",
    ),
    (
        "tcp://hôst:5555",
        "invalid character in host (allowed: letters, digits, '-', '.', '_')",
    ),
    (
        "tcp://*x:5555",
        "invalid character in host (allowed: letters, digits, '-', '.', '_')",
    ),
    (
        "tcp://a;b:0;dst:5555",
        "invalid character in host (allowed: letters, digits, '-', '.', '_')",
    ),
    ("tcp://;host:5555", "empty source address before ';'"),
    ("tcp://src:0;", "empty address after ';'"),
    ("tcp://src;host:5555", "missing port"),
    ("ipc://@", "empty abstract socket name"),
    ("ipc://a\0b", "path contains a NUL byte"),
    (
        "udp://eth0;10.0.0.1:5555",
        "an interface may only be given with a multicast destination",
    ),
    (
        "udp://eth0;radio.example:5555",
        "an interface may only be given with a multicast destination",
    ),
    (
        "udp://239.1.1.1;239.0.0.1:5555",
        "the interface must not be a multicast address",
    ),
    ("udp://;239.0.0.1:5555", "empty interface before ';'"),
    ("udp://eth0;", "empty address after ';'"),
    ("udp://239.0.0.1", "missing port"),
    ("udp://[ff02::1", "unclosed '[' in host"),
    ("udp://[fe80::1;[ff02::1]:5555", "unclosed '[' in interface"),
];

#[test]
fn invalid_endpoints_are_einval_with_reason() {
    for &(input, expected_reason) in INVALID {
        let err = input
            .parse::<Endpoint>()
            .expect_err(&format!("{input:?} should be rejected"));
        assert_eq!(err.errno_name(), "EINVAL", "{input:?}");
        assert_eq!(err.errno(), 22, "{input:?}");
        match &err {
            Error::InvalidEndpoint { endpoint, reason } => {
                assert_eq!(endpoint, input);
                assert_eq!(*reason, expected_reason, "{input:?}");
            }
            other => panic!("{input:?}: expected InvalidEndpoint, got {other:?}"),
        }
        assert!(
            err.to_string().contains(&format!("{input:?}")),
            "message {err} should quote {input:?}"
        );
    }
}

#[test]
fn host_name_length_limit() {
    let longest = "a".repeat(253);
    assert_eq!(
        tcp(&format!("tcp://{longest}:1")).host,
        Host::Name(longest.clone())
    );
    let too_long = format!("tcp://{longest}a:1");
    assert!(matches!(
        too_long.parse::<Endpoint>(),
        Err(Error::InvalidEndpoint {
            reason: "host name too long",
            ..
        })
    ));
}

#[test]
fn unknown_transports_are_eprotonosupport() {
    for input in [
        "foo://bar",
        "TCP://127.0.0.1:5555",
        "pgm://eth0;239.192.1.1:5555",
        "epgm://eth0;239.192.1.1:5555",
        "ws://127.0.0.1:5555",
        "tipc://{5560,0,0}",
    ] {
        let err = input.parse::<Endpoint>().unwrap_err();
        assert_eq!(err.errno_name(), "EPROTONOSUPPORT", "{input}");
        assert_eq!(err.errno(), 93);
        match &err {
            Error::UnsupportedTransport { endpoint } => assert_eq!(endpoint, input),
            other => panic!("{input}: {other:?}"),
        }
        assert!(err.to_string().contains(input));
    }
}

#[test]
fn bind_addr_without_lookup() {
    assert_eq!(
        tcp("tcp://*:5555").bind_addr().unwrap(),
        Some("0.0.0.0:5555".parse().unwrap())
    );
    assert_eq!(
        tcp("tcp://*:*").bind_addr().unwrap(),
        Some("0.0.0.0:0".parse().unwrap())
    );
    assert_eq!(
        tcp("tcp://[::1]:7").bind_addr().unwrap(),
        Some("[::1]:7".parse().unwrap())
    );
    assert_eq!(tcp("tcp://localhost:5555").bind_addr().unwrap(), None);

    let zoned = tcp("tcp://[fe80::1%3]:80").bind_addr().unwrap();
    assert_eq!(
        zoned,
        Some(SocketAddr::V6(SocketAddrV6::new(
            "fe80::1".parse().unwrap(),
            80,
            0,
            3
        )))
    );

    let err = tcp("tcp://[fe80::1%nosuchif0]:80").bind_addr().unwrap_err();
    match &err {
        Error::InvalidEndpoint { endpoint, reason } => {
            assert_eq!(endpoint, "tcp://[fe80::1%nosuchif0]:80");
            assert_eq!(*reason, "unknown interface in IPv6 zone");
        }
        other => panic!("{other:?}"),
    }
}

#[cfg(target_os = "linux")]
#[test]
fn named_zone_uses_interface_index() {
    // The loopback interface exists on every Linux system, also in containers.
    let index: u32 = std::fs::read_to_string("/sys/class/net/lo/ifindex")
        .expect("loopback interface")
        .trim()
        .parse()
        .unwrap();
    let addr = tcp("tcp://[fe80::1%lo]:80").bind_addr().unwrap();
    match addr {
        Some(SocketAddr::V6(v6)) => assert_eq!(v6.scope_id(), index),
        other => panic!("{other:?}"),
    }
}

#[test]
fn source_socket_addr() {
    let ep = tcp("tcp://192.168.1.17:0;192.168.1.1:5555");
    let source = ep.source.as_ref().unwrap();
    assert_eq!(
        source.socket_addr().unwrap(),
        Some("192.168.1.17:0".parse().unwrap())
    );
    assert_eq!(source.to_string(), "192.168.1.17:*");

    let ep = tcp("tcp://eth1:0;server1:5555");
    assert_eq!(ep.source.as_ref().unwrap().socket_addr().unwrap(), None);
}

#[tokio::test(flavor = "current_thread")]
async fn resolve_localhost_gives_loopback() {
    let addrs = tcp("tcp://localhost:5555").resolve().await.unwrap();
    assert!(!addrs.is_empty());
    for addr in addrs {
        assert!(addr.ip().is_loopback(), "{addr}");
        assert_eq!(addr.port(), 5555);
    }
}

#[tokio::test(flavor = "current_thread")]
async fn resolve_literals_without_lookup() {
    assert_eq!(
        tcp("tcp://*:5555").resolve().await.unwrap(),
        vec!["0.0.0.0:5555".parse::<SocketAddr>().unwrap()]
    );
    assert_eq!(
        tcp("tcp://[::1]:*").resolve().await.unwrap(),
        vec!["[::1]:0".parse::<SocketAddr>().unwrap()]
    );
    assert!(matches!(
        tcp("tcp://[fe80::1%nosuchif0]:80").resolve().await,
        Err(Error::InvalidEndpoint { .. })
    ));
}

#[tokio::test(flavor = "current_thread")]
async fn resolve_unknown_name_fails_naming_the_endpoint() {
    // `.invalid` is reserved (RFC 2606) and never resolves.
    let err = tcp("tcp://no-such-host.invalid:5555")
        .resolve()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io(_)), "{err:?}");
    assert!(
        err.to_string().contains("tcp://no-such-host.invalid:5555"),
        "{err}"
    );
}

/// A host as it may be written: wildcards, literals, names, and near misses.
fn host_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        Just(String::new()),
        any::<std::net::Ipv4Addr>().prop_map(|ip| ip.to_string()),
        any::<Ipv6Addr>().prop_map(|ip| format!("[{ip}]")),
        any::<Ipv6Addr>().prop_map(|ip| ip.to_string()),
        (any::<Ipv6Addr>(), "[a-z0-9.%]{0,6}").prop_map(|(ip, zone)| format!("[{ip}%{zone}]")),
        "[a-z0-9._*%\\[\\]-]{1,12}",
        "[0-9.]{1,16}",
    ]
}

/// A port as it may be written.
fn port_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("*".to_owned()),
        any::<u16>().prop_map(|p| p.to_string()),
        "[0-9*+-]{0,7}",
    ]
}

/// `host:port` as it may be written.
fn host_port() -> impl Strategy<Value = String> {
    (host_text(), port_text()).prop_map(|(h, p)| format!("{h}:{p}"))
}

/// Strings that look like endpoints, to reach deep into the parsers.
fn endpoint_like() -> impl Strategy<Value = String> {
    let prefix = prop_oneof![
        Just(String::new()),
        host_port().prop_map(|hp| format!("{hp};")),
        host_text().prop_map(|h| format!("{h};")),
    ];
    prop_oneof![
        (
            prop::sample::select(vec!["tcp://", "udp://"]),
            prefix,
            host_port()
        )
            .prop_map(|(t, pre, hp)| format!("{t}{pre}{hp}")),
        (
            prop::sample::select(vec!["tcp://", "ipc://", "inproc://", "udp://", "", "x://"]),
            "[a-f0-9.:*;%@/\\[\\]e-]{0,24}",
        )
            .prop_map(|(prefix, rest)| format!("{prefix}{rest}")),
    ]
}

proptest! {
    #[test]
    fn parse_never_panics(s in any::<String>()) {
        let _ = s.parse::<Endpoint>();
    }

    #[test]
    fn parsed_endpoints_round_trip(s in endpoint_like()) {
        match s.parse::<Endpoint>() {
            Ok(ep) => {
                let printed = ep.to_string();
                prop_assert_eq!(printed.parse::<Endpoint>().ok(), Some(ep), "{}", printed);
            }
            Err(err) => {
                let expected = matches!(
                    err,
                    Error::InvalidEndpoint { .. } | Error::UnsupportedTransport { .. }
                );
                prop_assert!(expected, "unexpected error {:?}", err);
            }
        }
    }
}
