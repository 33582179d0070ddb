//! Summaries of the runs: Markdown tables, a JSON record and an SVG chart.

use std::fmt::Write as _;

use crate::runner::{Impl, Run, Scenario, ScenarioKind, Transport, size_label};

/// Median, minimum and maximum of a non-empty set.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stat {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

/// Median (mean of the two middle values for an even count), min and max.
pub(crate) fn stat(values: &[f64]) -> Option<Stat> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    };
    Some(Stat {
        median,
        min: v[0],
        max: v[n - 1],
    })
}

/// Context printed above the tables and stored in the JSON.
#[derive(Debug, Clone)]
pub(crate) struct Meta {
    pub(crate) started: String,
    pub(crate) args: String,
    pub(crate) reps: usize,
    pub(crate) quick: bool,
    pub(crate) cpus: usize,
    pub(crate) cpu_model: String,
    pub(crate) kernel: String,
    pub(crate) libzmq_version: String,
    pub(crate) rustc: String,
    /// The commit of the checkout the bench was built from (`git describe
    /// --always --dirty`), so that a stored run names the library it measured.
    pub(crate) commit: String,
    pub(crate) zmqrs_version: String,
    pub(crate) rzmq_version: String,
}

/// A table of the report: scenarios of one kind over one transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Table {
    kind: ScenarioKind,
    transport: Transport,
}

impl Table {
    fn of(sc: &Scenario) -> Table {
        Table {
            // PUB/SUB tables do not depend on the number of subscribers.
            kind: match sc.kind {
                ScenarioKind::PubSub { .. } => ScenarioKind::PubSub { subs: 0 },
                k => k,
            },
            transport: sc.transport,
        }
    }
}

/// The runs of one scenario × implementation.
struct Cell<'a> {
    runs: Vec<&'a Run>,
}

impl Cell<'_> {
    fn metric(&self, key: &str) -> Option<Stat> {
        let v: Vec<f64> = self
            .runs
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok()?.get(key))
            .collect();
        stat(&v)
    }

    /// Peak RSS in MiB over all reps of processes whose role starts with `prefix`.
    fn peak_mib(&self, prefix: &str) -> Option<f64> {
        self.runs
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .flat_map(|s| s.procs.iter())
            .filter(|p| p.role.starts_with(prefix))
            .map(|p| p.maxrss_kib as f64 / 1024.0)
            .reduce(f64::max)
    }

    fn failures(&self) -> Vec<&str> {
        self.runs
            .iter()
            .filter_map(|r| r.outcome.as_ref().err().map(String::as_str))
            .collect()
    }

    /// "n/a" or a note on partial failures.
    fn note(&self) -> Option<String> {
        let f = self.failures();
        if f.is_empty() {
            None
        } else if f.len() == self.runs.len() {
            Some(format!("n/a: {}", short(f[0])))
        } else {
            Some(format!(
                "{}/{} runs failed: {}",
                f.len(),
                self.runs.len(),
                short(f[0])
            ))
        }
    }
}

fn short(s: &str) -> String {
    let s = s.replace('|', "/").replace('\n', " ");
    if s.chars().count() > 110 {
        let cut: String = s.chars().take(107).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn cell<'a>(runs: &'a [Run], sc: usize, im: usize) -> Cell<'a> {
    Cell {
        runs: runs
            .iter()
            .filter(|r| r.scenario == sc && r.implementation == im)
            .collect(),
    }
}

/// `5.61M`, `420k`, `950`.
fn si(x: f64) -> String {
    if x >= 1e9 {
        format!("{:.2}G", x / 1e9)
    } else if x >= 1e6 {
        format!("{:.2}M", x / 1e6)
    } else if x >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if x >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}

fn num(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

/// The metric a table's ratio column compares.
fn headline_metric(kind: ScenarioKind) -> &'static str {
    match kind {
        ScenarioKind::PushPull | ScenarioKind::DealerRouter => "msgs_per_s",
        ScenarioKind::ReqRep => "p50_us",
        ScenarioKind::PubSub { .. } => "per_sub_msgs_per_s",
    }
}

