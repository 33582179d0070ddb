//! The `zocket` command line, end to end: round trips between two zocket processes
//! (and against libzmq through pyzmq when interop/.venv exists), output formats,
//! error messages, completions and help.
//!
//! Every process runs on 127.0.0.1 with an ephemeral port (the binding side prints
//! "zocket: bound ENDPOINT" on stderr), every wait is bounded, and every process is
//! killed when its test ends, passed or failed.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The bound on any one wait.
const WAIT: Duration = Duration::from_secs(20);

/// A running child process whose output is collected in the background.
struct Proc {
    what: String,
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
    err: Arc<Mutex<Vec<u8>>>,
    readers: Vec<JoinHandle<()>>,
}

/// What a finished process left.
struct Done {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

impl Done {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    fn lines(&self) -> Vec<String> {
        self.stdout().lines().map(str::to_string).collect()
    }
}

fn collect(mut from: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    })
}

impl Proc {
    fn start(mut cmd: Command, stdin: Option<Vec<u8>>) -> Proc {
        let what = format!("{cmd:?}");
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{what}: {e}"));
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            std::thread::spawn(move || {
                let _ = pipe.write_all(&data);
            });
        }
        let out = Arc::new(Mutex::new(Vec::new()));
        let err = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), out.clone()),
            collect(child.stderr.take().unwrap(), err.clone()),
        ];
        Proc {
            what,
            child,
            out,
            err,
            readers,
        }
    }

    fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.err.lock().unwrap()).into_owned()
    }

    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Waits for a line of stdout (`on_stdout`) or stderr starting with `prefix`, and
    /// returns the rest of it.
    fn line(&mut self, on_stdout: bool, prefix: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = if on_stdout {
                self.stdout()
            } else {
                self.stderr()
            };
            if let Some(l) = text
                .lines()
                .find(|l| l.starts_with(prefix) && text.contains(&format!("{l}\n")))
            {
                return l[prefix.len()..].to_string();
            }
            let exited = self.child.try_wait().unwrap().is_some();
            if exited || Instant::now() > deadline {
                panic!(
                    "{}: no line {prefix:?} (exited: {exited})\nstdout:\n{}\nstderr:\n{}",
                    self.what,
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The endpoint a `--bind tcp://127.0.0.1:*` resolved to.
    fn bound(&mut self) -> String {
        self.line(false, "zocket: bound ")
    }

    /// Waits for the process to exit by itself; kills it and fails after [`WAIT`].
    fn finish(mut self) -> Done {
        let deadline = Instant::now() + WAIT;
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!(
                    "{} did not exit within {WAIT:?}\nstdout:\n{}\nstderr:\n{}",
                    self.what,
                    self.stdout(),
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        self.done(status)
    }

    /// Kills the process and returns what it printed.
    fn stop(mut self) -> Done {
        let _ = self.child.kill();
        let status = self.child.wait().unwrap();
        self.done(status)
    }

    fn done(&mut self, status: ExitStatus) -> Done {
        // The pipes close with the process (or its last child): wait for the readers.
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.readers.iter().any(|r| !r.is_finished()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        Done {
            status,
            stdout: self.out.lock().unwrap().clone(),
            stderr: self.stderr(),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn zocket_cmd<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zocket"));
    cmd.args(args);
    cmd
}

/// Starts `zocket ARGS` with stdin closed.
fn zocket<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Proc {
    Proc::start(zocket_cmd(args), None)
}

/// Runs `zocket ARGS` with `stdin`, to completion.
fn zocket_with_stdin<S: AsRef<std::ffi::OsStr>>(args: &[S], stdin: &[u8]) -> Done {
    Proc::start(zocket_cmd(args), Some(stdin.to_vec())).finish()
}

/// Runs `zocket ARGS` to completion.
fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Done {
    zocket(args).finish()
}

const ANY: &str = "tcp://127.0.0.1:*";

fn assert_ok(d: &Done, what: &str) {
    assert!(
        d.status.success(),
        "{what}: {:?}\nstdout:\n{}\nstderr:\n{}",
        d.status,
        d.stdout(),
        d.stderr
    );
}

/// An error: exit status `code`, exactly one line on stderr, `zocket: …` containing
/// `needle`, no panic or backtrace.
fn assert_one_line_error(d: &Done, code: i32, needle: &str) {
    let lines: Vec<&str> = d
        .stderr
        .lines()
        .filter(|l| !l.starts_with("zocket: bound "))
        .collect();
    assert_eq!(d.status.code(), Some(code), "stderr: {}", d.stderr);
    assert_eq!(lines.len(), 1, "expected one line, got: {:?}", d.stderr);
    assert!(lines[0].starts_with("zocket: "), "{}", lines[0]);
    assert!(lines[0].contains(needle), "{:?} lacks {needle:?}", lines[0]);
    for bad in ["panicked", "backtrace", "RUST_BACKTRACE", "internal error"] {
        assert!(!d.stderr.contains(bad), "{}", d.stderr);
    }
}

// ---------------------------------------------------------------------------
// Round trips between two zocket processes.

#[test]
fn req_rep_echo() {
    let mut rep = zocket(&["rep", "--bind", ANY, "--echo", "--count", "2"]);
    let ep = rep.bound();
    let req = run(&[
        "req",
        "--connect",
        &ep,
        "--data",
        "hello",
        "--data",
        "world",
    ]);
    assert_ok(&req, "req");
    assert_eq!(req.stdout(), "hello\nworld\n");
    let rep = rep.finish();
    assert_ok(&rep, "rep");
    assert_eq!(rep.stdout(), "hello\nworld\n");
}

#[test]
fn rep_answers_with_its_data_and_req_reads_stdin() {
    let mut rep = zocket(&["rep", "-b", ANY, "-d", "yes", "-d", "no", "-n", "3"]);
    let ep = rep.bound();
    let req = zocket_with_stdin(&["req", "-c", &ep], b"one\ntwo\r\nthree\n");
    assert_ok(&req, "req");
    assert_eq!(req.lines(), ["yes", "no", "yes"]);
    let rep = rep.finish();
    assert_eq!(rep.lines(), ["one", "two", "three"]);
}

#[cfg(unix)]
#[test]
fn rep_command_answers_with_the_command_output() {
    let mut rep = zocket(&[
        "rep",
        "--bind",
        ANY,
        "--command",
        "tr a-z A-Z",
        "--count",
        "2",
    ]);
    let ep = rep.bound();
    let req = run(&[
        "req",
        "--connect",
        &ep,
        "--data",
        "hello there",
        "--data",
        "again",
    ]);
    assert_ok(&req, "req");
    assert_eq!(req.lines(), ["HELLO THERE", "AGAIN"]);
    assert_ok(&rep.finish(), "rep");
}

#[cfg(unix)]
#[test]
fn router_command_keeps_the_envelope_and_splits_output() {
    let mut router = zocket(&[
        "router",
        "-b",
        ANY,
        "--command",
        "printf 'x|%s' \"$(cat)\"",
        "-s",
        "|",
        "-n",
        "1",
        "-f",
        "hex",
    ]);
    let ep = router.bound();
    let req = run(&["req", "-c", &ep, "-s", "|", "-d", "ab|cd"]);
    assert_ok(&req, "req");
    // The REQ gets the command's output split at the separator.
    assert_eq!(req.lines(), ["x|ab|cd"]);
    let router = router.finish();
    assert_ok(&router, "router");
    // ROUTER printed [routing id, empty delimiter, "ab", "cd"].
    let line = router.lines().pop().unwrap();
    let frames: Vec<&str> = line.split('|').collect();
    assert_eq!(frames.len(), 4, "{line}");
    assert!(!frames[0].is_empty());
    assert_eq!(&frames[1..], ["", "6162", "6364"]);
}

#[test]
fn pub_sub_filters_by_topic() {
    let mut sub = zocket(&[
        "sub",
        "--bind",
        ANY,
        "--subscribe",
        "weather",
        "--count",
        "3",
        "--separator",
        "|",
    ]);
    let ep = sub.bound();
    // PUB drops what no subscriber is there for: repeat until the SUB has enough.
    let publisher = zocket(&[
        "pub",
        "--connect",
        &ep,
        "-s",
        "|",
        "-d",
        "sports|goal",
        "-d",
        "weather|sunny",
        "--interval",
        "20ms",
        "--count",
        "1000",
    ]);
    let sub = sub.finish();
    publisher.stop();
    assert_ok(&sub, "sub");
    assert_eq!(sub.lines(), ["weather|sunny"; 3]);
}

#[test]
fn sub_without_subscribe_gets_everything() {
    let mut publisher = zocket(&["pub", "-b", ANY, "-d", "a", "-d", "b", "-i", "20ms"]);
    let ep = publisher.bound();
    let sub = run(&["sub", "-c", &ep, "-n", "4"]);
    publisher.stop();
    assert_ok(&sub, "sub");
    let lines = sub.lines();
    assert!(
        lines.contains(&"a".to_string()) && lines.contains(&"b".to_string()),
        "{lines:?}"
    );
}

#[test]
fn xpub_sees_subscriptions_and_xsub_gets_messages() {
    let mut xpub = zocket(&[
        "xpub",
        "--bind",
        ANY,
        "--data",
        "weather sunny",
        "--interval",
        "20ms",
        "--format",
        "hex",
    ]);
    let ep = xpub.bound();
    let xsub = run(&[
        "xsub",
        "--connect",
        &ep,
        "--subscribe",
        "weather",
        "--count",
        "2",
    ]);
    assert_ok(&xsub, "xsub");
    assert_eq!(xsub.lines(), ["weather sunny"; 2]);
    // \x01 + "weather": the subscription XPUB received.
    xpub.line(true, "0177656174686572");
    xpub.stop();
}

#[test]
fn push_pull_multipart_from_stdin() {
    let mut pull = zocket(&["pull", "--bind", ANY, "--count", "3", "--format", "json"]);
    let ep = pull.bound();
    let push = zocket_with_stdin(
        &["push", "--connect", &ep, "--separator", "|"],
        b"a|b\nsolo\n|\n",
    );
    assert_ok(&push, "push");
    let pull = pull.finish();
    assert_ok(&pull, "pull");
    assert_eq!(
        pull.lines(),
        [
            r#"{"frames":["a","b"]}"#,
            r#"{"frames":["solo"]}"#,
            r#"{"frames":["",""]}"#
        ]
    );
}

#[test]
fn push_from_a_file_and_count_repeats_data() {
    let dir = std::env::temp_dir().join(format!("zocket-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("messages.txt");
    std::fs::write(&file, "first\nsecond\n").unwrap();

    let mut pull = zocket(&["pull", "-b", ANY, "-n", "5"]);
    let ep = pull.bound();
    let push = run(&[
        OsString::from("push"),
        "-c".into(),
        ep.clone().into(),
        "--file".into(),
        file.clone().into_os_string(),
    ]);
    assert_ok(&push, "push --file");
    // --count beyond the --data given cycles through them.
    let push = run(&["push", "-c", &ep, "-d", "x", "-d", "y", "--count", "3"]);
    assert_ok(&push, "push --count");
    let pull = pull.finish();
    assert_ok(&pull, "pull");
    assert_eq!(pull.lines(), ["first", "second", "x", "y", "x"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dealer_router_with_routing_id() {
    let mut router = zocket(&[
        "router", "--bind", ANY, "--echo", "--count", "1", "-f", "json",
    ]);
    let ep = router.bound();
    let dealer = run(&[
        "dealer",
        "--connect",
        &ep,
        "-o",
        "routing_id=alice",
        "--data",
        "hi",
        "-n",
        "1",
    ]);
    assert_ok(&dealer, "dealer");
    assert_eq!(dealer.lines(), ["hi"]);
    let router = router.finish();
    assert_ok(&router, "router");
    assert_eq!(router.lines(), [r#"{"frames":["alice","hi"]}"#]);
}

#[test]
fn router_addresses_a_dealer_by_routing_id() {
    let mut dealer = zocket(&["dealer", "-b", ANY, "-n", "1", "-f", "quoted"]);
    let ep = dealer.bound();
    // ROUTER_MANDATORY makes the send fail until the dealer is connected: retry.
    let deadline = Instant::now() + WAIT;
    loop {
        let router = run(&[
            "router",
            "-c",
            &ep,
            "-o",
            "connect_routing_id=bob",
            "-o",
            "router_mandatory=1",
            "-s",
            "|",
            "-d",
            "bob|for bob",
            "--delay",
            "100ms",
            "-n",
            "0",
        ]);
        if router.status.success() {
            break;
        }
        assert!(
            router.stderr.contains("no connected peer"),
            "{}",
            router.stderr
        );
        assert!(Instant::now() < deadline, "router never reached the dealer");
    }
    let dealer = dealer.finish();
    assert_eq!(dealer.lines(), [r#""for bob""#]);
}

#[test]
fn pair_echo_and_send_only() {
    let mut a = zocket(&["pair", "--bind", ANY, "--echo", "--count", "2"]);
    let ep = a.bound();
    let b = run(&[
        "pair",
        "--connect",
        &ep,
        "--data",
        "ping",
        "--data",
        "pong",
        "--count",
        "2",
    ]);
    assert_ok(&b, "pair b");
    assert_eq!(b.lines(), ["ping", "pong"]);
    let a = a.finish();
    assert_ok(&a, "pair a");
    assert_eq!(a.lines(), ["ping", "pong"]);

    // --count 0 on a two-way socket: send the input, receive nothing, exit.
    let mut c = zocket(&["pair", "--bind", ANY, "--count", "1"]);
    let ep = c.bound();
    let d = run(&[
        "pair",
        "--connect",
        &ep,
        "--data",
        "one way",
        "--count",
        "0",
    ]);
    assert_ok(&d, "pair --count 0");
    assert_eq!(d.stdout(), "");
    assert_eq!(c.finish().lines(), ["one way"]);
}

#[test]
fn several_binds_and_connects() {
    let mut p1 = zocket(&["pull", "-b", ANY, "-n", "1"]);
    let mut p2 = zocket(&["pull", "-b", ANY, "-n", "1"]);
    let (e1, e2) = (p1.bound(), p2.bound());
    let push = run(&[
        "push", "-c", &e1, "-c", &e2, "-d", "m", "-d", "m", "--delay", "300ms",
    ]);
    assert_ok(&push, "push");
    assert_eq!(p1.finish().lines(), ["m"]);
    assert_eq!(p2.finish().lines(), ["m"]);

    let mut pull = zocket(&["pull", "-b", ANY, "-b", ANY, "-n", "2"]);
    let first = pull.bound();
    let second = {
        let deadline = Instant::now() + WAIT;
        loop {
            let eps: Vec<String> = pull
                .stderr()
                .lines()
                .filter_map(|l| l.strip_prefix("zocket: bound ").map(str::to_string))
                .collect();
            if eps.len() == 2 {
                break eps[1].clone();
            }
            assert!(Instant::now() < deadline, "{}", pull.stderr());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    assert_ne!(first, second);
    assert_ok(&run(&["push", "-c", &first, "-d", "1"]), "push 1");
    assert_ok(&run(&["push", "-c", &second, "-d", "2"]), "push 2");
    let mut got = pull.finish().lines();
    got.sort();
    assert_eq!(got, ["1", "2"]);
}

#[test]
fn delay_and_interval_pace_the_sends() {
    let mut pull = zocket(&["pull", "-b", ANY, "-n", "3"]);
    let ep = pull.bound();
    let started = Instant::now();
    let push = run(&[
        "push",
        "-c",
        &ep,
        "-d",
        "t",
        "--delay",
        "300ms",
        "--interval",
        "150ms",
        "-n",
        "3",
    ]);
    let took = started.elapsed();
    assert_ok(&push, "push");
    assert!(took >= Duration::from_millis(600), "took {took:?}");
    assert_eq!(pull.finish().lines(), ["t"; 3]);
}

#[test]
fn monitor_prints_events_on_stderr() {
    let mut rep = zocket(&["rep", "-b", ANY, "--echo", "-n", "1", "--monitor"]);
    let ep = rep.bound();
    rep.line(false, "zocket: monitor: LISTENING ");
    let req = run(&["req", "-c", &ep, "-d", "x", "--monitor"]);
    assert_ok(&req, "req");
    assert!(
        req.stderr.contains("zocket: monitor: CONNECTED"),
        "{}",
        req.stderr
    );
    assert!(
        req.stderr.contains("zocket: monitor: HANDSHAKE_SUCCEEDED"),
        "{}",
        req.stderr
    );
    let rep = rep.finish();
    assert!(
        rep.stderr.contains("zocket: monitor: ACCEPTED"),
        "{}",
        rep.stderr
    );
    assert!(rep.stdout().starts_with('x'));
}

#[test]
fn stream_echoes_raw_tcp() {
    let mut stream = zocket(&[
        "stream",
        "-b",
        ANY,
        "--echo",
        "-o",
        "stream_notify=0",
        "-n",
        "1",
        "-f",
        "hex",
    ]);
    let ep = stream.bound();
    let addr = ep.strip_prefix("tcp://").unwrap();
    let mut tcp = std::net::TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    tcp.write_all(b"hello").unwrap();
    let mut got = [0u8; 5];
    tcp.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"hello");
    let stream = stream.finish();
    assert_ok(&stream, "stream");
    // [routing id, "hello"].
    let line = stream.lines().pop().unwrap();
    let (id, data) = line.split_once('\t').unwrap();
    assert!(!id.is_empty());
    assert_eq!(data, "68656c6c6f");
}

#[cfg(unix)]
#[test]
fn ipc_wildcard_bind_reports_its_path() {
    let mut pull = zocket(&["pull", "-b", "ipc://*", "-n", "1"]);
    let ep = pull.bound();
    assert!(ep.starts_with("ipc://") && ep != "ipc://*", "{ep}");
    assert_ok(&run(&["push", "-c", &ep, "-d", "over ipc"]), "push");
    assert_eq!(pull.finish().lines(), ["over ipc"]);
}

// ---------------------------------------------------------------------------
// Output formats.

/// Sends one message (frames given as raw bytes) through PUSH/PULL and returns what
/// `pull --format FORMAT` printed.
#[cfg(unix)]
fn through(format: &str, frames: &[&[u8]], extra: &[&str]) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    let mut args: Vec<&str> = vec!["pull", "-b", ANY, "-n", "1", "-f", format];
    args.extend_from_slice(extra);
    let mut pull = zocket(&args);
    let ep = pull.bound();
    let joined = frames.join(&b"<|>"[..]);
    let push = run(&[
        OsString::from("push"),
        "-c".into(),
        ep.into(),
        "-s".into(),
        "<|>".into(),
        "-d".into(),
        std::ffi::OsStr::from_bytes(&joined).to_os_string(),
    ]);
    assert_ok(&push, "push");
    let pull = pull.finish();
    assert_ok(&pull, "pull");
    pull.stdout
}

#[cfg(unix)]
#[test]
fn output_formats() {
    let frames: &[&[u8]] = &[b"topic", "café \"q\"".as_bytes(), b"\xff\x01A"];
    let text = [&b"topic\t"[..], "café \"q\"".as_bytes(), b"\t\xff\x01A\n"].concat();
    assert_eq!(through("text", frames, &[]), text);
    assert_eq!(
        through("raw", frames, &[]),
        b"topiccaf\xc3\xa9 \"q\"\xff\x01A"
    );
    assert_eq!(
        through("hex", frames, &[]),
        b"746f706963\t636166c3a920227122\tff0141\n"
    );
    assert_eq!(
        through("hex", frames, &["-s", " "]),
        b"746f706963 636166c3a920227122 ff0141\n"
    );
    assert_eq!(
        through("quoted", frames, &[]),
        "\"topic\" \"café \\\"q\\\"\" \"\\xff\\x01A\"\n".as_bytes()
    );
    assert_eq!(
        through("json", frames, &[]),
        "{\"frames\":[\"topic\",\"café \\\"q\\\"\",{\"hex\":\"ff0141\"}]}\n".as_bytes()
    );
}

#[cfg(unix)]
#[test]
fn text_output_uses_the_separator() {
    let frames: &[&[u8]] = &[b"a", b"b"];
    assert_eq!(through("text", frames, &["-s", "::"]), b"a::b\n");
}

// ---------------------------------------------------------------------------
// Errors: one line on stderr, non-zero exit, never a panic.

#[test]
fn bad_endpoint() {
    let d = run(&["push", "--connect", "localhost:5555", "-d", "x"]);
    assert_one_line_error(&d, 1, "invalid endpoint \"localhost:5555\"");
    let d = run(&["pull", "--bind", "tcp://127.0.0.1"]);
    assert_one_line_error(&d, 1, "invalid endpoint");
    let d = run(&["pull", "--bind", "carrier-pigeon://coop"]);
    assert_one_line_error(&d, 1, "unsupported transport");
}

#[test]
fn address_in_use() {
    let mut first = zocket(&["pull", "--bind", ANY]);
    let ep = first.bound();
    let d = run(&["pull", "--bind", &ep]);
    assert_one_line_error(&d, 1, &format!("address already in use: {ep}"));
    first.stop();
}

#[test]
fn unknown_option() {
    let d = run(&["pull", "-b", ANY, "-o", "sndhwn=10"]);
    assert_one_line_error(&d, 1, "unknown socket option \"sndhwn\"");
    assert!(
        d.stderr.contains("sndhwm"),
        "lists the known names: {}",
        d.stderr
    );
}

#[test]
fn bad_option_value() {
    let d = run(&["pull", "-b", ANY, "-o", "sndhwm=lots"]);
    assert_one_line_error(&d, 1, "invalid value for option sndhwm");
    let d = run(&["pull", "-b", ANY, "-o", "linger=soon"]);
    assert_one_line_error(&d, 1, "invalid value for option linger");
    let d = run(&["pull", "-b", ANY, "-o", "linger"]);
    assert_one_line_error(&d, 1, "NAME=VALUE");
}

#[test]
fn options_are_applied() {
    // A ROUTER with ROUTER_MANDATORY refuses a message for an unknown peer; without
    // the option the message is dropped silently and the command succeeds.
    let nowhere = "tcp://127.0.0.1:9";
    let args = [
        "router", "-c", nowhere, "-s", "|", "-d", "nobody|x", "-n", "0",
    ];
    let d = run(&[&args[..], &["-o", "router_mandatory=1"]].concat());
    assert_one_line_error(&d, 1, "no connected peer");
    assert_ok(&run(&args), "router without router_mandatory");
}

#[test]
fn receive_timeout() {
    let d = run(&["pull", "--bind", ANY, "--recv-timeout", "200ms"]);
    assert_one_line_error(&d, 1, "timed out: no message arrived within 200ms");
    let d = run(&[
        "req",
        "--connect",
        "tcp://127.0.0.1:9",
        "-d",
        "x",
        "--recv-timeout",
        "0.3s",
    ]);
    assert_one_line_error(&d, 1, "timed out");
}

#[test]
fn send_timeout() {
    // IMMEDIATE: nothing queues for a peer that is not there, so the send waits.
    let d = run(&[
        "push",
        "--connect",
        "tcp://127.0.0.1:9",
        "-o",
        "immediate=1",
        "--send-timeout",
        "250ms",
        "-d",
        "x",
    ]);
    assert_one_line_error(&d, 1, "timed out: no peer took the message within 250ms");
}

#[test]
fn usage_errors_are_one_line_with_status_2() {
    for (args, needle) in [
        (&["pull"][..], "--bind"),
        (&["pull", "-b", ANY, "--formt", "json"][..], "--format"),
        (&["pull", "-b", ANY, "--format", "xml"][..], "xml"),
        (
            &["push", "-b", ANY, "--interval", "5 parsecs"][..],
            "not a duration",
        ),
        (&["pull", "-b", ANY, "--interval", "1s"][..], "--interval"),
        (&["rep", "-b", ANY, "--echo", "-d", "x"][..], "--echo"),
        (&["dish", "-b", ANY][..], "--join"),
        (&["nonsense"][..], "nonsense"),
    ] {
        let d = run(args);
        assert_one_line_error(&d, 2, needle);
        assert!(d.stderr.contains("--help"), "{}", d.stderr);
    }
}

#[test]
fn draft_types_scatter_gather_and_client_server() {
    let mut gather = zocket(&["gather", "--bind", ANY, "--count", "2"]);
    let ep = gather.bound();
    let scatter = run(&["scatter", "--connect", &ep, "-d", "one", "-d", "two"]);
    assert_ok(&scatter, "scatter");
    let gather = gather.finish();
    assert_ok(&gather, "gather");
    assert_eq!(gather.lines(), ["one", "two"]);

    // A SERVER echoes [routing id][data] back to the CLIENT that sent it.
    let mut server = zocket(&["server", "--bind", ANY, "--count", "1", "--echo"]);
    let ep = server.bound();
    let client = run(&["client", "--connect", &ep, "-d", "hello", "--count", "1"]);
    assert_ok(&client, "client");
    assert_eq!(client.lines(), ["hello"]);
    assert_ok(&server.finish(), "server");
}

// ---------------------------------------------------------------------------
// Completions and help.

#[test]
fn completions_for_each_shell() {
    for (shell, marker) in [
        ("bash", "_zocket()"),
        ("zsh", "#compdef zocket"),
        ("fish", "complete -c zocket"),
        ("elvish", "zocket"),
        ("powershell", "zocket"),
    ] {
        let d = run(&["completions", shell]);
        assert_ok(&d, shell);
        let script = d.stdout();
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        for sub in ["pub", "dealer", "subscribe", "recv-timeout"] {
            assert!(script.contains(sub), "{shell}: no {sub}");
        }
    }
    assert_one_line_error(&run(&["completions", "tcsh"]), 2, "tcsh");
}

const SOCKET_COMMANDS: [&str; 20] = [
    "pair", "pub", "sub", "xpub", "xsub", "req", "rep", "dealer", "router", "push", "pull",
    "stream", "radio", "dish", "client", "server", "scatter", "gather", "peer", "channel",
];

#[test]
fn help_lists_every_command_with_examples() {
    let d = run(&["--help"]);
    assert_ok(&d, "--help");
    let help = d.stdout();
    for sub in SOCKET_COMMANDS
        .iter()
        .chain(&["completions", "demo", "selfcheck"])
    {
        assert!(
            help.lines()
                .any(|l| l.trim_start().starts_with(&format!("{sub} "))),
            "{sub}"
        );
    }
    assert!(help.contains("Examples:"));
    for sub in SOCKET_COMMANDS {
        let d = run(&[sub, "--help"]);
        assert_ok(&d, sub);
        let h = d.stdout();
        for flag in ["--bind", "--connect", "--option", "--monitor", "--count"] {
            assert!(h.contains(flag), "{sub} --help lacks {flag}");
        }
    }
    let rep = run(&["rep", "--help"]).stdout();
    for flag in ["--echo", "--command", "--data", "--format", "Examples:"] {
        assert!(rep.contains(flag), "rep --help lacks {flag}");
    }
    assert!(run(&["sub", "--help"]).stdout().contains("--subscribe"));
    assert!(run(&["radio", "--help"]).stdout().contains("--group"));
    assert!(run(&["dish", "--help"]).stdout().contains("--join"));
    assert!(run(&["--version"]).stdout().starts_with("zocket "));
}

// ---------------------------------------------------------------------------
// Against libzmq, through pyzmq from the interop suite's virtualenv.

fn python() -> Option<PathBuf> {
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../interop/.venv/bin/python");
    if venv.exists() {
        Some(venv)
    } else {
        eprintln!(
            "skipping the pyzmq tests: {} is absent (run interop/run.sh to create it)",
            venv.display()
        );
        None
    }
}

/// Starts a Python script; its prints come line by line.
fn py(python: &PathBuf, script: &str, args: &[&str]) -> Proc {
    let mut cmd = Command::new(python);
    cmd.arg("-u").arg("-c").arg(script).args(args);
    Proc::start(cmd, None)
}

#[test]
fn against_pyzmq() {
    let Some(python) = python() else {
        return;
    };
    // zocket REQ -> libzmq REP.
    let rep = r#"
import zmq
ctx = zmq.Context()
s = ctx.socket(zmq.REP)
s.rcvtimeo = s.sndtimeo = 20000
s.linger = 2000
print("port", s.bind_to_random_port("tcp://127.0.0.1"))
for _ in range(2):
    m = s.recv_multipart()
    s.send_multipart([b"py:" + m[0]] + m[1:])
s.close()
ctx.term()
"#;
    let mut server = py(&python, rep, &[]);
    let port = server.line(true, "port ");
    let req = run(&[
        "req",
        "-c",
        &format!("tcp://127.0.0.1:{port}"),
        "-s",
        "|",
        "-d",
        "a|b",
        "-d",
        "c",
    ]);
    assert_ok(&req, "req");
    assert_eq!(req.lines(), ["py:a|b", "py:c"]);
    assert_ok(&server.finish(), "python REP");

    // libzmq REQ -> zocket REP --echo.
    let mut rep = zocket(&["rep", "-b", ANY, "--echo", "-n", "1", "-f", "json"]);
    let ep = rep.bound();
    let req = r#"
import sys, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.REQ)
s.rcvtimeo = s.sndtimeo = 20000
s.linger = 0
s.connect(sys.argv[1])
s.send_multipart([b"hi", b"\xff"])
print("reply", " ".join(f.hex() for f in s.recv_multipart()))
"#;
    let client = py(&python, req, &[&ep]).finish();
    assert_ok(&client, "python REQ");
    assert_eq!(client.lines(), ["reply 6869 ff"]);
    assert_eq!(rep.finish().lines(), [r#"{"frames":["hi",{"hex":"ff"}]}"#]);

    // libzmq PUB -> zocket SUB.
    let mut sub = zocket(&["sub", "-b", ANY, "-S", "t", "-n", "2", "-f", "quoted"]);
    let ep = sub.bound();
    let publisher = r#"
import sys, time, zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PUB)
s.linger = 0
s.connect(sys.argv[1])
for _ in range(1000):
    s.send_multipart([b"other", b"no"])
    s.send_multipart([b"t", b"yes"])
    time.sleep(0.02)
"#;
    let pyproc = py(&python, publisher, &[&ep]);
    let sub = sub.finish();
    pyproc.stop();
    assert_ok(&sub, "sub");
    assert_eq!(sub.lines(), [r#""t" "yes""#; 2]);

    // zocket PUSH -> libzmq PULL.
    let pull = r#"
import zmq
ctx = zmq.Context()
s = ctx.socket(zmq.PULL)
s.rcvtimeo = 20000
print("port", s.bind_to_random_port("tcp://127.0.0.1"))
print("got", s.recv_multipart())
"#;
    let mut puller = py(&python, pull, &[]);
    let port = puller.line(true, "port ");
    let push = run(&[
        "push",
        "-c",
        &format!("tcp://127.0.0.1:{port}"),
        "-s",
        "|",
        "-d",
        "x|y",
    ]);
    assert_ok(&push, "push");
    let puller = puller.finish();
    assert_ok(&puller, "python PULL");
    assert!(
        puller.stdout().contains("got [b'x', b'y']"),
        "{}",
        puller.stdout()
    );
}
