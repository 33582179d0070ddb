//! zocket-bench: runs zocket, libzmq, zmq.rs, rzmq and a raw-TCP ceiling side by side.
//!
//! ```text
//! cargo run --release -- [--quick] [--reps N] [--filter PAT] [--impls a,b] [--timeout S] [--no-write] [--list]
//! ```
//!
//! Every run starts the sender and the receiver (or requester and replier,
//! publisher and subscribers) as separate processes on 127.0.0.1 (or on a Unix
//! socket under /tmp for the ipc rows; inproc rows run one process holding both
//! sockets); within each repetition the implementations run one after another
//! (A B C A B C …). See README.md for the scenarios and how to read the tables.

mod peer;
mod procs;
mod report;
mod runner;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use runner::{Env, Impl, Run};

const USAGE: &str = "\
usage: zocket-bench [--quick] [--reps N] [--filter PAT] [--impls a,b,…] [--timeout SECS] [--no-write] [--list]
  --quick        fewer messages and 2 repetitions (default 5)
  --reps N       repetitions (REQ↔REP rows run twice as many)
  --filter PAT   runs whose \"scenario impl\" text matches: |-separated alternatives of
                 space-separated substrings, e.g. 'push_pull/16B|req_rep zocket'
  --impls LIST   implementations, comma-separated (default: libzmq,zocket,zmq.rs,rzmq,raw-tcp,
                 zocket-ct; also zocket-mt2, zocket-blocking, raw-tcp-mt1,
                 raw-tcp-mt2)
  --timeout S    time limit of one run (default 120)
  --no-write     print the table only; write nothing under results/
  --list         list scenarios and implementations
internal: zocket-bench peer IMPL ROLE ENDPOINT SIZE COUNT WARMUP SUBS [--rt ct|mt1|mt2]
  ROLE: push pull dealer router req rep pub sub inproc";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("peer") {
        std::process::exit(peer::main(&args[1..]));
    }
    match run_bench(&args) {
        Ok(()) => {}
        Err(e) => {
            eprintln!("zocket-bench: {e}");
            std::process::exit(2);
        }
    }
}

struct Cli {
    quick: bool,
    reps: Option<usize>,
    filter: Option<String>,
    impls: Option<Vec<String>>,
    timeout: Duration,
    write: bool,
    list: bool,
}

fn parse(args: &[String]) -> Result<Cli, String> {
    let mut c = Cli {
        quick: false,
        reps: None,
        filter: None,
        impls: None,
        timeout: Duration::from_secs(120),
        write: true,
        list: false,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--quick" => c.quick = true,
            "--reps" => c.reps = Some(value()?.parse().map_err(|e| format!("--reps: {e}"))?),
            "--filter" => c.filter = Some(value()?),
            "--impls" => {
                c.impls = Some(value()?.split(',').map(|s| s.trim().to_string()).collect())
            }
            "--timeout" => {
                c.timeout =
                    Duration::from_secs(value()?.parse().map_err(|e| format!("--timeout: {e}"))?)
            }
            "--no-write" => c.write = false,
            "--list" => c.list = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(c)
}

fn first_line(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
}

/// `2026-11-01T12:34:56Z` from the system clock (UTC).
fn utc_now() -> (String, u64) {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        ),
        secs,
    )
}

