//! The events interface: a typed, lossless stream of connection events.
//!
//! [`Socket::monitor`](crate::Socket::monitor) returns a [`Monitor`]; every event
//! the socket produces after that call is delivered in order, none is dropped (the
//! queue is unbounded: a program that asks for events is expected to read them).

use std::fmt;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::mpsc;

/// Something that happened to one of a socket's endpoints or connections.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MonitorEvent {
    /// A bind succeeded; `endpoint` is the resolved address (ephemeral port filled in).
    Listening {
        /// The bound endpoint.
        endpoint: String,
    },
    /// A bind failed.
    BindFailed {
        /// The endpoint given to bind.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// A listener accepted a connection.
    Accepted {
        /// The listening endpoint.
        endpoint: String,
        /// The peer's address.
        peer: Option<SocketAddr>,
    },
    /// A listener failed to accept a connection.
    AcceptFailed {
        /// The listening endpoint.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// An outgoing connection was established (before the handshake).
    Connected {
        /// The endpoint given to connect.
        endpoint: String,
        /// The peer's address.
        peer: Option<SocketAddr>,
    },
    /// An outgoing connection attempt failed or is pending; it will be retried.
    ConnectDelayed {
        /// The endpoint given to connect.
        endpoint: String,
        /// Why the attempt did not complete.
        reason: String,
    },
    /// A reconnection attempt is scheduled after `interval`.
    ConnectRetried {
        /// The endpoint given to connect.
        endpoint: String,
        /// The wait before the next attempt.
        interval: Duration,
    },
    /// The ZMTP handshake with a peer completed.
    HandshakeSucceeded {
        /// The local endpoint (bound side) or the connect endpoint.
        endpoint: String,
        /// The peer's address.
        peer: Option<SocketAddr>,
    },
    /// The ZMTP handshake failed: bad greeting, mechanism or socket-type mismatch,
    /// timeout. The connection was closed.
    HandshakeFailed {
        /// The local endpoint (bound side) or the connect endpoint.
        endpoint: String,
        /// The peer's address.
        peer: Option<SocketAddr>,
        /// Why.
        reason: String,
        /// libzmq's `ZMQ_PROTOCOL_ERROR_*` code when the cause was a protocol error.
        protocol_code: Option<u32>,
    },
    /// A connection ended, after or without a completed handshake.
    Disconnected {
        /// The local endpoint (bound side) or the connect endpoint.
        endpoint: String,
        /// The peer's address.
        peer: Option<SocketAddr>,
        /// Why: peer closed, protocol error, heartbeat timeout, I/O error, socket closed.
        reason: String,
    },
    /// A listener or connecter was closed (unbind, disconnect, close, or a connecter
    /// giving up after a protocol error).
    Closed {
        /// The endpoint.
        endpoint: String,
    },
    /// The socket was closed; no event follows.
    MonitorStopped,
}

impl MonitorEvent {
    /// libzmq's `ZMQ_EVENT_*` name for this event.
    pub fn zmq_name(&self) -> &'static str {
        match self {
            MonitorEvent::Listening { .. } => "LISTENING",
            MonitorEvent::BindFailed { .. } => "BIND_FAILED",
            MonitorEvent::Accepted { .. } => "ACCEPTED",
            MonitorEvent::AcceptFailed { .. } => "ACCEPT_FAILED",
            MonitorEvent::Connected { .. } => "CONNECTED",
            MonitorEvent::ConnectDelayed { .. } => "CONNECT_DELAYED",
            MonitorEvent::ConnectRetried { .. } => "CONNECT_RETRIED",
            MonitorEvent::HandshakeSucceeded { .. } => "HANDSHAKE_SUCCEEDED",
            MonitorEvent::HandshakeFailed {
                protocol_code: Some(_),
                ..
            } => "HANDSHAKE_FAILED_PROTOCOL",
            MonitorEvent::HandshakeFailed { .. } => "HANDSHAKE_FAILED_NO_DETAIL",
            MonitorEvent::Disconnected { .. } => "DISCONNECTED",
            MonitorEvent::Closed { .. } => "CLOSED",
            MonitorEvent::MonitorStopped => "MONITOR_STOPPED",
        }
    }

    /// The endpoint the event is about (empty for [`MonitorEvent::MonitorStopped`]).
    pub fn endpoint(&self) -> &str {
        match self {
            MonitorEvent::Listening { endpoint }
            | MonitorEvent::BindFailed { endpoint, .. }
            | MonitorEvent::Accepted { endpoint, .. }
            | MonitorEvent::AcceptFailed { endpoint, .. }
            | MonitorEvent::Connected { endpoint, .. }
            | MonitorEvent::ConnectDelayed { endpoint, .. }
            | MonitorEvent::ConnectRetried { endpoint, .. }
            | MonitorEvent::HandshakeSucceeded { endpoint, .. }
            | MonitorEvent::HandshakeFailed { endpoint, .. }
            | MonitorEvent::Disconnected { endpoint, .. }
            | MonitorEvent::Closed { endpoint } => endpoint,
            MonitorEvent::MonitorStopped => "",
        }
    }
}

impl fmt::Display for MonitorEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.zmq_name(), self.endpoint())?;
        match self {
            MonitorEvent::Accepted { peer: Some(p), .. }
            | MonitorEvent::Connected { peer: Some(p), .. }
            | MonitorEvent::HandshakeSucceeded { peer: Some(p), .. } => write!(f, " peer {p}"),
            MonitorEvent::BindFailed { reason, .. }
            | MonitorEvent::AcceptFailed { reason, .. }
            | MonitorEvent::ConnectDelayed { reason, .. }
            | MonitorEvent::HandshakeFailed { reason, .. }
            | MonitorEvent::Disconnected { reason, .. } => write!(f, ": {reason}"),
            MonitorEvent::ConnectRetried { interval, .. } => write!(f, " in {interval:?}"),
            _ => Ok(()),
        }
    }
}

/// A stream of [`MonitorEvent`]s from one socket.
#[derive(Debug)]
pub struct Monitor {
    rx: mpsc::UnboundedReceiver<MonitorEvent>,
}

impl Monitor {
    /// The next event; `None` once the socket is gone and every event was read.
    pub async fn recv(&mut self) -> Option<MonitorEvent> {
        self.rx.recv().await
    }

    /// The next event if one is waiting, without waiting.
    pub fn try_recv(&mut self) -> Option<MonitorEvent> {
        self.rx.try_recv().ok()
    }
}

/// The sending side, kept by the socket core.
#[derive(Debug, Default)]
pub(crate) struct MonitorHub {
    subscribers: Mutex<Vec<mpsc::UnboundedSender<MonitorEvent>>>,
}

impl MonitorHub {
    pub(crate) fn subscribe(&self) -> Monitor {
        let (tx, rx) = mpsc::unbounded_channel();
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        Monitor { rx }
    }

    pub(crate) fn emit(&self, event: MonitorEvent) {
        let mut subs = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        if subs.is_empty() {
            return;
        }
        tracing::debug!(%event, "monitor");
        subs.retain(|tx| tx.send(event.clone()).is_ok());
    }

    /// Sends [`MonitorEvent::MonitorStopped`] and ends every stream.
    pub(crate) fn stop(&self) {
        let mut subs = self.subscribers.lock().unwrap_or_else(|e| e.into_inner());
        for tx in subs.drain(..) {
            let _ = tx.send(MonitorEvent::MonitorStopped);
        }
    }
}
