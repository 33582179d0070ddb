//! The Rust peers: one process per sender or receiver, started by the runner as
//! `zocket-bench peer IMPL ROLE ENDPOINT SIZE COUNT WARMUP SUBS [--rt RT] [--work-ns N]`.
//!
//! Line protocol on stdout, shared with the C peer (`c/zb_libzmq.c`):
//! - binding roles (`pull`, `router`, `rep`, `pub`) print `READY <endpoint>` once bound;
//! - `inproc` holds a PULL bound to ENDPOINT and a PUSH connected to it in one
//!   process, and prints only the receiver's `RESULT` (as `pull` would);
//! - `sub` prints `JOINED` when the publisher's first warm-up message arrives;
//! - every role ends with `RESULT key=value ...`.
//!
//! Peers read the runner's commands on stdin: `GO` (every subscriber joined: the
//! publisher sends the data) and `STOP` or end of input (the run is over: the
//! publisher stops sending end markers; a peer without linger may close).
//! Errors go to stderr with exit code 1; 3 means "this implementation does not
//! support the role" (reported as n/a).

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

mod raw;
#[cfg(feature = "rzmq")]
mod rzmq_peer;
#[cfg(feature = "zmqrs")]
mod zmqrs;
mod zocket_blocking;
mod zocket_peer;

/// Exit code for "not supported by this implementation".
pub(crate) const EXIT_UNSUPPORTED: i32 = 3;

/// What a peer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Push,
    Pull,
    /// DEALER: connects and sends, like `Push`.
    Dealer,
    /// ROUTER: binds and receives `[routing id][body]`, like `Pull`.
    Router,
    /// PUSH and PULL over `inproc://` in this one process.
    Inproc,
    Req,
    Rep,
    Pub,
    Sub,
}

/// A peer's arguments.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    pub(crate) role: Role,
    /// Bind (`tcp://127.0.0.1:*`, `ipc:///tmp/…`, `inproc://bench`) or connect endpoint.
    pub(crate) endpoint: String,
    /// Payload bytes per message.
    pub(crate) size: usize,
    /// Measured messages (round trips for `req`).
    pub(crate) count: u64,
    /// Unmeasured round trips before the measured ones (`req`, `rep`).
    pub(crate) warmup: u64,
    /// Number of subscribers (`pub` of the raw implementation waits for them).
    pub(crate) subs: usize,
    /// Busy work, in nanoseconds, that the raw ceiling's `req` and `rep` do
    /// between receiving and sending (`--work-ns`, default 0): it calibrates
    /// what a microsecond of a library's own work per round trip and process
    /// costs in latency.
    pub(crate) work_ns: u64,
}

/// Why a peer failed.
#[derive(Debug)]
pub(crate) enum PeerError {
    /// The implementation cannot do this (socket type not implemented …).
    Unsupported(String),
    /// Anything else.
    Failed(String),
}

impl<E: std::fmt::Display> From<E> for PeerError {
    fn from(e: E) -> Self {
        PeerError::Failed(e.to_string())
    }
}

pub(crate) type PeerResult = Result<(), PeerError>;

/// Entry point of `zocket-bench peer …`; returns the exit code.
pub(crate) fn main(argv: &[String]) -> i32 {
    match run(argv) {
        Ok(()) => 0,
        Err(PeerError::Unsupported(why)) => {
            eprintln!("unsupported: {why}");
            EXIT_UNSUPPORTED
        }
        Err(PeerError::Failed(why)) => {
            eprintln!("error: {why}");
            1
        }
    }
}

