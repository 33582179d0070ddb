//! Socket options by name, as text: `Options::set_by_name("sndhwm", "10")`.
//!
//! This is what command-line tools and configuration files need: every field of
//! [`Options`] has the name libzmq gives it, lower case and without `ZMQ_`
//! (`ZMQ_SNDHWM` is `sndhwm`). Look-ups ignore case and an optional `zmq_` prefix, so
//! `SNDHWM` and `ZMQ_SNDHWM` work too.
//!
//! Values are written as follows; [`Options::get_by_name`] prints them so that they
//! read back unchanged.
//!
//! | kind | options | accepted values |
//! |---|---|---|
//! | count | `sndhwm`, `rcvhwm`, `backlog`, `max_frames_per_message`, `multicast_hops` (`0` = the OS default) | a non-negative integer |
//! | bytes | `maxmsgsize`, `rcvhwm_bytes` | a non-negative integer; `-1` = no limit |
//! | bytes, `-1` = OS default | `sndbuf`, `rcvbuf` | a non-negative integer |
//! | flag | `immediate`, `ipv6`, `router_mandatory`, `router_handover`, `probe_router`, `req_relaxed`, `req_correlate`, `xpub_verbose`, `xpub_verboser`, `xpub_nodrop`, `xpub_manual`, `xsub_verbose_unsubscribe`, `invert_matching`, `router_notify_connect`, `router_notify_disconnect`, `conflate`, `stream_notify`, `multicast_loop` | `1`/`0`, `true`/`false`, `yes`/`no`, `on`/`off` |
//! | bit mask | `router_notify` (libzmq's single option for the two `router_notify_*` flags) | `0`–`3`: 1 = connect, 2 = disconnect |
//! | tri-state flag | `tcp_keepalive` | `-1` = the OS default, or a flag as above |
//! | duration, `-1` = none | `linger` (forever), `sndtimeo`, `rcvtimeo` (wait forever), `reconnect_ivl` (no reconnection), `heartbeat_timeout` (the heartbeat interval; `0` too) | a duration |
//! | duration, `0` = none | `reconnect_ivl_max` (constant interval), `connect_timeout` (the OS's), `handshake_ivl` (no limit), `heartbeat_ivl` (no heartbeats), `tcp_maxrt` (the OS's) | a duration |
//! | duration | `heartbeat_ttl` | a duration |
//! | duration in seconds, `-1` = OS default | `tcp_keepalive_idle`, `tcp_keepalive_intvl` | a duration; a plain integer counts seconds, as in libzmq |
//! | count, `-1` = OS default | `tcp_keepalive_cnt` | a non-negative integer |
//! | identity | `routing_id` | text (its UTF-8 bytes), at most 255 bytes |
//! | identity, empty = none | `connect_routing_id` | text, at most 255 bytes |
//! | message, empty = none | `xpub_welcome_msg` | text (its UTF-8 bytes) |
//!
//! A duration is a number with a unit, `ns`, `us`, `ms`, `s`, `m` or `h`, and may have
//! a fraction: `20ms`, `1.5s`, `2m`. A plain integer counts milliseconds (seconds for
//! the two keepalive times above), as libzmq's integer options do.
//!
//! ```
//! use std::time::Duration;
//! use zocket::{Options, SocketType};
//!
//! let mut o = Options::for_type(SocketType::Push);
//! o.set_by_name("sndhwm", "10")?;
//! o.set_by_name("linger", "1.5s")?;
//! assert_eq!(o.sndhwm, 10);
//! assert_eq!(o.linger, Some(Duration::from_millis(1500)));
//! assert_eq!(o.get_by_name("linger")?, "1500ms");
//! o.set_by_name("linger", "-1")?;
//! assert_eq!(o.linger, None);
//! assert!(o.set_by_name("no_such_option", "1").is_err());
//! # Ok::<(), zocket::Error>(())
//! ```

use std::time::Duration;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::options::Options;

/// Longest routing id ZMTP carries (one length byte).
const MAX_ROUTING_ID: usize = 255;

/// How a plain integer (a number without a unit) is read in a duration.
#[derive(Clone, Copy)]
enum PlainUnit {
    Millis,
    Seconds,
}

