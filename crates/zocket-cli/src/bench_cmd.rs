//! `zocket bench`: throughput (PUSH→PULL) and latency (REQ↔REP round trips) between
//! two zocket processes, or against a peer at a given endpoint, with a live progress
//! line on stderr and a final table on stdout.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use clap::Args;
use zocket::{Message, Pull, Push, Rep, Req};

use crate::failure::Failure;

/// Arguments of `zocket bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Message size in bytes.
    #[arg(long, default_value_t = 64)]
    size: usize,
    /// Messages for the throughput run (0 skips it).
    #[arg(long, default_value_t = 200_000)]
    count: u64,
    /// Round trips for the latency run (0 skips it).
    #[arg(long, default_value_t = 5_000)]
    round_trips: u64,
    /// Measure against a peer already running there instead of a second zocket
    /// process: throughput pushes to it (run `zocket pull --bind ENDPOINT` there) and
    /// latency sends requests to it (run `zocket rep --echo --bind ENDPOINT` there);
    /// give the two endpoints as `--throughput-to` and `--latency-to`.
    #[arg(long, value_name = "ENDPOINT")]
    throughput_to: Option<String>,
    /// See `--throughput-to`.
    #[arg(long, value_name = "ENDPOINT")]
    latency_to: Option<String>,
    /// Internal: the second process's role (`push ENDPOINT` or `rep ENDPOINT`).
    #[arg(long, hide = true, num_args = 2, value_names = ["ROLE", "ENDPOINT"])]
    peer: Option<Vec<String>>,
}

fn fail(e: zocket::Error) -> Failure {
    Failure::new(e.to_string())
}

/// Redraws the progress line, when stderr is a terminal.
fn progress(label: &str, done: u64, total: u64, started: Instant) {
    use std::io::IsTerminal;
    if !std::io::stderr().is_terminal() {
        return;
    }
    let width = 30;
    let filled = (done * width as u64)
        .checked_div(total)
        .map_or(width, |f| (f as usize).min(width));
    let rate = done as f64 / started.elapsed().as_secs_f64().max(1e-9);
    eprint!(
        "\r{label:<10} [{}{}] {done}/{total} {:.0} msg/s   ",
        "#".repeat(filled),
        " ".repeat(width - filled),
        rate
    );
    let _ = std::io::stderr().flush();
}

fn end_progress() {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprintln!();
    }
}

/// Spawns this binary as the peer process and returns it.
fn spawn_peer(role: &str, endpoint: &str, a: &BenchArgs) -> Result<std::process::Child, Failure> {
    let exe =
        std::env::current_exe().map_err(|e| Failure::new(format!("cannot find myself: {e}")))?;
    Command::new(exe)
        .args([
            "bench",
            "--size",
            &a.size.to_string(),
            "--count",
            &a.count.to_string(),
        ])
        .args([
            "--round-trips",
            &a.round_trips.to_string(),
            "--peer",
            role,
            endpoint,
        ])
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| Failure::new(format!("cannot start the peer process: {e}")))
}

async fn peer(role: &str, endpoint: &str, a: &BenchArgs) -> Result<(), Failure> {
    match role {
        "push" => {
            let push = Push::new().map_err(fail)?;
            push.connect(endpoint).await.map_err(fail)?;
            let body = bytes::Bytes::from(vec![b'z'; a.size]);
            for _ in 0..a.count {
                push.send(body.clone()).await.map_err(fail)?;
            }
            push.close().await.map_err(fail)
        }
        "rep" => {
            let rep = Rep::new().map_err(fail)?;
            rep.connect(endpoint).await.map_err(fail)?;
            for _ in 0..a.round_trips {
                let m = rep.recv().await.map_err(fail)?;
                rep.send(m).await.map_err(fail)?;
            }
            rep.close().await.map_err(fail)
        }
        other => Err(Failure::new(format!("unknown peer role {other:?}"))),
    }
}

async fn throughput(a: &BenchArgs) -> Result<Option<(f64, f64)>, Failure> {
    if a.count == 0 {
        return Ok(None);
    }
    let started;
    if let Some(ep) = &a.throughput_to {
        let push = Push::new().map_err(fail)?;
        push.connect(ep).await.map_err(fail)?;
        let body = bytes::Bytes::from(vec![b'z'; a.size]);
        started = Instant::now();
        for i in 0..a.count {
            push.send(body.clone()).await.map_err(fail)?;
            if i % 10_000 == 0 {
                progress("throughput", i, a.count, started);
            }
        }
        push.close().await.map_err(fail)?;
    } else {
        let pull = Pull::new().map_err(fail)?;
        let ep = pull.bind("tcp://127.0.0.1:*").await.map_err(fail)?;
        let mut child = spawn_peer("push", &ep, a)?;
        pull.recv().await.map_err(fail)?;
        started = Instant::now();
        for i in 1..a.count {
            pull.recv().await.map_err(fail)?;
            if i % 10_000 == 0 {
                progress("throughput", i, a.count, started);
            }
        }
        let _ = child.wait();
    }
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    progress("throughput", a.count, a.count, started);
    end_progress();
    let rate = a.count as f64 / secs;
    Ok(Some((rate, rate * a.size as f64 / 1e6)))
}

async fn latency(a: &BenchArgs) -> Result<Option<Vec<Duration>>, Failure> {
    if a.round_trips == 0 {
        return Ok(None);
    }
    let req = Req::new().map_err(fail)?;
    let mut child = None;
    match &a.latency_to {
        Some(ep) => req.connect(ep).await.map_err(fail)?,
        None => {
            let ep = req.bind("tcp://127.0.0.1:*").await.map_err(fail)?;
            child = Some(spawn_peer("rep", &ep, a)?);
        }
    }
    let body = Message::single(vec![b'z'; a.size]);
    let mut rtts = Vec::with_capacity(a.round_trips as usize);
    let started = Instant::now();
    for i in 0..a.round_trips {
        let t = Instant::now();
        req.send(body.clone()).await.map_err(fail)?;
        req.recv().await.map_err(fail)?;
        rtts.push(t.elapsed());
        if i % 500 == 0 {
            progress("latency", i, a.round_trips, started);
        }
    }
    progress("latency", a.round_trips, a.round_trips, started);
    end_progress();
    if let Some(mut c) = child {
        let _ = c.wait();
    }
    rtts.sort();
    Ok(Some(rtts))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

/// Runs the benchmark (or, with the hidden `--peer`, the second process's side).
pub(crate) async fn run(a: &BenchArgs) -> Result<(), Failure> {
    if let Some(p) = &a.peer {
        return peer(&p[0], &p[1], a).await;
    }
    let tp = throughput(a).await?;
    let lat = latency(a).await?;
    println!("| test | size | result |");
    println!("|---|---:|---|");
    if let Some((rate, mb)) = tp {
        println!(
            "| PUSH→PULL throughput | {} B | {rate:.0} msg/s, {mb:.1} MB/s ({} messages) |",
            a.size, a.count
        );
    }
    if let Some(rtts) = lat {
        let mean = rtts.iter().map(Duration::as_secs_f64).sum::<f64>() / rtts.len() as f64 * 1e6;
        println!(
            "| REQ↔REP round trip | {} B | mean {mean:.1} µs, p50 {:.1} µs, p99 {:.1} µs ({} round trips) |",
            a.size,
            percentile(&rtts, 0.5),
            percentile(&rtts, 0.99),
            rtts.len()
        );
    }
    Ok(())
}