fn run(argv: &[String]) -> PeerResult {
    let mut pos = Vec::new();
    let mut rt = "mt1".to_string();
    let mut work_ns = 0;
    let mut it = argv.iter();
    while let Some(a) = it.next() {
        if a == "--rt" {
            rt = it.next().cloned().unwrap_or_default();
        } else if a == "--work-ns" {
            work_ns = it.next().map(|n| n.parse()).transpose()?.unwrap_or(0);
        } else {
            pos.push(a.clone());
        }
    }
    if pos.len() != 7 {
        return Err(PeerError::Failed(format!(
            "usage: peer IMPL ROLE ENDPOINT SIZE COUNT WARMUP SUBS [--rt ct|mt1|mt2|blocking] [--work-ns N], got {pos:?}"
        )));
    }
    let role = match pos[1].as_str() {
        "push" => Role::Push,
        "pull" => Role::Pull,
        "dealer" => Role::Dealer,
        "router" => Role::Router,
        "inproc" => Role::Inproc,
        "req" => Role::Req,
        "rep" => Role::Rep,
        "pub" => Role::Pub,
        "sub" => Role::Sub,
        other => return Err(PeerError::Failed(format!("unknown role {other}"))),
    };
    let args = Args {
        role,
        endpoint: pos[2].clone(),
        size: pos[3].parse::<usize>()?.max(1),
        count: pos[4].parse()?,
        warmup: pos[5].parse()?,
        subs: pos[6].parse()?,
        work_ns,
    };
    let runtime = match rt.as_str() {
        "ct" => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?,
        // The blocking peer runs on zocket's own background runtime.
        "blocking" => tokio::runtime::Builder::new_current_thread().build()?,
        "mt1" | "mt2" => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(if rt == "mt1" { 1 } else { 2 })
            .enable_all()
            .build()?,
        other => return Err(PeerError::Failed(format!("unknown runtime {other}"))),
    };
    watch_stdin();
    let result = match pos[0].as_str() {
        "zocket" if rt == "blocking" => zocket_blocking::run(&args),
        "zocket" => runtime.block_on(zocket_peer::run(&args)),
        "raw" => runtime.block_on(raw::run(&args)),
        #[cfg(feature = "zmqrs")]
        "zmqrs" => runtime.block_on(zmqrs::run(&args)),
        #[cfg(feature = "rzmq")]
        "rzmq" => runtime.block_on(rzmq_peer::run(&args)),
        other => Err(PeerError::Unsupported(format!(
            "implementation {other} is not built in"
        ))),
    };
    // Do not wait for tasks a library left behind.
    runtime.shutdown_timeout(Duration::from_millis(100));
    result
}

/// Prints `READY <endpoint>`.
pub(crate) fn ready(endpoint: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "READY {endpoint}");
    let _ = out.flush();
}

/// Prints `JOINED`.
pub(crate) fn joined() {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "JOINED");
    let _ = out.flush();
}

