//! Socket options by name: `Options::set_by_name`, `get_by_name` and `NAMES`.

use std::collections::BTreeSet;
use std::time::Duration;

use zocket::{Error, Options, SocketType};

fn defaults() -> Options {
    Options::for_type(SocketType::Dealer)
}

fn set(name: &str, value: &str) -> Options {
    let mut o = defaults();
    o.set_by_name(name, value)
        .unwrap_or_else(|e| panic!("{name}={value}: {e}"));
    o
}

fn invalid(name: &str, value: &str) -> String {
    let mut o = defaults();
    match o.set_by_name(name, value) {
        Err(Error::InvalidOption { option, reason }) => {
            assert_eq!(
                o,
                defaults(),
                "a refused value must leave the options unchanged"
            );
            format!("{option}: {reason}")
        }
        other => panic!("{name}={value}: expected InvalidOption, got {other:?}"),
    }
}

/// The field names of `Options`, read from its pretty `Debug` form (one field per line,
/// indented four spaces), so that a field added later without a name fails here.
fn field_names() -> BTreeSet<String> {
    format!("{:#?}", defaults())
        .lines()
        .filter_map(|l| l.strip_prefix("    "))
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_once(':').map(|(name, _)| name.to_string()))
        .collect()
}

#[test]
fn names_cover_every_field_exactly_once() {
    let names: BTreeSet<String> = Options::NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(names.len(), Options::NAMES.len(), "duplicate names");
    let fields = field_names();
    assert!(fields.len() >= 30, "parsed too few fields: {fields:?}");
    assert_eq!(names, fields);
}

#[test]
fn every_name_round_trips_its_default() {
    for t in [SocketType::Dealer, SocketType::XSub] {
        let o = Options::for_type(t);
        for name in Options::NAMES {
            let text = o.get_by_name(name).unwrap();
            let mut back = o.clone();
            back.set_by_name(name, &text)
                .unwrap_or_else(|e| panic!("{name}={text:?} does not read back: {e}"));
            assert_eq!(back, o, "{name}={text:?}");
        }
    }
}