/// The ratios of `key` between `c`'s runs and `base`'s runs of the same
/// repetition (a repetition runs every implementation once, in turn), over the
/// repetitions where both succeeded.
fn paired_ratio(c: &Cell<'_>, base: Option<&Cell<'_>>, key: &str) -> Option<Stat> {
    let base = base?;
    let v: Vec<f64> = c
        .runs
        .iter()
        .filter_map(|r| {
            let x = r.outcome.as_ref().ok()?.get(key)?;
            let b = base
                .runs
                .iter()
                .find(|b| b.rep == r.rep)?
                .outcome
                .as_ref()
                .ok()?
                .get(key)?;
            (b > 0.0).then(|| x / b)
        })
        .collect();
    stat(&v)
}

/// `0.99× (0.91–1.10)`: the median paired ratio and its range; one value when
/// the range is a single value (one repetition, or libzmq against itself).
fn ratio(r: Option<Stat>) -> String {
    match r {
        Some(r) if r.min == r.max => format!("{:.2}×", r.median),
        Some(r) => format!("{:.2}× ({:.2}–{:.2})", r.median, r.min, r.max),
        None => "–".into(),
    }
}

fn mem(a: Option<f64>, b: Option<f64>) -> String {
    let f = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into());
    format!("{} / {}", f(a), f(b))
}

