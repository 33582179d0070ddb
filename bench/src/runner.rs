//! The runner: scenarios × implementations, each run as separate processes on
//! loopback, implementations interleaved within every repetition.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::procs::{ExitInfo, Proc, field};

/// The library behind an implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Debian's libzmq through `c/zb_libzmq.c`.
    Libzmq,
    /// This project.
    Zocket,
    /// zmq.rs (crate `zeromq`).
    Zmqrs,
    /// rzmq (crate `rzmq`).
    Rzmq,
    /// Length-prefixed frames on plain tokio TCP streams: the ceiling.
    Raw,
}

/// One compared implementation.
#[derive(Debug, Clone)]
pub(crate) struct Impl {
    /// Name in tables and filters.
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// tokio runtime of the Rust peers: `ct`, `mt1` or `mt2`.
    pub(crate) rt: &'static str,
}

/// Every implementation the runner knows; `default` ones run unless `--impls` says otherwise.
pub(crate) fn known_impls() -> Vec<(Impl, bool)> {
    let i = |name: &str, kind, rt| Impl {
        name: name.to_string(),
        kind,
        rt,
    };
    let mut v = vec![
        (i("libzmq", Kind::Libzmq, "-"), true),
        (i("zocket", Kind::Zocket, "mt1"), true),
    ];
    if cfg!(feature = "zmqrs") {
        v.push((i("zmq.rs", Kind::Zmqrs, "mt1"), true));
    }
    if cfg!(feature = "rzmq") {
        v.push((i("rzmq", Kind::Rzmq, "mt1"), true));
    }
    // The ceiling runs on a current-thread runtime: the fastest raw configuration
    // measured here (no cross-thread wake-ups between block_on and the I/O driver).
    v.push((i("raw-tcp", Kind::Raw, "ct"), true));
    // zocket on the ceiling's runtime too: its connection tasks then run on the
    // application's thread, one thread per process on this 2-core machine.
    v.push((i("zocket-ct", Kind::Zocket, "ct"), true));
    v.extend([
        (i("zocket-mt2", Kind::Zocket, "mt2"), false),
        (i("zocket-blocking", Kind::Zocket, "blocking"), false),
        (i("raw-tcp-mt1", Kind::Raw, "mt1"), false),
        (i("raw-tcp-mt2", Kind::Raw, "mt2"), false),
    ]);
    v
}

/// What a scenario measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScenarioKind {
    /// PUSH→PULL throughput.
    PushPull,
    /// DEALER→ROUTER throughput (the ROUTER receives `[routing id][body]`).
    DealerRouter,
    /// REQ↔REP round-trip latency.
    ReqRep,
    /// PUB→N SUB fan-out.
    PubSub {
        /// Number of subscriber processes.
        subs: usize,
    },
}

/// How the peers of a scenario are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transport {
    /// Loopback TCP between processes.
    Tcp,
    /// A Unix domain socket between processes, at a fresh path under /tmp.
    Ipc,
    /// Both sockets in one process (`inproc://`): the runner starts a single peer.
    Inproc,
}

impl Transport {
    /// `tcp`, `ipc`, `inproc`.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ipc => "ipc",
            Transport::Inproc => "inproc",
        }
    }
}

/// One row group of the report.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    /// `push_pull/16B` …
    pub(crate) name: String,
    pub(crate) kind: ScenarioKind,
    pub(crate) transport: Transport,
    /// Payload bytes per message.
    pub(crate) size: usize,
    /// Messages (round trips for REQ↔REP).
    pub(crate) count: u64,
    /// Unmeasured round trips first (REQ↔REP).
    pub(crate) warmup: u64,
}

/// Repetitions of the latency rows when throughput rows get `reps`: twice as
/// many, since a round trip is dominated by thread wake-ups, whose cost on this
/// kind of machine moves more from run to run than a throughput does, and a
/// latency run is short.
pub(crate) fn latency_reps(reps: usize) -> usize {
    reps * 2
}

impl Scenario {
    /// Repetitions of this scenario when throughput rows get `reps`.
    pub(crate) fn reps(&self, reps: usize) -> usize {
        match self.kind {
            ScenarioKind::ReqRep => latency_reps(reps),
            _ => reps,
        }
    }
}

/// `16B`, `4KiB`, `1MiB`.
pub(crate) fn size_label(size: usize) -> String {
    if size >= 1 << 20 && size % (1 << 20) == 0 {
        format!("{}MiB", size >> 20)
    } else if size >= 1 << 10 && size % (1 << 10) == 0 {
        format!("{}KiB", size >> 10)
    } else {
        format!("{size}B")
    }
}

