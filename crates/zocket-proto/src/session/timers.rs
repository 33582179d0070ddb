//! The session's deadlines. Time is always passed in; nothing here reads a clock.

use std::time::Instant;

/// Every deadline a session may be waiting for.
#[derive(Debug, Default, Clone)]
pub(crate) struct Timers {
    /// The greeting and handshake must be done by then.
    pub(crate) handshake: Option<Instant>,
    /// Send the next PING then.
    pub(crate) next_ping: Option<Instant>,
    /// Close unless something arrives by then (armed when we send a PING).
    pub(crate) heartbeat_timeout: Option<Instant>,
    /// Close unless something arrives by then (armed by the TTL in the peer's PING).
    pub(crate) peer_ttl: Option<Instant>,
    /// The TTL the peer announced, in milliseconds, for the error report.
    pub(crate) peer_ttl_millis: u64,
}

impl Timers {
    /// The earliest armed deadline.
    pub(crate) fn earliest(&self) -> Option<Instant> {
        [
            self.handshake,
            self.next_ping,
            self.heartbeat_timeout,
            self.peer_ttl,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Traffic arrived: the liveness deadlines are met.
    pub(crate) fn on_traffic(&mut self) {
        self.heartbeat_timeout = None;
        self.peer_ttl = None;
    }

    pub(crate) fn clear(&mut self) {
        *self = Timers::default();
    }
}