#[test]
fn every_name_sets_its_own_field() {
    // A value different from the default for each option; each must change the
    // options, print back as given, and be the only change.
    let samples: &[(&str, &str)] = &[
        ("sndhwm", "10"),
        ("rcvhwm", "20"),
        ("rcvhwm_bytes", "-1"),
        ("linger", "250ms"),
        ("sndtimeo", "2s"),
        ("rcvtimeo", "1500ms"),
        ("reconnect_ivl", "-1"),
        ("reconnect_ivl_max", "2s"),
        ("connect_timeout", "3s"),
        ("handshake_ivl", "0"),
        ("heartbeat_ivl", "100ms"),
        ("heartbeat_ttl", "5s"),
        ("heartbeat_timeout", "300ms"),
        ("routing_id", "alice"),
        ("connect_routing_id", "bob"),
        ("immediate", "1"),
        ("maxmsgsize", "65536"),
        ("max_frames_per_message", "16"),
        ("tcp_keepalive", "1"),
        ("tcp_keepalive_idle", "60s"),
        ("tcp_keepalive_intvl", "5s"),
        ("tcp_keepalive_cnt", "4"),
        ("backlog", "7"),
        ("ipv6", "1"),
        ("router_mandatory", "1"),
        ("router_handover", "1"),
        ("probe_router", "1"),
        ("req_relaxed", "1"),
        ("req_correlate", "1"),
        ("xpub_verbose", "1"),
        ("xpub_verboser", "1"),
        ("xpub_nodrop", "1"),
        ("invert_matching", "1"),
        ("xpub_manual", "1"),
        ("xpub_welcome_msg", "welcome"),
        ("xsub_verbose_unsubscribe", "1"),
        ("router_notify_connect", "1"),
        ("router_notify_disconnect", "1"),
        ("conflate", "1"),
        ("sndbuf", "65536"),
        ("rcvbuf", "131072"),
        ("tcp_maxrt", "5s"),
        ("stream_notify", "0"),
        ("multicast_hops", "8"),
        ("multicast_loop", "0"),
    ];
    let covered: BTreeSet<&str> = samples.iter().map(|(n, _)| *n).collect();
    let all: BTreeSet<&str> = Options::NAMES.iter().copied().collect();
    assert_eq!(covered, all);
    let mut changed = Vec::new();
    for (name, value) in samples {
        let o = set(name, value);
        assert_ne!(o, defaults(), "{name}={value} changed nothing");
        assert_eq!(o.get_by_name(name).unwrap(), *value, "{name}");
        for other in Options::NAMES.iter().filter(|n| *n != name) {
            assert_eq!(
                o.get_by_name(other).unwrap(),
                defaults().get_by_name(other).unwrap(),
                "setting {name} changed {other}"
            );
        }
        changed.push(o);
    }
    // No two options share a field.
    for (i, a) in changed.iter().enumerate() {
        for b in &changed[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn typed_values_land_in_the_fields() {
    assert_eq!(set("sndhwm", "10").sndhwm, 10);
    assert_eq!(set("rcvhwm", "0").rcvhwm, 0);
    assert_eq!(set("linger", "0").linger, Some(Duration::ZERO));
    assert_eq!(set("linger", "-1").linger, None);
    assert_eq!(set("linger", "20").linger, Some(Duration::from_millis(20)));
    assert_eq!(
        set("sndtimeo", "1.5s").sndtimeo,
        Some(Duration::from_millis(1500))
    );
    assert_eq!(
        set("rcvtimeo", "2m").rcvtimeo,
        Some(Duration::from_secs(120))
    );
    assert_eq!(set("reconnect_ivl", "-1").reconnect_ivl, None);
    assert_eq!(set("reconnect_ivl_max", "0").reconnect_ivl_max, None);
    assert_eq!(
        set("connect_timeout", "250us").connect_timeout,
        Some(Duration::from_micros(250))
    );
    assert_eq!(set("handshake_ivl", "0").handshake_ivl, None);
    assert_eq!(
        set("heartbeat_ivl", "1h").heartbeat_ivl,
        Some(Duration::from_secs(3600))
    );
    assert_eq!(set("heartbeat_timeout", "0").heartbeat_timeout, None);
    assert_eq!(set("heartbeat_timeout", "-1").heartbeat_timeout, None);
    assert_eq!(
        set("heartbeat_ttl", "10ns").heartbeat_ttl,
        Duration::from_nanos(10)
    );
    assert_eq!(set("routing_id", "a b").routing_id, &b"a b"[..]);
    assert_eq!(set("connect_routing_id", "").connect_routing_id, None);
    assert_eq!(set("maxmsgsize", "-1").maxmsgsize, None);
    assert_eq!(set("maxmsgsize", "1024").maxmsgsize, Some(1024));
    assert_eq!(set("tcp_keepalive", "-1").tcp_keepalive, None);
    assert_eq!(set("tcp_keepalive", "off").tcp_keepalive, Some(false));
    assert_eq!(set("tcp_keepalive", "yes").tcp_keepalive, Some(true));
    // libzmq counts keepalive times in seconds.
    assert_eq!(
        set("tcp_keepalive_idle", "30").tcp_keepalive_idle,
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        set("tcp_keepalive_intvl", "500ms").tcp_keepalive_intvl,
        Some(Duration::from_millis(500))
    );
    assert_eq!(set("tcp_keepalive_cnt", "-1").tcp_keepalive_cnt, None);
    assert!(set("router_mandatory", "true").router_mandatory);
    assert!(!set("immediate", "false").immediate);
}

#[test]
fn newer_options_take_their_values() {
    assert_eq!(
        set("xpub_welcome_msg", "hi").xpub_welcome_msg.as_deref(),
        Some(&b"hi"[..])
    );
    assert_eq!(set("xpub_welcome_msg", "").xpub_welcome_msg, None);
    assert_eq!(set("sndbuf", "-1").sndbuf, None);
    assert_eq!(set("rcvbuf", "4096").rcvbuf, Some(4096));
    assert_eq!(set("tcp_maxrt", "0").tcp_maxrt, None);
    assert_eq!(
        set("tcp_maxrt", "1500").tcp_maxrt,
        Some(Duration::from_millis(1500))
    );
    assert!(!set("stream_notify", "off").stream_notify);
    assert!(set("conflate", "on").conflate);
    assert!(invalid("sndbuf", "-2").contains("negative"));
}

#[test]
fn router_notify_is_libzmqs_bit_mask_over_two_fields() {
    let both = set("router_notify", "3");
    assert!(both.router_notify_connect && both.router_notify_disconnect);
    let connect = set("ZMQ_ROUTER_NOTIFY", "1");
    assert!(connect.router_notify_connect && !connect.router_notify_disconnect);
    let disconnect = set("router_notify", "2");
    assert!(!disconnect.router_notify_connect && disconnect.router_notify_disconnect);
    assert_eq!(disconnect.get_by_name("router_notify").unwrap(), "2");
    assert_eq!(defaults().get_by_name("router_notify").unwrap(), "0");
    assert_eq!(set("router_notify", "0"), defaults());
    assert!(invalid("router_notify", "4").contains("bit mask"));
    assert!(!Options::NAMES.contains(&"router_notify"));
}

#[test]
fn names_ignore_case_and_a_zmq_prefix() {
    assert_eq!(set("SNDHWM", "5").sndhwm, 5);
    assert_eq!(set("ZMQ_SNDHWM", "6").sndhwm, 6);
    assert_eq!(set("zmq_linger", "0").linger, Some(Duration::ZERO));
    assert_eq!(defaults().get_by_name("ZMQ_RCVHWM").unwrap(), "1000");
}

#[test]
fn unknown_names_are_refused() {
    let mut o = defaults();
    for name in ["", "nope", "zmq_", "sndhwm2", "snd_hwm"] {
        match o.set_by_name(name, "1") {
            Err(e @ Error::UnknownOption { .. }) => {
                assert_eq!(e.errno_name(), "EINVAL");
                assert!(e.to_string().contains(&format!("{name:?}")), "{e}");
            }
            other => panic!("{name:?}: expected UnknownOption, got {other:?}"),
        }
        assert!(matches!(
            o.get_by_name(name),
            Err(Error::UnknownOption { .. })
        ));
    }
    assert_eq!(o, defaults());
}

#[test]
fn bad_values_are_refused_with_a_reason() {
    assert!(invalid("sndhwm", "abc").starts_with("sndhwm: "));
    assert!(invalid("sndhwm", "-5").contains("negative"));
    assert!(invalid("sndhwm", "99999999999999999999999").contains("range"));
    assert!(invalid("backlog", "4294967296").contains("range"));
    assert!(invalid("linger", "-2").contains("duration"));
    assert!(invalid("linger", "soon").contains("duration"));
    assert!(invalid("linger", "10 parsecs").contains("duration"));
    assert!(invalid("linger", "1.5").contains("unit"));
    assert!(invalid("linger", ".5s").contains("duration"));
    assert!(invalid("linger", "1..5s").contains("duration"));
    assert!(invalid("linger", "").contains("duration"));
    assert!(invalid("linger", "99999999999999999999h").contains("too long"));
    assert!(invalid("immediate", "2").contains("flag"));
    assert!(invalid("tcp_keepalive", "maybe").contains("flag"));
    assert!(invalid("routing_id", &"x".repeat(256)).contains("255"));
    assert!(invalid("connect_routing_id", &"x".repeat(300)).contains("255"));
    let e = {
        let mut o = defaults();
        o.set_by_name("rcvhwm", "many").unwrap_err()
    };
    assert_eq!(e.errno_name(), "EINVAL");
    assert!(e.to_string().contains("rcvhwm"), "{e}");
}

#[test]
fn durations_parse_and_print_exactly() {
    let p = |s| Options::parse_duration(s);
    assert_eq!(p("20ms"), Ok(Duration::from_millis(20)));
    assert_eq!(p("1.5s"), Ok(Duration::from_millis(1500)));
    assert_eq!(p("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(p("0.1s"), Ok(Duration::from_millis(100)));
    assert_eq!(p("250"), Ok(Duration::from_millis(250)));
    assert_eq!(p("3us"), Ok(Duration::from_micros(3)));
    assert_eq!(p(" 7s "), Ok(Duration::from_secs(7)));
    assert!(p("-1").is_err());
    assert!(p("1.5").is_err());
    assert!(p("s").is_err());
    let mut o = defaults();
    for (input, printed) in [
        ("1.5s", "1500ms"),
        ("90s", "90s"),
        ("2m", "120s"),
        ("1.5us", "1500ns"),
    ] {
        o.set_by_name("linger", input).unwrap();
        assert_eq!(o.get_by_name("linger").unwrap(), printed, "{input}");
    }
}
