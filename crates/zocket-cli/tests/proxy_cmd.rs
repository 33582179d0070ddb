//! `zocket proxy`, `zocket bench` and `radio`/`dish` between zocket processes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn zocket(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zocket"));
    c.args(args);
    c
}

fn wait(child: &mut Kill, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "{what} did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn pipeline_through_a_proxy() {
    let mut proxy = Kill(
        zocket(&[
            "proxy",
            "--frontend",
            "pull",
            "--frontend-bind",
            "tcp://127.0.0.1:*",
            "--backend",
            "push",
            "--backend-bind",
            "tcp://127.0.0.1:*",
            "-n",
            "3",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap(),
    );
    let mut err = BufReader::new(proxy.0.stderr.take().unwrap());
    let mut endpoint = |role: &str| {
        let mut line = String::new();
        err.read_line(&mut line).unwrap();
        line.trim()
            .strip_prefix(&format!("zocket: {role} bound "))
            .unwrap_or_else(|| panic!("{line}"))
            .to_string()
    };
    let (front, back) = (endpoint("frontend"), endpoint("backend"));
    let mut consumer = Kill(
        zocket(&["pull", "--connect", &back, "-n", "3"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut producer = Kill(
        zocket(&["push", "--connect", &front, "-d", "a", "-d", "b", "-d", "c"])
            .spawn()
            .unwrap(),
    );
    assert!(wait(&mut producer, "producer").success());
    assert!(wait(&mut consumer, "consumer").success());
    let mut out = String::new();
    std::io::Read::read_to_string(&mut consumer.0.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(out, "a\nb\nc\n");
    assert!(wait(&mut proxy, "proxy").success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    assert!(
        rest.contains("proxy forwarded 3 messages (3 bytes) frontend->backend"),
        "{rest}"
    );
}

#[test]
fn proxy_errors_are_one_line() {
    let out = zocket(&[
        "proxy",
        "--frontend",
        "nosuch",
        "--frontend-bind",
        "tcp://127.0.0.1:*",
        "--backend",
        "push",
        "--backend-bind",
        "tcp://127.0.0.1:*",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("unknown socket type"), "{err}");
}

#[test]
fn bench_between_two_processes_prints_a_table() {
    let mut child = Kill(
        zocket(&[
            "bench",
            "--size",
            "16",
            "--count",
            "20000",
            "--round-trips",
            "200",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap(),
    );
    assert!(wait(&mut child, "bench").success());
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.0.stdout.take().unwrap(), &mut out).unwrap();
    assert!(out.contains("| PUSH→PULL throughput | 16 B | "), "{out}");
    assert!(out.contains("(20000 messages)"), "{out}");
    assert!(out.contains("| REQ↔REP round trip | 16 B | mean "), "{out}");
    assert!(out.contains("(200 round trips)"), "{out}");
}

#[test]
fn radio_to_dish_over_udp() {
    let mut dish = Kill(
        zocket(&[
            "dish",
            "--bind",
            "udp://127.0.0.1:*",
            "--join",
            "weather",
            "-n",
            "1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap(),
    );
    let mut err = BufReader::new(dish.0.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let ep = line
        .trim()
        .strip_prefix("zocket: bound ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    // UDP has no handshake: send a few datagrams; the other group is filtered out.
    let mut radio = Kill(
        zocket(&[
            "radio",
            "--connect",
            &ep,
            "--group",
            "sports",
            "-d",
            "goal",
            "-n",
            "5",
            "-i",
            "20ms",
        ])
        .spawn()
        .unwrap(),
    );
    assert!(wait(&mut radio, "radio").success());
    let mut radio = Kill(
        zocket(&[
            "radio",
            "--connect",
            &ep,
            "--group",
            "weather",
            "-d",
            "sunny",
            "-n",
            "50",
            "-i",
            "20ms",
        ])
        .spawn()
        .unwrap(),
    );
    assert!(wait(&mut dish, "dish").success());
    let _ = wait(&mut radio, "radio");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut dish.0.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(out, "weather\tsunny\n");
}