/// The Markdown report.
pub(crate) fn markdown(
    meta: &Meta,
    scenarios: &[Scenario],
    impls: &[Impl],
    runs: &[Run],
) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Run {} · `{}` · {} rep(s) (REQ↔REP {}){} · {} CPUs ({}) · Linux {} · libzmq {} · zmq.rs {} · rzmq {} · {} · commit {}\n",
        meta.started,
        meta.args,
        meta.reps,
        crate::runner::latency_reps(meta.reps),
        if meta.quick { " (quick)" } else { "" },
        meta.cpus,
        meta.cpu_model,
        meta.kernel,
        meta.libzmq_version,
        meta.zmqrs_version,
        meta.rzmq_version,
        meta.rustc,
        meta.commit,
    );
    let libzmq = impls.iter().position(|i| i.name == "libzmq");
    // One table per kind and transport, in the order the scenarios come.
    let mut tables: Vec<Table> = Vec::new();
    for sc in scenarios {
        let t = Table::of(sc);
        if !tables.contains(&t) {
            tables.push(t);
        }
    }
    for (n, table) in tables.into_iter().enumerate() {
        let rows: Vec<usize> = (0..scenarios.len())
            .filter(|&s| Table::of(&scenarios[s]) == table)
            .collect();
        if n > 0 {
            md.push('\n');
        }
        let kind = table.kind;
        match kind {
            ScenarioKind::PushPull if table.transport == Transport::Inproc => {
                md.push_str("### PUSH → PULL throughput (inproc, both sockets in one process)\n\n");
                md.push_str("| size | impl | msg/s (median) | min – max | MB/s | × libzmq | CPU ns/msg (process) | peak RSS MiB (process) |\n");
                md.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
            }
            ScenarioKind::PushPull | ScenarioKind::DealerRouter => {
                let _ = writeln!(
                    md,
                    "### {} throughput ({}, one connection)\n",
                    if kind == ScenarioKind::PushPull {
                        "PUSH → PULL"
                    } else {
                        "DEALER → ROUTER"
                    },
                    table.transport.label()
                );
                md.push_str("| size | impl | msg/s (median) | min – max | MB/s | × libzmq | CPU ns/msg (send+recv) | peak RSS MiB send / recv |\n");
                md.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
            }
            ScenarioKind::ReqRep => {
                md.push_str("### REQ ↔ REP round-trip latency (tcp, µs)\n\n");
                md.push_str("| size | impl | p50 (median) | p50 min – max | mean | p99 | × libzmq (p50) | peak RSS MiB req / rep |\n");
                md.push_str("|---|---|---:|---:|---:|---:|---:|---:|\n");
            }
            ScenarioKind::PubSub { .. } => {
                md.push_str("### PUB → 4 SUB fan-out (tcp, one process per subscriber)\n\n");
                md.push_str("| size | impl | per-sub msg/s (median) | min – max | delivered | slowest sub msg/s | pub send msg/s | × libzmq | peak RSS MiB pub / sub |\n");
                md.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
            }
        }
        for &s in &rows {
            let sc = &scenarios[s];
            let size = size_label(sc.size);
            for (i, im) in impls.iter().enumerate() {
                let c = cell(runs, s, i);
                let base = libzmq.map(|l| cell(runs, s, l));
                let b = paired_ratio(&c, base.as_ref(), headline_metric(kind));
                let name = &im.name;
                let line = match kind {
                    ScenarioKind::PushPull | ScenarioKind::DealerRouter => {
                        c.metric("msgs_per_s").map(|m| {
                            let mb = c
                                .metric("mb_per_s")
                                .map(|x| num(x.median))
                                .unwrap_or_default();
                            let cpu = c
                                .metric("cpu_ns_per_msg")
                                .map(|x| num(x.median))
                                .unwrap_or_default();
                            format!(
                                "| {size} | {name} | {} | {} – {} | {mb} | {} | {cpu} | {} |",
                                si(m.median),
                                si(m.min),
                                si(m.max),
                                ratio(b),
                                if table.transport == Transport::Inproc {
                                    c.peak_mib("proc")
                                        .map(|v| format!("{v:.1}"))
                                        .unwrap_or_else(|| "–".into())
                                } else {
                                    mem(c.peak_mib("send"), c.peak_mib("recv"))
                                }
                            )
                        })
                    }
                    ScenarioKind::ReqRep => c.metric("p50_us").map(|m| {
                        let g = |k: &str| c.metric(k).map(|x| num(x.median)).unwrap_or_default();
                        format!(
                            "| {size} | {name} | {} | {} – {} | {} | {} | {} | {} |",
                            num(m.median),
                            num(m.min),
                            num(m.max),
                            g("mean_us"),
                            g("p99_us"),
                            ratio(b),
                            mem(c.peak_mib("req"), c.peak_mib("rep"))
                        )
                    }),
                    ScenarioKind::PubSub { .. } => c.metric("per_sub_msgs_per_s").map(|m| {
                        let share = c
                            .metric("delivered_share")
                            .map(|x| format!("{:.1} %", x.median * 100.0))
                            .unwrap_or_default();
                        let g = |k: &str| c.metric(k).map(|x| si(x.median)).unwrap_or_default();
                        format!(
                            "| {size} | {name} | {} | {} – {} | {share} | {} | {} | {} | {} |",
                            si(m.median),
                            si(m.min),
                            si(m.max),
                            g("min_sub_msgs_per_s"),
                            g("pub_msgs_per_s"),
                            ratio(b),
                            mem(c.peak_mib("pub"), c.peak_mib("sub"))
                        )
                    }),
                };
                let cols = match kind {
                    ScenarioKind::PubSub { .. } => 9,
                    _ => 8,
                };
                let line = match (line, c.note()) {
                    (Some(l), None) => l,
                    (Some(l), Some(note)) => format!("{l} ⚠ {note}"),
                    (None, note) => {
                        let mut l = format!(
                            "| {size} | {name} | {} |",
                            note.unwrap_or_else(|| "n/a".into())
                        );
                        for _ in 3..cols {
                            l.push_str(" |");
                        }
                        l
                    }
                };
                md.push_str(&line);
                md.push('\n');
            }
        }
    }
    md.push_str(
        "\nMedian over the repetitions; min – max across them. MB = 10⁶ bytes. × libzmq: \
         the ratio to libzmq's run of the same repetition (a repetition runs every \
         implementation once, in turn), median over the repetitions and, in brackets, the \
         lowest and highest (for latency lower is better). Peak RSS: getrusage \
         `ru_maxrss` of each process, the largest over the repetitions. CPU: user+system \
         time of both processes (inproc: of the one process) over the messages sent.\n",
    );
    md
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

fn json_num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "null".into()
    }
}