impl Options {
    /// The option names [`set_by_name`](Self::set_by_name) and
    /// [`get_by_name`](Self::get_by_name) accept, one per field. They also accept
    /// `router_notify`, libzmq's bit mask over `router_notify_connect` (1) and
    /// `router_notify_disconnect` (2).
    pub const NAMES: &'static [&'static str] = &[
        "sndhwm",
        "rcvhwm",
        "rcvhwm_bytes",
        "linger",
        "sndtimeo",
        "rcvtimeo",
        "reconnect_ivl",
        "reconnect_ivl_max",
        "connect_timeout",
        "handshake_ivl",
        "heartbeat_ivl",
        "heartbeat_ttl",
        "heartbeat_timeout",
        "routing_id",
        "connect_routing_id",
        "immediate",
        "maxmsgsize",
        "max_frames_per_message",
        "tcp_keepalive",
        "tcp_keepalive_idle",
        "tcp_keepalive_intvl",
        "tcp_keepalive_cnt",
        "backlog",
        "ipv6",
        "router_mandatory",
        "router_handover",
        "probe_router",
        "req_relaxed",
        "req_correlate",
        "xpub_verbose",
        "xpub_verboser",
        "xpub_nodrop",
        "invert_matching",
        "xpub_manual",
        "xpub_welcome_msg",
        "xsub_verbose_unsubscribe",
        "router_notify_connect",
        "router_notify_disconnect",
        "conflate",
        "sndbuf",
        "rcvbuf",
        "tcp_maxrt",
        "stream_notify",
        "multicast_hops",
        "multicast_loop",
    ];

    /// Sets the option called `name` (see [`NAMES`](Self::NAMES); case is ignored, as
    /// is a `zmq_` prefix) from its text form `value`.
    ///
    /// Fails with [`Error::UnknownOption`] for a name no option has, and with
    /// [`Error::InvalidOption`] when the value does not parse or is out of range; the
    /// options are then unchanged. The module documentation lists the value syntax.
    pub fn set_by_name(&mut self, name: &str, value: &str) -> Result<()> {
        let option = canonical(name)?;
        let v = value.trim();
        let bad = |reason: String| Error::InvalidOption { option, reason };
        match option {
            "sndhwm" => self.sndhwm = count(v).map_err(bad)?,
            "rcvhwm" => self.rcvhwm = count(v).map_err(bad)?,
            "backlog" => self.backlog = count(v).map_err(bad)?,
            "max_frames_per_message" => self.max_frames_per_message = count(v).map_err(bad)?,
            "maxmsgsize" => self.maxmsgsize = minus_one_none(v, count).map_err(bad)?,
            "rcvhwm_bytes" => self.rcvhwm_bytes = minus_one_none(v, count).map_err(bad)?,
            "linger" => self.linger = minus_one_none(v, millis).map_err(bad)?,
            "sndtimeo" => self.sndtimeo = minus_one_none(v, millis).map_err(bad)?,
            "rcvtimeo" => self.rcvtimeo = minus_one_none(v, millis).map_err(bad)?,
            "reconnect_ivl" => self.reconnect_ivl = minus_one_none(v, millis).map_err(bad)?,
            "heartbeat_timeout" => {
                self.heartbeat_timeout = minus_one_none(v, millis).map_err(bad)?.filter(nonzero)
            }
            "reconnect_ivl_max" => self.reconnect_ivl_max = zero_none(v).map_err(bad)?,
            "connect_timeout" => self.connect_timeout = zero_none(v).map_err(bad)?,
            "handshake_ivl" => self.handshake_ivl = zero_none(v).map_err(bad)?,
            "heartbeat_ivl" => self.heartbeat_ivl = zero_none(v).map_err(bad)?,
            "heartbeat_ttl" => self.heartbeat_ttl = millis(v).map_err(bad)?,
            "tcp_keepalive_idle" => {
                self.tcp_keepalive_idle = minus_one_none(v, seconds).map_err(bad)?
            }
            "tcp_keepalive_intvl" => {
                self.tcp_keepalive_intvl = minus_one_none(v, seconds).map_err(bad)?
            }
            "tcp_keepalive_cnt" => {
                self.tcp_keepalive_cnt = minus_one_none(v, count).map_err(bad)?
            }
            "tcp_keepalive" => self.tcp_keepalive = minus_one_none(v, flag).map_err(bad)?,
            "routing_id" => self.routing_id = identity(value).map_err(bad)?,
            "connect_routing_id" => {
                self.connect_routing_id =
                    Some(identity(value).map_err(bad)?).filter(|b| !b.is_empty())
            }
            "immediate" => self.immediate = flag(v).map_err(bad)?,
            "ipv6" => self.ipv6 = flag(v).map_err(bad)?,
            "router_mandatory" => self.router_mandatory = flag(v).map_err(bad)?,
            "router_handover" => self.router_handover = flag(v).map_err(bad)?,
            "probe_router" => self.probe_router = flag(v).map_err(bad)?,
            "req_relaxed" => self.req_relaxed = flag(v).map_err(bad)?,
            "req_correlate" => self.req_correlate = flag(v).map_err(bad)?,
            "xpub_verbose" => self.xpub_verbose = flag(v).map_err(bad)?,
            "xpub_verboser" => self.xpub_verboser = flag(v).map_err(bad)?,
            "xpub_nodrop" => self.xpub_nodrop = flag(v).map_err(bad)?,
            "invert_matching" => self.invert_matching = flag(v).map_err(bad)?,
            "xpub_manual" => self.xpub_manual = flag(v).map_err(bad)?,
            "xpub_welcome_msg" => {
                self.xpub_welcome_msg =
                    Some(Bytes::copy_from_slice(value.as_bytes())).filter(|b| !b.is_empty())
            }
            "xsub_verbose_unsubscribe" => self.xsub_verbose_unsubscribe = flag(v).map_err(bad)?,
            "router_notify_connect" => self.router_notify_connect = flag(v).map_err(bad)?,
            "router_notify_disconnect" => self.router_notify_disconnect = flag(v).map_err(bad)?,
            ROUTER_NOTIFY => {
                let mask: u8 = count(v).map_err(bad)?;
                if mask > 3 {
                    return Err(bad(format!(
                        "{v:?} is not a bit mask of 1 (connect) and 2 (disconnect)"
                    )));
                }
                self.router_notify_connect = mask & 1 != 0;
                self.router_notify_disconnect = mask & 2 != 0;
            }
            "conflate" => self.conflate = flag(v).map_err(bad)?,
            "sndbuf" => self.sndbuf = minus_one_none(v, count).map_err(bad)?,
            "rcvbuf" => self.rcvbuf = minus_one_none(v, count).map_err(bad)?,
            "tcp_maxrt" => self.tcp_maxrt = zero_none(v).map_err(bad)?,
            "stream_notify" => self.stream_notify = flag(v).map_err(bad)?,
            "multicast_hops" => self.multicast_hops = count(v).map_err(bad)?,
            "multicast_loop" => self.multicast_loop = flag(v).map_err(bad)?,
            // `canonical` only returns entries of NAMES, and every entry is matched above.
            other => {
                return Err(Error::UnknownOption {
                    name: other.to_string(),
                });
            }
        }
        Ok(())
    }

    /// The option called `name` in the text form [`set_by_name`](Self::set_by_name)
    /// reads: `"1000"`, `"-1"`, `"1500ms"`, `"1"`/`"0"` for flags. Durations print in
    /// the largest of `s`, `ms`, `us` and `ns` that keeps them exact. A routing id that
    /// is not UTF-8 prints with U+FFFD in place of its invalid bytes.
    ///
    /// Fails with [`Error::UnknownOption`] for a name no option has.
    pub fn get_by_name(&self, name: &str) -> Result<String> {
        let option = canonical(name)?;
        let none_as =
            |d: Option<Duration>, none: &str| d.map_or_else(|| none.to_string(), fmt_duration);
        Ok(match option {
            "sndhwm" => self.sndhwm.to_string(),
            "rcvhwm" => self.rcvhwm.to_string(),
            "backlog" => self.backlog.to_string(),
            "max_frames_per_message" => self.max_frames_per_message.to_string(),
            "maxmsgsize" => self
                .maxmsgsize
                .map_or_else(|| "-1".into(), |n| n.to_string()),
            "rcvhwm_bytes" => self
                .rcvhwm_bytes
                .map_or_else(|| "-1".into(), |n| n.to_string()),
            "linger" => none_as(self.linger, "-1"),
            "sndtimeo" => none_as(self.sndtimeo, "-1"),
            "rcvtimeo" => none_as(self.rcvtimeo, "-1"),
            "reconnect_ivl" => none_as(self.reconnect_ivl, "-1"),
            "heartbeat_timeout" => none_as(self.heartbeat_timeout, "-1"),
            "reconnect_ivl_max" => none_as(self.reconnect_ivl_max, "0"),
            "connect_timeout" => none_as(self.connect_timeout, "0"),
            "handshake_ivl" => none_as(self.handshake_ivl, "0"),
            "heartbeat_ivl" => none_as(self.heartbeat_ivl, "0"),
            "heartbeat_ttl" => fmt_duration(self.heartbeat_ttl),
            "tcp_keepalive_idle" => none_as(self.tcp_keepalive_idle, "-1"),
            "tcp_keepalive_intvl" => none_as(self.tcp_keepalive_intvl, "-1"),
            "tcp_keepalive_cnt" => self
                .tcp_keepalive_cnt
                .map_or_else(|| "-1".into(), |n| n.to_string()),
            "tcp_keepalive" => self.tcp_keepalive.map_or_else(|| "-1".into(), fmt_flag),
            "routing_id" => String::from_utf8_lossy(&self.routing_id).into_owned(),
            "connect_routing_id" => self
                .connect_routing_id
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
            "immediate" => fmt_flag(self.immediate),
            "ipv6" => fmt_flag(self.ipv6),
            "router_mandatory" => fmt_flag(self.router_mandatory),
            "router_handover" => fmt_flag(self.router_handover),
            "probe_router" => fmt_flag(self.probe_router),
            "req_relaxed" => fmt_flag(self.req_relaxed),
            "req_correlate" => fmt_flag(self.req_correlate),
            "xpub_verbose" => fmt_flag(self.xpub_verbose),
            "xpub_verboser" => fmt_flag(self.xpub_verboser),
            "xpub_nodrop" => fmt_flag(self.xpub_nodrop),
            "invert_matching" => fmt_flag(self.invert_matching),
            "xpub_manual" => fmt_flag(self.xpub_manual),
            "xpub_welcome_msg" => self
                .xpub_welcome_msg
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default(),
            "xsub_verbose_unsubscribe" => fmt_flag(self.xsub_verbose_unsubscribe),
            "router_notify_connect" => fmt_flag(self.router_notify_connect),
            "router_notify_disconnect" => fmt_flag(self.router_notify_disconnect),
            ROUTER_NOTIFY => (u8::from(self.router_notify_connect)
                | u8::from(self.router_notify_disconnect) << 1)
                .to_string(),
            "conflate" => fmt_flag(self.conflate),
            "sndbuf" => self.sndbuf.map_or_else(|| "-1".into(), |n| n.to_string()),
            "rcvbuf" => self.rcvbuf.map_or_else(|| "-1".into(), |n| n.to_string()),
            "tcp_maxrt" => none_as(self.tcp_maxrt, "0"),
            "stream_notify" => fmt_flag(self.stream_notify),
            "multicast_hops" => self.multicast_hops.to_string(),
            "multicast_loop" => fmt_flag(self.multicast_loop),
            other => {
                return Err(Error::UnknownOption {
                    name: other.to_string(),
                });
            }
        })
    }

    /// Parses a duration as the options and the `zocket` tool write them: a number
    /// with a unit (`ns`, `us`, `ms`, `s`, `m`, `h`), possibly with a fraction
    /// (`20ms`, `1.5s`, `2m`), or a plain integer of milliseconds (`250`).
    ///
    /// ```
    /// use std::time::Duration;
    /// use zocket::Options;
    /// assert_eq!(Options::parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
    /// assert_eq!(Options::parse_duration("250"), Ok(Duration::from_millis(250)));
    /// assert!(Options::parse_duration("soon").is_err());
    /// ```
    pub fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
        duration(text.trim(), PlainUnit::Millis)
    }
}

