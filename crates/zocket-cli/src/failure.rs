//! Why a command stopped early, phrased for a one-line message on stderr.

use std::time::Duration;

use zocket::Error;

/// A reason to stop.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An error, printed as `zocket: <message>`; the exit status is 1.
    Error(String),
    /// Standard output was closed by its reader (`zocket sub … | head`): a clean stop.
    StdoutClosed,
}

impl Failure {
    /// An error with this message.
    pub(crate) fn new(message: impl Into<String>) -> Failure {
        Failure::Error(message.into())
    }

    /// A failed bind or connect (`verb`) of `endpoint`.
    pub(crate) fn endpoint(verb: &str, endpoint: &str, e: Error) -> Failure {
        match e {
            // These name the endpoint themselves.
            Error::AddrInUse { .. }
            | Error::AddrNotAvailable { .. }
            | Error::InvalidEndpoint { .. }
            | Error::UnsupportedTransport { .. } => Failure::new(format!("cannot {verb}: {e}")),
            e if verb == "connect" => Failure::new(format!("cannot connect to {endpoint}: {e}")),
            e => Failure::new(format!("cannot {verb} {endpoint}: {e}")),
        }
    }

    /// A failed send; `timeout` is the socket's send timeout.
    pub(crate) fn send(e: Error, timeout: Option<Duration>) -> Failure {
        match e {
            Error::Timeout => Failure::new(format!(
                "timed out: no peer took the message within {}",
                show(timeout)
            )),
            e => Failure::new(format!("cannot send: {e}")),
        }
    }

    /// A failed receive; `timeout` is the socket's receive timeout.
    pub(crate) fn recv(e: Error, timeout: Option<Duration>) -> Failure {
        match e {
            Error::Timeout => Failure::new(format!(
                "timed out: no message arrived within {}",
                show(timeout)
            )),
            e => Failure::new(format!("cannot receive: {e}")),
        }
    }

    /// A background task that ended abnormally (its panic was already reported).
    pub(crate) fn task(e: tokio::task::JoinError) -> Failure {
        Failure::new(format!("internal error: a task stopped: {e}"))
    }
}

/// A timeout as Rust prints durations (`100ms`, `1.5s`, `120s`).
fn show(timeout: Option<Duration>) -> String {
    timeout.map_or_else(|| "forever".to_string(), |d| format!("{d:?}"))
}