/// The JSON record of a run: metadata, scenarios, implementations, every run, and
/// the summaries shown in the tables.
pub(crate) fn json(meta: &Meta, scenarios: &[Scenario], impls: &[Impl], runs: &[Run]) -> String {
    let mut j = String::from("{\n");
    let _ = writeln!(
        j,
        "  \"meta\": {{\"started\": {}, \"args\": {}, \"reps\": {}, \"quick\": {}, \"cpus\": {}, \"cpu_model\": {}, \"kernel\": {}, \"libzmq\": {}, \"zmqrs\": {}, \"rzmq\": {}, \"rustc\": {}, \"commit\": {}}},",
        json_str(&meta.started),
        json_str(&meta.args),
        meta.reps,
        meta.quick,
        meta.cpus,
        json_str(&meta.cpu_model),
        json_str(&meta.kernel),
        json_str(&meta.libzmq_version),
        json_str(&meta.zmqrs_version),
        json_str(&meta.rzmq_version),
        json_str(&meta.rustc),
        json_str(&meta.commit)
    );
    j.push_str("  \"scenarios\": [");
    for (i, s) in scenarios.iter().enumerate() {
        let _ = write!(
            j,
            "{}\n    {{\"name\": {}, \"transport\": {}, \"size\": {}, \"count\": {}, \"warmup\": {}}}",
            if i > 0 { "," } else { "" },
            json_str(&s.name),
            json_str(s.transport.label()),
            s.size,
            s.count,
            s.warmup
        );
    }
    j.push_str("\n  ],\n  \"impls\": [");
    for (i, im) in impls.iter().enumerate() {
        let _ = write!(
            j,
            "{}\n    {{\"name\": {}, \"runtime\": {}}}",
            if i > 0 { "," } else { "" },
            json_str(&im.name),
            json_str(im.rt)
        );
    }
    j.push_str("\n  ],\n  \"summary\": [");
    let libzmq = impls.iter().position(|i| i.name == "libzmq");
    let mut first = true;
    for (s, sc) in scenarios.iter().enumerate() {
        for (i, im) in impls.iter().enumerate() {
            let c = cell(runs, s, i);
            if c.runs.is_empty() {
                continue;
            }
            let mut keys: Vec<&str> = Vec::new();
            for r in &c.runs {
                if let Ok(sample) = &r.outcome {
                    for (k, _) in &sample.metrics {
                        if !keys.contains(&k.as_str()) {
                            keys.push(k);
                        }
                    }
                }
            }
            let _ = write!(
                j,
                "{}\n    {{\"scenario\": {}, \"impl\": {}, \"ok\": {}, \"failed\": {}",
                if first { "" } else { "," },
                json_str(&sc.name),
                json_str(&im.name),
                c.runs.len() - c.failures().len(),
                c.failures().len()
            );
            first = false;
            for k in keys {
                if let Some(st) = c.metric(k) {
                    let _ = write!(
                        j,
                        ", {}: {{\"median\": {}, \"min\": {}, \"max\": {}}}",
                        json_str(k),
                        json_num(st.median),
                        json_num(st.min),
                        json_num(st.max)
                    );
                }
            }
            let base = libzmq.map(|l| cell(runs, s, l));
            if let Some(r) = paired_ratio(&c, base.as_ref(), headline_metric(sc.kind)) {
                let _ = write!(
                    j,
                    ", \"ratio_to_libzmq\": {{\"metric\": {}, \"median\": {}, \"min\": {}, \"max\": {}}}",
                    json_str(headline_metric(sc.kind)),
                    json_num(r.median),
                    json_num(r.min),
                    json_num(r.max)
                );
            }
            if let Some(note) = c.note() {
                let _ = write!(j, ", \"note\": {}", json_str(&note));
            }
            j.push('}');
        }
    }
    j.push_str("\n  ],\n  \"runs\": [");
    for (n, r) in runs.iter().enumerate() {
        let _ = write!(
            j,
            "{}\n    {{\"scenario\": {}, \"impl\": {}, \"rep\": {}, \"wall_s\": {}",
            if n > 0 { "," } else { "" },
            json_str(&scenarios[r.scenario].name),
            json_str(&impls[r.implementation].name),
            r.rep,
            json_num(r.wall_s)
        );
        match &r.outcome {
            Ok(s) => {
                j.push_str(", \"metrics\": {");
                for (i, (k, v)) in s.metrics.iter().enumerate() {
                    let _ = write!(
                        j,
                        "{}{}: {}",
                        if i > 0 { ", " } else { "" },
                        json_str(k),
                        json_num(*v)
                    );
                }
                j.push_str("}, \"procs\": [");
                for (i, p) in s.procs.iter().enumerate() {
                    let _ = write!(
                        j,
                        "{}{{\"role\": {}, \"maxrss_kib\": {}, \"cpu_s\": {}}}",
                        if i > 0 { ", " } else { "" },
                        json_str(&p.role),
                        p.maxrss_kib,
                        json_num(p.cpu_s)
                    );
                }
                j.push_str("]}");
            }
            Err(e) => {
                let _ = write!(j, ", \"error\": {}}}", json_str(e));
            }
        }
    }
    j.push_str("\n  ]\n}\n");
    j
}