/// libzmq's `ZMQ_ROUTER_NOTIFY`, a bit mask over two fields, so not in
/// [`Options::NAMES`] (which has one name per field) but accepted all the same.
const ROUTER_NOTIFY: &str = "router_notify";

/// The entry of [`Options::NAMES`] (or [`ROUTER_NOTIFY`]) that `name` stands for.
fn canonical(name: &str) -> Result<&'static str> {
    let lower = name.trim().to_ascii_lowercase();
    let bare = lower.strip_prefix("zmq_").unwrap_or(&lower);
    Options::NAMES
        .iter()
        .copied()
        .chain([ROUTER_NOTIFY])
        .find(|n| *n == bare)
        .ok_or_else(|| Error::UnknownOption {
            name: name.to_string(),
        })
}

fn nonzero(d: &Duration) -> bool {
    !d.is_zero()
}

fn count<T: std::str::FromStr>(v: &str) -> std::result::Result<T, String> {
    if v.starts_with('-') {
        return Err(format!(
            "{v:?} is negative; expected a non-negative integer"
        ));
    }
    v.parse()
        .map_err(|_| format!("{v:?} is not a non-negative integer in range"))
}

/// `-1` is `None`; anything else is parsed by `parse`.
fn minus_one_none<T>(
    v: &str,
    parse: fn(&str) -> std::result::Result<T, String>,
) -> std::result::Result<Option<T>, String> {
    if v == "-1" {
        Ok(None)
    } else {
        parse(v).map(Some)
    }
}