/// The scenarios, with message counts sized for ~0.5–2 s per run (fewer in quick mode).
pub(crate) fn scenarios(quick: bool) -> Vec<Scenario> {
    let q = |full: u64, quick_n: u64| if quick { quick_n } else { full };
    // (size, full count, quick count) of the throughput scenarios.
    let thr = [
        (16, 4_000_000, 500_000),
        (256, 2_000_000, 300_000),
        (4 << 10, 500_000, 60_000),
        (64 << 10, 40_000, 6_000),
        (1 << 20, 3_000, 500),
    ];
    let mut v = Vec::new();
    let mut throughput = |prefix: &str, kind, transport, sizes: &[usize]| {
        for &(size, full, quick_n) in thr.iter().filter(|t| sizes.contains(&t.0)) {
            v.push(Scenario {
                name: format!("{prefix}/{}", size_label(size)),
                kind,
                transport,
                size,
                count: q(full, quick_n),
                warmup: 0,
            });
        }
    };
    throughput(
        "push_pull",
        ScenarioKind::PushPull,
        Transport::Tcp,
        &[16, 256, 4 << 10, 64 << 10, 1 << 20],
    );
    throughput(
        "push_pull_ipc",
        ScenarioKind::PushPull,
        Transport::Ipc,
        &[256, 4 << 10],
    );
    throughput(
        "push_pull_inproc",
        ScenarioKind::PushPull,
        Transport::Inproc,
        &[16, 256, 4 << 10],
    );
    throughput(
        "dealer_router",
        ScenarioKind::DealerRouter,
        Transport::Tcp,
        &[256],
    );
    for size in [16, 4 << 10] {
        v.push(Scenario {
            name: format!("req_rep/{}", size_label(size)),
            kind: ScenarioKind::ReqRep,
            transport: Transport::Tcp,
            size,
            count: q(20_000, 4_000),
            warmup: q(1_000, 300),
        });
    }
    v.push(Scenario {
        name: "pub_sub4/256B".into(),
        kind: ScenarioKind::PubSub { subs: 4 },
        transport: Transport::Tcp,
        size: 256,
        count: q(1_000_000, 150_000),
        warmup: 0,
    });
    v
}

/// Resource use of one process of a run.
#[derive(Debug, Clone)]
pub(crate) struct ProcStat {
    /// `send`, `recv`, `req`, `rep`, `pub`, `sub1` …, or `proc` (inproc: the only one)
    pub(crate) role: String,
    pub(crate) maxrss_kib: u64,
    pub(crate) cpu_s: f64,
}

/// A successful run.
#[derive(Debug, Clone)]
pub(crate) struct Sample {
    /// Named measurements (`msgs_per_s`, `p50_us` …).
    pub(crate) metrics: Vec<(String, f64)>,
    pub(crate) procs: Vec<ProcStat>,
}

impl Sample {
    /// A metric by name.
    pub(crate) fn get(&self, key: &str) -> Option<f64> {
        self.metrics.iter().find(|(k, _)| k == key).map(|&(_, v)| v)
    }
}

/// One run of one scenario with one implementation.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    pub(crate) scenario: usize,
    pub(crate) implementation: usize,
    pub(crate) rep: usize,
    /// Wall time of the whole run (processes included), seconds.
    pub(crate) wall_s: f64,
    pub(crate) outcome: Result<Sample, String>,
}

/// Everything the runner needs to start peers.
pub(crate) struct Env {
    /// This executable (the Rust peers are its `peer` subcommand).
    pub(crate) exe: PathBuf,
    /// The compiled libzmq peer, or why there is none.
    pub(crate) libzmq: Result<PathBuf, String>,
    /// Time limit of one run.
    pub(crate) timeout: Duration,
}

/// Compiles `c/zb_libzmq.c` into `target/zb-libzmq` when missing or stale.
pub(crate) fn build_libzmq_peer(bench_dir: &Path) -> Result<PathBuf, String> {
    let src = bench_dir.join("c/zb_libzmq.c");
    let out_dir = bench_dir.join("target");
    let out = out_dir.join("zb-libzmq");
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(s), Some(o)) = (mtime(&src), mtime(&out))
        && o >= s
    {
        return Ok(out);
    }
    std::fs::create_dir_all(&out_dir).map_err(|e| e.to_string())?;
    let status = std::process::Command::new("gcc")
        .args(["-O2", "-Wall", "-pthread", "-o"])
        .arg(&out)
        .arg(&src)
        .arg("-lzmq")
        .arg("-lpthread")
        .status()
        .map_err(|e| format!("cannot run gcc: {e}"))?;
    if !status.success() {
        return Err("gcc -lzmq failed (apt-get install -y libzmq3-dev)".into());
    }
    Ok(out)
}

