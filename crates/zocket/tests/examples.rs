//! Runs every example in crates/zocket/examples and checks what it prints.
//! `cargo test` builds the examples before running the tests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn example(name: &str) -> PathBuf {
    // target/<profile>/deps/examples-<hash> → target/<profile>/examples/<name>
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    assert!(
        path.exists(),
        "{} not built: run `cargo test` (or `cargo build --examples`)",
        path.display()
    );
    path
}

/// Kills the child when the test ends, whatever happens.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_to_end(name: &str, args: &[&str]) -> String {
    let mut child = Guard(
        Command::new(example(name))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.0.try_wait().unwrap() {
            let mut out = String::new();
            child
                .0
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            assert!(status.success(), "{name} failed:\n{out}");
            return out;
        }
        assert!(Instant::now() < deadline, "{name} did not finish");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts a server example and returns it with the endpoint it printed.
fn start_server(name: &str, marker: &str) -> (Guard, BufReader<std::process::ChildStdout>, String) {
    let mut child = Guard(
        Command::new(example(name))
            .arg("tcp://127.0.0.1:*")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut out = BufReader::new(child.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let endpoint = line
        .trim()
        .strip_prefix(marker)
        .unwrap_or_else(|| panic!("unexpected: {line}"))
        .to_string();
    (child, out, endpoint)
}

fn rest(mut out: BufReader<std::process::ChildStdout>, child: &mut Guard) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut finished = true;
    while child.0.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            finished = false;
            let _ = child.0.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut s = String::new();
    out.read_to_string(&mut s).unwrap();
    assert!(finished, "server did not finish; it printed:\n{s}");
    s
}

#[test]
fn seed_003_server_answers_a_telnet_like_client() {
    let (mut server, out, endpoint) = start_server("seed_003_server", "listening on ");
    let mut telnet = TcpStream::connect(endpoint.trim_start_matches("tcp://")).unwrap();
    telnet
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    telnet.write_all(b"hi from telnet\r\n").unwrap();
    let mut reply = String::new();
    telnet.read_to_string(&mut reply).unwrap();
    assert_eq!(reply, "Hello, client!\r\n");
    let printed = rest(out, &mut server);
    assert!(
        printed.contains("Received from client: hi from telnet"),
        "{printed}"
    );
    assert!(
        printed.contains("Sent to client: Hello, client!"),
        "{printed}"
    );
}

#[test]
fn seed_000_server_prints_what_the_client_sent() {
    let (mut server, out, endpoint) = start_server("seed_000_server", "server started on ");
    let client = run_to_end("seed_000_client", &[&endpoint]);
    assert!(client.contains("sent: Hello, server!"), "{client}");
    let printed = rest(out, &mut server);
    assert!(printed.contains("received: Hello, server!"), "{printed}");
    assert!(printed.contains("server done"), "{printed}");
}

#[test]
fn request_response_example() {
    let out = run_to_end("request_response", &[]);
    assert_eq!(out, "1 squared is 1\n2 squared is 4\n3 squared is 9\n");
}

#[test]
fn publish_subscribe_example() {
    let out = run_to_end("publish_subscribe", &[]);
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("weather: ") && l.ends_with('C')),
        "{out}"
    );
}

#[test]
fn pipeline_example() {
    let out = run_to_end("pipeline", &[]);
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 9, "{out}");
    for id in 0..3 {
        let n = lines
            .iter()
            .filter(|l| l.starts_with(&format!("worker {id} did task")))
            .count();
        assert_eq!(n, 3, "worker {id}:\n{out}");
    }
}

#[test]
fn many_to_many_example() {
    let out = run_to_end("many_to_many", &[]);
    for si in 0..2 {
        for pi in 0..2 {
            assert!(
                out.contains(&format!("subscriber {si} heard publisher {pi}")),
                "{out}"
            );
        }
    }
    assert!(out.contains("proxy forwarded"), "{out}");
}

#[path = "support/multicast.rs"]
mod multicast;

#[test]
fn udp_multicast_example() {
    let out = match multicast::plan("example") {
        multicast::Plan::Here => run_to_end("udp_multicast", &[]),
        multicast::Plan::InNamespace(ns) => {
            let out = ns.run(&example("udp_multicast"), &[]);
            let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(
                out.status.success(),
                "udp_multicast failed in a network namespace:\n{stdout}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            stdout
        }
        multicast::Plan::Skip(why) => {
            eprintln!("udp_multicast_example skipped: {why}");
            return;
        }
    };
    let lines: Vec<_> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines
            .iter()
            .all(|l| l.starts_with("weather: ") && l.ends_with('C')),
        "{out}"
    );
}

#[test]
fn client_server_example() {
    let out = run_to_end("client_server", &[]);
    assert_eq!(
        out,
        "alice got \"Hello, alice!\"\nbob got \"Hello, bob!\"\ncarol got \"Hello, carol!\"\n"
    );
}
