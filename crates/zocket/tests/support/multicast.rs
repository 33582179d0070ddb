//! Where a test can use IPv4 multicast on the loopback interface, shared by the
//! tests that need it (included with `#[path]`).
//!
//! Multicast never leaves loopback here: the groups are joined on 127.0.0.1 and sent
//! from it. When this host's loopback does not carry multicast, a test running as
//! root with `ip` available re-runs itself in a fresh network namespace that has only
//! `lo`, brought up with a `224.0.0.0/4` route; anywhere else it is skipped, saying
//! why.

use std::net::{Ipv4Addr, UdpSocket};
use std::process::{Command, Output};
use std::time::Duration;

/// Set in the environment of a test re-run inside a namespace.
pub(crate) const IN_NAMESPACE: &str = "ZOCKET_TEST_IN_NETNS";
/// Set (to anything) to take the namespace path even where loopback multicast works.
pub(crate) const FORCE_NAMESPACE: &str = "ZOCKET_TEST_FORCE_NETNS";

/// How the multicast part of a test runs.
pub(crate) enum Plan {
    /// Right here.
    Here,
    /// In this namespace (deleted when dropped).
    InNamespace(Namespace),
    /// Not at all, for this reason.
    Skip(String),
}

/// Whether a datagram sent to a multicast group from 127.0.0.1 reaches a socket that
/// joined the group on 127.0.0.1, with plain std sockets.
pub(crate) fn loopback_multicast_works() -> bool {
    let group = Ipv4Addr::new(239, 255, 99, 1);
    let probe = || -> std::io::Result<bool> {
        let rx = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?;
        rx.join_multicast_v4(&group, &Ipv4Addr::LOCALHOST)?;
        rx.set_read_timeout(Some(Duration::from_millis(200)))?;
        let port = rx.local_addr()?.port();
        // Linux sends multicast from a bound source address out of that address's
        // interface: lo.
        let tx = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?;
        tx.set_multicast_loop_v4(true)?;
        let mut buf = [0u8; 16];
        for _ in 0..3 {
            tx.send_to(b"probe", (group, port))?;
            if let Ok((n, _)) = rx.recv_from(&mut buf) {
                return Ok(&buf[..n] == b"probe");
            }
        }
        Ok(false)
    };
    probe().unwrap_or(false)
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run `ip`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`ip {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// A network namespace with only `lo`, up, and multicast routed to it.
pub(crate) struct Namespace {
    name: String,
}

impl Namespace {
    fn create(tag: &str) -> Result<Namespace, String> {
        let name = format!("zocket-{tag}-{}", std::process::id());
        ip(&["netns", "add", &name])?;
        let ns = Namespace { name };
        ip(&["-n", &ns.name, "link", "set", "lo", "up"])?;
        ip(&["-n", &ns.name, "route", "add", "224.0.0.0/4", "dev", "lo"])?;
        Ok(ns)
    }

    /// Runs `program` in the namespace, with [`IN_NAMESPACE`] set.
    pub(crate) fn run(&self, program: &std::path::Path, args: &[&str]) -> Output {
        Command::new("ip")
            .args(["netns", "exec", &self.name])
            .arg(program)
            .args(args)
            .env(IN_NAMESPACE, "1")
            .output()
            .expect("run in namespace")
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = ip(&["netns", "delete", &self.name]);
    }
}

/// Decides where a multicast test runs; `tag` names its namespace.
pub(crate) fn plan(tag: &str) -> Plan {
    if std::env::var_os(IN_NAMESPACE).is_some() {
        assert!(
            loopback_multicast_works(),
            "multicast does not work in the namespace made for it"
        );
        return Plan::Here;
    }
    if std::env::var_os(FORCE_NAMESPACE).is_none() && loopback_multicast_works() {
        return Plan::Here;
    }
    if !is_root() {
        return Plan::Skip(
            "loopback carries no multicast and making a network namespace needs root".into(),
        );
    }
    match Namespace::create(tag) {
        Ok(ns) => Plan::InNamespace(ns),
        Err(why) => Plan::Skip(format!(
            "loopback carries no multicast and no namespace could be made: {why}"
        )),
    }
}