/// Prints the `RESULT` line.
pub(crate) fn result(fields: &[(&str, String)]) {
    let mut line = String::from("RESULT");
    for (k, v) in fields {
        line.push(' ');
        line.push_str(k);
        line.push('=');
        line.push_str(v);
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

static STAGE: AtomicU8 = AtomicU8::new(0);

/// The runner's last command on stdin: 0 none yet, 1 `GO`, 2 `STOP` (or stdin closed).
pub(crate) fn stage() -> u8 {
    STAGE.load(Ordering::Acquire)
}

fn watch_stdin() {
    std::thread::spawn(|| {
        for line in std::io::stdin().lock().lines() {
            match line.as_deref().map(str::trim) {
                Ok("GO") => {
                    let _ = STAGE.compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire);
                }
                Ok("STOP") | Err(_) => break,
                Ok(_) => {}
            }
        }
        STAGE.store(2, Ordering::Release);
    });
}

/// Message tags: first payload byte of PUB/SUB traffic.
pub(crate) const TAG_WARM: u8 = b'W';
/// A measured message.
pub(crate) const TAG_DATA: u8 = b'D';
/// The end of the data.
pub(crate) const TAG_END: u8 = b'E';

/// A payload of `size` bytes whose first byte is `tag`.
pub(crate) fn tagged(size: usize, tag: u8) -> bytes::Bytes {
    let mut v = vec![0u8; size.max(1)];
    v[0] = tag;
    bytes::Bytes::from(v)
}

/// The publisher's side of PUB→SUB for a library that sends one payload at a
/// time: warm-up messages until every subscriber has joined (`GO`), the data as
/// fast as `send` takes it, then end markers until `STOP`; prints `RESULT`.
pub(crate) async fn publish(
    a: &Args,
    mut send: impl AsyncFnMut(bytes::Bytes) -> PeerResult,
) -> PeerResult {
    let warm = tagged(a.size, TAG_WARM);
    let data = tagged(a.size, TAG_DATA);
    let end = tagged(a.size, TAG_END);
    while stage() < 1 {
        send(warm.clone()).await?;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let t0 = Instant::now();
    for _ in 0..a.count {
        send(data.clone()).await?;
    }
    let secs = t0.elapsed().as_secs_f64();
    for _ in 0..20_000 {
        if stage() >= 2 {
            break;
        }
        send(end.clone()).await?;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    result(&[
        ("count", a.count.to_string()),
        ("secs", format!("{secs:.9}")),
    ]);
    Ok(())
}

/// Counts what a subscriber receives and prints `JOINED` / `RESULT`.
#[derive(Debug, Default)]
pub(crate) struct SubCounter {
    joined: bool,
    got: u64,
    first: Option<Instant>,
    last: Option<Instant>,
}

impl SubCounter {
    /// Accounts one message; returns false at the end marker.
    pub(crate) fn on_message(&mut self, first_byte: Option<u8>) -> bool {
        match first_byte {
            Some(TAG_WARM) if !self.joined => {
                self.joined = true;
                joined();
            }
            Some(TAG_DATA) => {
                let now = Instant::now();
                self.first.get_or_insert(now);
                self.last = Some(now);
                self.got += 1;
            }
            Some(TAG_END) => return false,
            _ => {}
        }
        true
    }

    /// Prints the `RESULT` line.
    pub(crate) fn finish(&self) {
        let secs = match (self.first, self.last) {
            (Some(a), Some(b)) => (b - a).as_secs_f64(),
            _ => 0.0,
        };
        result(&[
            ("count", self.got.to_string()),
            ("secs", format!("{secs:.9}")),
        ]);
    }
}

/// Round-trip times of a requester, and the `RESULT` line.
/// A REQ's check that the reply has the request's size.
pub(crate) fn check_reply(len: usize, expected: usize) -> PeerResult {
    if len == expected {
        Ok(())
    } else {
        Err(PeerError::Failed(format!(
            "reply of {len} bytes, expected {expected}"
        )))
    }
}

pub(crate) fn latency_result(mut rtt_ns: Vec<u64>) {
    let n = rtt_ns.len().max(1);
    let mean = rtt_ns.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
    rtt_ns.sort_unstable();
    let at = |q: usize| rtt_ns.get((rtt_ns.len() * q) / 100).copied().unwrap_or(0);
    result(&[
        ("count", rtt_ns.len().to_string()),
        ("mean_ns", format!("{mean:.1}")),
        ("p50_ns", at(50).to_string()),
        ("p99_ns", at(99).to_string()),
    ]);
}

/// Receiver timing: starts at the first message, like libzmq's own perf tools.
#[derive(Debug, Default)]
pub(crate) struct ThrCounter {
    t0: Option<Instant>,
    bytes: u64,
}

impl ThrCounter {
    /// Accounts one ROUTER message: `frames` frames with a last one of `body` bytes;
    /// errors unless it is `[routing id][body]` of the expected size.
    pub(crate) fn on_routed(&mut self, frames: usize, body: usize, expected: usize) -> PeerResult {
        if frames != 2 {
            return Err(PeerError::Failed(format!(
                "ROUTER got {frames} frame(s), expected [routing id][body]"
            )));
        }
        self.on_message(body, expected)
    }

    /// Accounts one received message of `len` bytes; errors on a wrong size.
    pub(crate) fn on_message(&mut self, len: usize, expected: usize) -> PeerResult {
        if len != expected {
            return Err(PeerError::Failed(format!(
                "got {len} bytes, expected {expected}"
            )));
        }
        self.t0.get_or_insert_with(Instant::now);
        self.bytes += len as u64;
        Ok(())
    }

    /// Prints the `RESULT` line.
    pub(crate) fn finish(&self, count: u64) {
        let secs = self.t0.map(|t| t.elapsed().as_secs_f64()).unwrap_or(0.0);
        result(&[
            ("count", count.to_string()),
            ("secs", format!("{secs:.9}")),
            ("bytes", self.bytes.to_string()),
        ]);
    }
}