/// The libzmq version the C peer links, e.g. `4.3.4`.
pub(crate) fn libzmq_version(bin: &Path) -> Option<String> {
    let out = std::process::Command::new(bin)
        .arg("version")
        .output()
        .ok()?;
    String::from_utf8(out.stdout)
        .ok()?
        .strip_prefix("VERSION ")
        .map(|v| v.trim().to_string())
}

fn argv(
    env: &Env,
    im: &Impl,
    role: &str,
    endpoint: &str,
    sc: &Scenario,
) -> Result<Vec<String>, String> {
    let subs = match sc.kind {
        ScenarioKind::PubSub { subs } => subs,
        _ => 0,
    };
    let common = [
        role.to_string(),
        endpoint.to_string(),
        sc.size.to_string(),
        sc.count.to_string(),
        sc.warmup.to_string(),
        subs.to_string(),
    ];
    let mut v = Vec::new();
    match im.kind {
        Kind::Libzmq => {
            v.push(env.libzmq.clone()?.display().to_string());
            v.extend(common);
        }
        kind => {
            v.push(env.exe.display().to_string());
            v.push("peer".into());
            v.push(
                match kind {
                    Kind::Zocket => "zocket",
                    Kind::Zmqrs => "zmqrs",
                    Kind::Rzmq => "rzmq",
                    _ => "raw",
                }
                .into(),
            );
            v.extend(common);
            v.push("--rt".into());
            v.push(im.rt.into());
        }
    }
    Ok(v)
}

const BIND: &str = "tcp://127.0.0.1:*";
/// The name the single process of an inproc run binds and connects to.
const INPROC: &str = "inproc://bench";

/// A Unix socket path for one ipc run, removed (if the binder left it) on drop.
struct IpcPath(PathBuf);

impl IpcPath {
    /// `/tmp/zocket-bench-<runner pid>-<n>.ipc`, unique within this runner.
    fn new() -> IpcPath {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let p = PathBuf::from(format!("/tmp/zocket-bench-{}-{n}.ipc", std::process::id()));
        let _ = std::fs::remove_file(&p);
        IpcPath(p)
    }

    fn endpoint(&self) -> String {
        format!("ipc://{}", self.0.display())
    }
}

impl Drop for IpcPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
/// Time a binder gets to say READY, and subscribers to join.
const START: Duration = Duration::from_secs(15);
/// Time the other side gets to end once the measuring side is done.
const WIND_DOWN: Duration = Duration::from_secs(10);

fn stat(role: &str, e: &ExitInfo) -> ProcStat {
    ProcStat {
        role: role.to_string(),
        maxrss_kib: e.maxrss_kib,
        cpu_s: e.cpu_s,
    }
}

fn spawn(env: &Env, im: &Impl, role: &str, endpoint: &str, sc: &Scenario) -> Result<Proc, String> {
    Proc::spawn(
        format!("{} {role}", im.name),
        &argv(env, im, role, endpoint, sc)?,
    )
}

/// A server/client pair: `server` binds; `measure_server` says which side prints
/// the measurement. Returns (server fields, client fields, server exit, client exit).
#[allow(clippy::type_complexity)]
fn run_pair(
    env: &Env,
    im: &Impl,
    sc: &Scenario,
    server_role: &str,
    client_role: &str,
    measure_server: bool,
) -> Result<
    (
        (Vec<(String, f64)>, ExitInfo),
        (Vec<(String, f64)>, ExitInfo),
    ),
    String,
> {
    let deadline = Instant::now() + env.timeout;
    let ipc = (sc.transport == Transport::Ipc).then(IpcPath::new);
    let bind = ipc
        .as_ref()
        .map_or_else(|| BIND.to_string(), IpcPath::endpoint);
    let mut server = spawn(env, im, server_role, &bind, sc)?;
    let ep = server.expect("READY", Instant::now() + START)?;
    let mut client = spawn(env, im, client_role, &ep, sc)?;
    let (first, second) = if measure_server {
        (&mut server, &mut client)
    } else {
        (&mut client, &mut server)
    };
    let a = first.result(deadline)?;
    second.close_stdin();
    let b = second.result(Instant::now() + WIND_DOWN)?;
    Ok(if measure_server { (a, b) } else { (b, a) })
}

