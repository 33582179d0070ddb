//! Socket events, read by blocking calls or as an iterator.

use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::oneshot;

use super::Context;
use crate::error::{Error, Result};
use crate::monitor::MonitorEvent;

/// A blocking stream of a socket's [`MonitorEvent`]s, from
/// [`Socket::monitor`](super::Socket::monitor).
///
/// Like the async [`crate::Monitor`] it is lossless and in order. The stream ends
/// (`recv` returns `None`) after [`MonitorEvent::MonitorStopped`], which
/// [`close`](super::Socket::close) sends, or once the socket and all its connections
/// are gone. Its methods never touch a tokio runtime, so they work on any thread.
///
/// ```
/// # fn main() -> zocket::Result<()> {
/// use std::time::Duration;
/// use zocket::MonitorEvent;
/// use zocket::blocking::Pull;
/// let pull = Pull::new()?;
/// let events = pull.monitor();
/// let endpoint = pull.bind("tcp://127.0.0.1:*")?;
/// assert_eq!(events.recv_timeout(Duration::from_secs(5))?,
///            Some(MonitorEvent::Listening { endpoint }));
/// pull.close()?;
/// // The rest of the stream, as an iterator.
/// assert_eq!(events.last(), Some(MonitorEvent::MonitorStopped));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Monitor {
    rx: mpsc::Receiver<MonitorEvent>,
    /// Dropping it stops the forwarding task.
    _stop: oneshot::Sender<()>,
}

impl Monitor {
    /// Forwards `inner`'s events to a blocking channel from a task on `ctx`.
    pub(super) fn forward(ctx: &Context, mut inner: crate::Monitor) -> Monitor {
        let (tx, rx) = mpsc::channel();
        let (stop, mut stopped) = oneshot::channel::<()>();
        ctx.spawn(async move {
            loop {
                tokio::select! {
                    ev = inner.recv() => match ev {
                        Some(ev) => {
                            if tx.send(ev).is_err() {
                                return;
                            }
                        }
                        None => return,
                    },
                    _ = &mut stopped => return,
                }
            }
        });
        Monitor { rx, _stop: stop }
    }

    /// Waits for the next event; `None` once the stream has ended.
    pub fn recv(&self) -> Option<MonitorEvent> {
        self.rx.recv().ok()
    }

    /// Waits up to `timeout` for the next event: `Ok(None)` once the stream has
    /// ended, [`Error::Timeout`] if no event came in time.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<MonitorEvent>> {
        match self.rx.recv_timeout(timeout) {
            Ok(ev) => Ok(Some(ev)),
            Err(mpsc::RecvTimeoutError::Timeout) => Err(Error::Timeout),
            Err(mpsc::RecvTimeoutError::Disconnected) => Ok(None),
        }
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&self) -> Option<MonitorEvent> {
        self.rx.try_recv().ok()
    }
}

/// Iterates over the events as they come, blocking for each; ends with the stream.
impl Iterator for Monitor {
    type Item = MonitorEvent;

    fn next(&mut self) -> Option<MonitorEvent> {
        self.recv()
    }
}