/// A duration where zero means `None`.
fn zero_none(v: &str) -> std::result::Result<Option<Duration>, String> {
    millis(v).map(|d| Some(d).filter(nonzero))
}

fn millis(v: &str) -> std::result::Result<Duration, String> {
    duration(v, PlainUnit::Millis)
}

fn seconds(v: &str) -> std::result::Result<Duration, String> {
    duration(v, PlainUnit::Seconds)
}

fn flag(v: &str) -> std::result::Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "{v:?} is not a flag; expected 1/0, true/false, yes/no or on/off"
        )),
    }
}

fn identity(v: &str) -> std::result::Result<Bytes, String> {
    if v.len() > MAX_ROUTING_ID {
        return Err(format!(
            "{} bytes; at most {MAX_ROUTING_ID} are allowed",
            v.len()
        ));
    }
    Ok(Bytes::copy_from_slice(v.as_bytes()))
}

fn fmt_flag(b: bool) -> String {
    if b { "1" } else { "0" }.to_string()
}

/// A duration in the largest unit that keeps it exact.
fn fmt_duration(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns == 0 {
        "0".to_string()
    } else if ns % 1_000_000_000 == 0 {
        format!("{}s", ns / 1_000_000_000)
    } else if ns % 1_000_000 == 0 {
        format!("{}ms", ns / 1_000_000)
    } else if ns % 1_000 == 0 {
        format!("{}us", ns / 1_000)
    } else {
        format!("{ns}ns")
    }
}

