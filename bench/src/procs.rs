//! Child processes of the runner: spawn a peer, read its protocol lines, wait for
//! it with a deadline, and take its peak memory and CPU time from `wait4`.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How a child ended, with its resource usage.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExitInfo {
    /// Exit code, if it exited normally.
    pub(crate) code: Option<i32>,
    /// Whether the runner had to kill it.
    pub(crate) killed: bool,
    /// Peak resident set size (getrusage `ru_maxrss`), KiB.
    pub(crate) maxrss_kib: u64,
    /// User + system CPU time, seconds.
    pub(crate) cpu_s: f64,
}

/// One running peer.
pub(crate) struct Proc {
    /// What it is, for messages ("libzmq push" …).
    pub(crate) label: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stdout_thread: Option<JoinHandle<()>>,
    stderr: Arc<Mutex<String>>,
    stderr_thread: Option<JoinHandle<()>>,
    result: Option<String>,
    exit: Option<ExitInfo>,
}

impl Proc {
    /// Starts `argv` with piped stdin, stdout and stderr.
    pub(crate) fn spawn(label: String, argv: &[String]) -> Result<Proc, String> {
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{label}: cannot start {}: {e}", argv[0]))?;
        let stdout = child.stdout.take().expect("piped");
        let stderr_pipe = child.stderr.take().expect("piped");
        let (tx, rx) = channel();
        let stdout_thread = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let stderr2 = stderr.clone();
        let stderr_thread = std::thread::spawn(move || {
            let mut s = String::new();
            let _ = BufReader::new(stderr_pipe).read_to_string(&mut s);
            *stderr2.lock().unwrap_or_else(|e| e.into_inner()) = s;
        });
        Ok(Proc {
            label,
            stdin: child.stdin.take(),
            child,
            lines: rx,
            stdout_thread: Some(stdout_thread),
            stderr,
            stderr_thread: Some(stderr_thread),
            result: None,
            exit: None,
        })
    }