/// An SVG chart of PUSH→PULL MB/s over tcp (log scale) against message size, one
/// line per implementation; `None` when there is nothing to draw.
pub(crate) fn svg(scenarios: &[Scenario], impls: &[Impl], runs: &[Run]) -> Option<String> {
    let thr: Vec<usize> = (0..scenarios.len())
        .filter(|&s| {
            scenarios[s].kind == ScenarioKind::PushPull && scenarios[s].transport == Transport::Tcp
        })
        .collect();
    let mut series = Vec::new();
    for (i, im) in impls.iter().enumerate() {
        let pts: Vec<(f64, f64)> = thr
            .iter()
            .filter_map(|&s| {
                let m = cell(runs, s, i).metric("mb_per_s")?;
                Some((
                    (scenarios[s].size as f64).log2(),
                    m.median.max(1e-3).log10(),
                ))
            })
            .collect();
        if !pts.is_empty() {
            series.push((im.name.clone(), pts));
        }
    }
    if series.is_empty() {
        return None;
    }
    let all = || series.iter().flat_map(|(_, p)| p.iter());
    let (x0, x1) = (
        all().map(|p| p.0).fold(f64::INFINITY, f64::min),
        all().map(|p| p.0).fold(f64::NEG_INFINITY, f64::max),
    );
    let y0 = all().map(|p| p.1).fold(f64::INFINITY, f64::min).floor();
    let y1 = all()
        .map(|p| p.1)
        .fold(f64::NEG_INFINITY, f64::max)
        .ceil()
        .max(y0 + 1.0);
    let (w, h, ml, mr, mt, mb) = (720.0, 420.0, 70.0, 150.0, 30.0, 50.0);
    let px = |x: f64| ml + (x - x0) / (x1 - x0).max(1e-9) * (w - ml - mr);
    let py = |y: f64| h - mb - (y - y0) / (y1 - y0) * (h - mt - mb);
    let colors = [
        "#d62728", "#1f77b4", "#2ca02c", "#7f7f7f", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
    ];
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">PUSH → PULL throughput, MB/s (log) by message size</text>",
        (ml + w - mr) / 2.0
    );
    let mut y = y0;
    while y <= y1 + 1e-9 {
        let _ = writeln!(
            s,
            "<line x1=\"{ml}\" x2=\"{0}\" y1=\"{1:.1}\" y2=\"{1:.1}\" stroke=\"#ddd\"/><text x=\"{2}\" y=\"{3:.1}\" text-anchor=\"end\">{4}</text>",
            w - mr,
            py(y),
            ml - 6.0,
            py(y) + 4.0,
            num(10f64.powf(y))
        );
        y += 1.0;
    }
    for &sc in &thr {
        let x = (scenarios[sc].size as f64).log2();
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{1}\" y2=\"{2}\" stroke=\"#eee\"/><text x=\"{0:.1}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>",
            px(x),
            mt,
            h - mb,
            h - mb + 18.0,
            size_label(scenarios[sc].size)
        );
    }
    for (k, (name, pts)) in series.iter().enumerate() {
        let c = colors[k % colors.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{c}\" stroke-width=\"2\" points=\"{}\"/>",
            path.join(" ")
        );
        for &(x, y) in pts {
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{c}\"/>",
                px(x),
                py(y)
            );
        }
        let ly = mt + 20.0 + k as f64 * 20.0;
        let _ = writeln!(
            s,
            "<line x1=\"{0}\" x2=\"{1}\" y1=\"{ly}\" y2=\"{ly}\" stroke=\"{c}\" stroke-width=\"3\"/><text x=\"{2}\" y=\"{3}\">{name}</text>",
            w - mr + 15.0,
            w - mr + 40.0,
            w - mr + 46.0,
            ly + 4.0
        );
    }
    s.push_str("</svg>\n");
    Some(s)
}