/// Parses `<number><unit>` or a plain integer counted in `plain` units.
fn duration(v: &str, plain: PlainUnit) -> std::result::Result<Duration, String> {
    let expected =
        || format!("{v:?} is not a duration; expected e.g. 20ms, 1.5s, 2m or a plain integer");
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    if number.is_empty() || number.starts_with('.') || number.ends_with('.') {
        return Err(expected());
    }
    let nanos_per_unit: u64 = match unit.trim() {
        "" => match plain {
            PlainUnit::Millis => 1_000_000,
            PlainUnit::Seconds => 1_000_000_000,
        },
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return Err(expected()),
    };
    if unit.is_empty() && number.contains('.') {
        return Err(format!(
            "{v:?} needs a unit when it has a fraction (e.g. 1.5s)"
        ));
    }
    let too_long = || format!("{v:?} is too long a duration");
    match number.split_once('.') {
        None => {
            let n: u64 = number.parse().map_err(|_| too_long())?;
            let total = u128::from(n) * u128::from(nanos_per_unit);
            let secs = u64::try_from(total / 1_000_000_000).map_err(|_| too_long())?;
            // The remainder is below 10^9 and fits a u32.
            let sub = (total % 1_000_000_000) as u32;
            Ok(Duration::new(secs, sub))
        }
        Some((whole, frac)) => {
            if frac.contains('.') {
                return Err(expected());
            }
            let value: f64 = format!("{whole}.{frac}").parse().map_err(|_| expected())?;
            let nanos = (value * nanos_per_unit as f64).round();
            // u64 nanoseconds reach 584 years, far beyond any useful option.
            if !nanos.is_finite() || nanos >= u64::MAX as f64 {
                return Err(too_long());
            }
            Ok(Duration::from_nanos(nanos as u64))
        }
    }
}