    /// Waits for a stdout line starting with `prefix` and returns the rest of it.
    /// On failure the error says why, with the child's stderr if it has ended.
    pub(crate) fn expect(&mut self, prefix: &str, deadline: Instant) -> Result<String, String> {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.trim().to_string());
                    }
                    if line.starts_with("RESULT") {
                        self.result = Some(line);
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!("{}: no {prefix} line in time", self.label));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let exit = self.finish(Instant::now() + Duration::from_secs(5));
                    return Err(self.failure(&exit, &format!("ended before {prefix}")));
                }
            }
        }
    }

    /// Sends one command line on stdin.
    pub(crate) fn say(&mut self, line: &str) {
        if let Some(w) = self.stdin.as_mut() {
            let _ = writeln!(w, "{line}");
            let _ = w.flush();
        }
    }

    /// Closes stdin: tells the peer the run is over.
    pub(crate) fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the child to exit until `deadline`, then kills it. Idempotent.
    pub(crate) fn finish(&mut self, deadline: Instant) -> ExitInfo {
        if let Some(e) = &self.exit {
            return e.clone();
        }
        let pid = self.child.id() as libc::pid_t;
        let exited = ExitWait::new(pid);
        let mut killed = false;
        let (status, ru) = loop {
            let mut status = 0;
            // SAFETY: `rusage` is plain data that wait4 fills in.
            let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
            let flags = if killed { 0 } else { libc::WNOHANG };
            // SAFETY: waits for our own child; the pointers are valid for the call.
            let r = unsafe { libc::wait4(pid, &mut status, flags, &mut ru) };
            if r == pid {
                break (status, ru);
            }
            if r < 0 {
                // Already reaped or not ours: nothing more to learn.
                break (0, ru);
            }
            if Instant::now() >= deadline {
                // SAFETY: signals our own child, which has not been reaped yet.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                killed = true;
            } else {
                exited.sleep_until(deadline);
            }
        };
        self.stdin = None;
        if let Some(t) = self.stdout_thread.take() {
            let _ = t.join();
        }
        while let Ok(line) = self.lines.try_recv() {
            if line.starts_with("RESULT") {
                self.result = Some(line);
            }
        }
        if let Some(t) = self.stderr_thread.take() {
            let _ = t.join();
        }
        let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
        let exit = ExitInfo {
            code: if libc::WIFEXITED(status) {
                Some(libc::WEXITSTATUS(status))
            } else {
                None
            },
            killed,
            maxrss_kib: ru.ru_maxrss.max(0) as u64,
            cpu_s: tv(ru.ru_utime) + tv(ru.ru_stime),
        };
        self.exit = Some(exit.clone());
        exit
    }

    /// The child's stderr (complete once it has finished).
    pub(crate) fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .trim()
            .to_string()
    }

    /// Describes a failed child.
    pub(crate) fn failure(&self, exit: &ExitInfo, what: &str) -> String {
        let err = self.stderr();
        let last = err.lines().last().unwrap_or("").to_string();
        let how = if exit.killed {
            "killed at the deadline".to_string()
        } else {
            match exit.code {
                Some(crate::peer::EXIT_UNSUPPORTED) => "unsupported".to_string(),
                Some(c) => format!("exit {c}"),
                None => "died on a signal".to_string(),
            }
        };
        format!(
            "{}: {what} ({how}){}",
            self.label,
            if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            }
        )
    }

    /// Waits for a successful exit and returns the parsed `RESULT` fields.
    pub(crate) fn result(
        &mut self,
        deadline: Instant,
    ) -> Result<(Vec<(String, f64)>, ExitInfo), String> {
        let exit = self.finish(deadline);
        if exit.killed || exit.code != Some(0) {
            return Err(self.failure(&exit, "failed"));
        }
        let Some(line) = self.result.clone() else {
            return Err(self.failure(&exit, "printed no RESULT"));
        };
        let fields = line
            .split_whitespace()
            .skip(1)
            .filter_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                Some((k.to_string(), v.parse::<f64>().ok()?))
            })
            .collect();
        Ok((fields, exit))
    }
}

/// Sleeps until a child exits (or a deadline passes) without waking meanwhile:
/// on a pidfd where the kernel has them (Linux 5.3), else by polling.
///
/// The runner used to poll `wait4` every 2 ms while a peer ran. On a 2-vCPU
/// VM whose idle vCPUs halt, those 500 wake-ups a second of a third process
/// moved the latency peers' threads around and with them the REQ↔REP row:
/// the same zocket build gave 83–89 µs of p50 under the polling runner and
/// 54–63 µs started by hand (session 17).
struct ExitWait(Option<std::os::fd::OwnedFd>);

impl ExitWait {
    fn new(pid: libc::pid_t) -> ExitWait {
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor
        // or -1; nothing else is touched.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        ExitWait(i32::try_from(fd).ok().filter(|&fd| fd >= 0).map(|fd| {
            use std::os::fd::FromRawFd;
            // SAFETY: a descriptor just returned by the kernel, owned by nobody else.
            unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) }
        }))
    }

    /// Returns when the child has exited, at `deadline`, or (without a pidfd)
    /// after 2 ms.
    fn sleep_until(&self, deadline: Instant) {
        use std::os::fd::AsRawFd;
        let Some(fd) = &self.0 else {
            std::thread::sleep(Duration::from_millis(2));
            return;
        };
        let left = deadline.saturating_duration_since(Instant::now());
        let ms = i32::try_from(left.as_millis().saturating_add(1)).unwrap_or(i32::MAX);
        let mut pfd = libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call.
        unsafe { libc::poll(&mut pfd, 1, ms) };
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.exit.is_none() {
            // Anything still running when a run is abandoned is killed now.
            self.finish(Instant::now());
        }
    }
}

/// A field of a `RESULT` line.
pub(crate) fn field(fields: &[(String, f64)], key: &str) -> Result<f64, String> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .map(|&(_, v)| v)
        .ok_or_else(|| format!("RESULT without {key}"))
}