fn run_pubsub(env: &Env, im: &Impl, sc: &Scenario, nsubs: usize) -> Result<Sample, String> {
    let deadline = Instant::now() + env.timeout;
    let mut publisher = spawn(env, im, "pub", BIND, sc)?;
    let ep = publisher.expect("READY", Instant::now() + START)?;
    let mut subs = Vec::with_capacity(nsubs);
    for _ in 0..nsubs {
        subs.push(spawn(env, im, "sub", &ep, sc)?);
    }
    let joined_by = Instant::now() + START;
    for s in &mut subs {
        s.expect("JOINED", joined_by)?;
    }
    publisher.say("GO");
    let mut procs = Vec::new();
    let mut rates = Vec::new();
    let mut delivered = 0.0;
    for (i, s) in subs.iter_mut().enumerate() {
        let (f, e) = s.result(deadline)?;
        let n = field(&f, "count")?;
        let secs = field(&f, "secs")?;
        rates.push(if n > 1.0 && secs > 0.0 {
            (n - 1.0) / secs
        } else {
            0.0
        });
        delivered += n;
        procs.push(stat(&format!("sub{}", i + 1), &e));
    }
    publisher.say("STOP");
    publisher.close_stdin();
    let (f, e) = publisher.result(Instant::now() + WIND_DOWN)?;
    procs.insert(0, stat("pub", &e));
    let pub_secs = field(&f, "secs")?;
    let per_sub = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
    Ok(Sample {
        metrics: vec![
            ("per_sub_msgs_per_s".into(), per_sub),
            (
                "min_sub_msgs_per_s".into(),
                rates.iter().copied().fold(f64::INFINITY, f64::min),
            ),
            (
                "delivered_share".into(),
                delivered / (nsubs as f64 * sc.count as f64),
            ),
            (
                "pub_msgs_per_s".into(),
                if pub_secs > 0.0 {
                    sc.count as f64 / pub_secs
                } else {
                    0.0
                },
            ),
        ],
        procs,
    })
}

/// Throughput metrics from a receiver's `RESULT` fields and the CPU time spent.
fn throughput(
    sc: &Scenario,
    fields: &[(String, f64)],
    cpu_s: f64,
) -> Result<Vec<(String, f64)>, String> {
    let n = field(fields, "count")?;
    let secs = field(fields, "secs")?;
    if secs <= 0.0 {
        return Err("receiver measured no time".into());
    }
    let rate = (n - 1.0) / secs;
    Ok(vec![
        ("msgs_per_s".into(), rate),
        ("mb_per_s".into(), rate * sc.size as f64 / 1e6),
        ("cpu_ns_per_msg".into(), cpu_s * 1e9 / n),
    ])
}

/// An inproc run: one process holds both sockets and prints the receiver's `RESULT`.
fn run_single(env: &Env, im: &Impl, sc: &Scenario) -> Result<Sample, String> {
    let deadline = Instant::now() + env.timeout;
    let mut p = spawn(env, im, "inproc", INPROC, sc)?;
    let (f, e) = p.result(deadline)?;
    Ok(Sample {
        metrics: throughput(sc, &f, e.cpu_s)?,
        procs: vec![stat("proc", &e)],
    })
}

/// Runs one scenario with one implementation once.
pub(crate) fn run_once(env: &Env, im: &Impl, sc: &Scenario) -> Result<Sample, String> {
    match sc.kind {
        ScenarioKind::PushPull if sc.transport == Transport::Inproc => run_single(env, im, sc),
        ScenarioKind::PushPull | ScenarioKind::DealerRouter => {
            let (server, client) = match sc.kind {
                ScenarioKind::PushPull => ("pull", "push"),
                _ => ("router", "dealer"),
            };
            let ((rf, re), (_sf, se)) = run_pair(env, im, sc, server, client, true)?;
            Ok(Sample {
                metrics: throughput(sc, &rf, re.cpu_s + se.cpu_s)?,
                procs: vec![stat("send", &se), stat("recv", &re)],
            })
        }
        ScenarioKind::ReqRep => {
            let ((_f, rep_e), (qf, req_e)) = run_pair(env, im, sc, "rep", "req", false)?;
            Ok(Sample {
                metrics: vec![
                    ("mean_us".into(), field(&qf, "mean_ns")? / 1e3),
                    ("p50_us".into(), field(&qf, "p50_ns")? / 1e3),
                    ("p99_us".into(), field(&qf, "p99_ns")? / 1e3),
                ],
                procs: vec![stat("req", &req_e), stat("rep", &rep_e)],
            })
        }
        ScenarioKind::PubSub { subs } => run_pubsub(env, im, sc, subs),
    }
}

/// Whether `text` matches the filter: `|`-separated alternatives, each a list of
/// space-separated substrings that must all occur (so `push_pull/16B zocket|req_rep`).
pub(crate) fn matches(filter: &str, text: &str) -> bool {
    filter
        .split('|')
        .any(|alt| alt.split_whitespace().all(|w| text.contains(w)))
}