fn run_bench(args: &[String]) -> Result<(), String> {
    let cli = parse(args)?;
    let bench_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let scenarios_all = runner::scenarios(cli.quick);
    let known = runner::known_impls();
    let impls: Vec<Impl> = match &cli.impls {
        None => known
            .iter()
            .filter(|(_, d)| *d)
            .map(|(i, _)| i.clone())
            .collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                known
                    .iter()
                    .find(|(i, _)| &i.name == n)
                    .map(|(i, _)| i.clone())
                    .ok_or_else(|| format!("unknown implementation {n}"))
            })
            .collect::<Result<_, _>>()?,
    };
    if cli.list {
        for s in &scenarios_all {
            println!(
                "{:<22} {:<6} size {:>8}  count {:>8}",
                s.name,
                s.transport.label(),
                s.size,
                s.count
            );
        }
        for (i, d) in &known {
            println!(
                "{:<12} runtime {:<4}{}",
                i.name,
                i.rt,
                if *d { "" } else { "  (not default)" }
            );
        }
        return Ok(());
    }
    let reps = cli.reps.unwrap_or(if cli.quick { 2 } else { 5 }).max(1);
    let libzmq = runner::build_libzmq_peer(bench_dir);
    if let Err(e) = &libzmq {
        eprintln!("zocket-bench: libzmq peer unavailable: {e}");
    }
    let env = Env {
        exe: std::env::current_exe().map_err(|e| e.to_string())?,
        libzmq,
        timeout: cli.timeout,
    };
    let (started, epoch) = utc_now();
    let meta = report::Meta {
        started: started.clone(),
        args: std::iter::once("zocket-bench".to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
        reps,
        quick: cli.quick,
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        cpu_model: first_line("/proc/cpuinfo", "model name").unwrap_or_default(),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_string(),
        libzmq_version: env
            .libzmq
            .as_ref()
            .ok()
            .and_then(|b| runner::libzmq_version(b))
            .unwrap_or_else(|| "n/a".into()),
        rustc: std::process::Command::new("rustc")
            .arg("-V")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        commit: std::process::Command::new("git")
            .args(["describe", "--always", "--dirty"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| "unknown".into()),
        zmqrs_version: if cfg!(feature = "zmqrs") {
            "0.4".into()
        } else {
            "not built".into()
        },
        rzmq_version: if cfg!(feature = "rzmq") {
            "0.5".into()
        } else {
            "not built".into()
        },
    };

    // The (scenario, impl) pairs selected by the filter.
    let selected = |s: usize, i: usize| match &cli.filter {
        None => true,
        Some(f) => runner::matches(f, &format!("{} {}", scenarios_all[s].name, impls[i].name)),
    };
    let scen_idx: Vec<usize> = (0..scenarios_all.len())
        .filter(|&s| (0..impls.len()).any(|i| selected(s, i)))
        .collect();
    if scen_idx.is_empty() {
        return Err("the filter selects nothing (see --list)".into());
    }
    let scenarios: Vec<runner::Scenario> =
        scen_idx.iter().map(|&s| scenarios_all[s].clone()).collect();
    let total = scen_idx
        .iter()
        .map(|&s| {
            (0..impls.len()).filter(|&i| selected(s, i)).count() * scenarios_all[s].reps(reps)
        })
        .sum::<usize>();
    eprintln!(
        "zocket-bench: {} scenario(s) × {} impl(s) × {reps} rep(s) (REQ↔REP {}) = {total} runs; libzmq {}",
        scenarios.len(),
        impls.len(),
        runner::latency_reps(reps),
        meta.libzmq_version
    );
    let mut runs: Vec<Run> = Vec::new();
    let t_all = Instant::now();
    for (si, &s) in scen_idx.iter().enumerate() {
        let sc = &scenarios[si];
        for rep in 0..sc.reps(reps) {
            for (i, im) in impls.iter().enumerate() {
                if !selected(s, i) {
                    continue;
                }
                let t0 = Instant::now();
                let outcome = runner::run_once(&env, im, sc);
                let wall_s = t0.elapsed().as_secs_f64();
                let brief = match &outcome {
                    Ok(sample) => sample
                        .metrics
                        .iter()
                        .take(2)
                        .map(|(k, v)| format!("{k}={v:.1}"))
                        .collect::<Vec<_>>()
                        .join(" "),
                    Err(e) => format!("FAILED: {e}"),
                };
                eprintln!(
                    "[{:>3}/{total}] {:<21} {:<11} rep {} {:>6.2}s  {brief}",
                    runs.len() + 1,
                    sc.name,
                    im.name,
                    rep + 1,
                    wall_s
                );
                runs.push(Run {
                    scenario: si,
                    implementation: i,
                    rep,
                    wall_s,
                    outcome,
                });
                // Let TIME_WAIT sockets and page cache settle between processes.
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
    eprintln!(
        "zocket-bench: done in {:.0} s",
        t_all.elapsed().as_secs_f64()
    );

    let md = report::markdown(&meta, &scenarios, &impls, &runs);
    println!("{md}");
    if !cli.write {
        return Ok(());
    }
    let results = bench_dir.join("results");
    std::fs::create_dir_all(&results).map_err(|e| e.to_string())?;
    let stamp = started
        .replace([':', '-'], "")
        .replace('T', "-")
        .replace('Z', "");
    let json_path = results.join(format!(
        "run-{stamp}{}.json",
        if cli.quick { "-quick" } else { "" }
    ));
    let write =
        |p: &Path, s: &str| std::fs::write(p, s).map_err(|e| format!("{}: {e}", p.display()));
    write(&json_path, &report::json(&meta, &scenarios, &impls, &runs))?;
    write(&results.join("latest.md"), &md)?;
    let mut chart = false;
    if let Some(svg) = report::svg(&scenarios, &impls, &runs) {
        write(&results.join("latest.svg"), &svg)?;
        chart = true;
    }
    // The README shows full runs of every scenario only.
    if !cli.quick && cli.filter.is_none() && cli.impls.is_none() {
        update_readme(&bench_dir.join("README.md"), &md, chart)?;
    }
    eprintln!(
        "zocket-bench: wrote {} and results/latest.md{} (run {epoch})",
        json_path.display(),
        if chart { ", results/latest.svg" } else { "" }
    );
    Ok(())
}

const BEGIN: &str = "<!-- results:begin -->";
const END: &str = "<!-- results:end -->";

/// Replaces the block between the result markers of README.md.
fn update_readme(path: &Path, md: &str, chart: bool) -> Result<(), String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(());
    };
    let (Some(b), Some(e)) = (text.find(BEGIN), text.find(END)) else {
        return Ok(());
    };
    let mut block = String::from(BEGIN);
    block.push('\n');
    block.push_str(md);
    if chart {
        block.push_str("\n![PUSH→PULL throughput by message size](results/latest.svg)\n");
    }
    let new = format!("{}{block}{}", &text[..b], &text[e..]);
    std::fs::write(path, new).map_err(|e| format!("{}: {e}", path.display()))
}
