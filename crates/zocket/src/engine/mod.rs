//! Engines: one task per connection, between a socket's pipe and a byte stream.
//!
//! - [`zmtp`]: speaks ZMTP through a `zocket_proto::Session` (every socket type but
//!   STREAM);
//! - [`raw`]: STREAM's raw bytes, no protocol.
//!
//! Both end with an [`EngineExit`], which the transport turns into a monitor event
//! and a reconnection decision. [`drive`] decides who polls an engine: its own
//! task, or a receive that would otherwise wait for it.

pub(crate) mod drive;
pub(crate) mod raw;
pub(crate) mod read_size;
pub(crate) mod zmtp;

use std::net::SocketAddr;

use crate::monitor::MonitorEvent;

/// Where a connection came from, for monitor events.
#[derive(Debug, Clone)]
pub(crate) struct ConnInfo {
    /// The bound endpoint (accepted connections) or the connect endpoint.
    pub(crate) endpoint: String,
    /// The peer's address.
    pub(crate) peer: Option<SocketAddr>,
}

/// Why an engine stopped.
#[derive(Debug)]
pub(crate) enum EngineExit {
    /// The peer closed the connection.
    PeerClosed,
    /// The socket is closing and everything queued was written (or linger expired).
    Closed,
    /// The pipe was terminated (unbind/disconnect).
    Terminated,
    /// An I/O error.
    Io(std::io::Error),
    /// The peer broke the protocol or the handshake/heartbeat timed out.
    Protocol {
        /// The error.
        error: zocket_proto::Error,
        /// Whether the handshake had completed.
        after_handshake: bool,
    },
    /// The pattern refused the peer (e.g. a second PAIR peer).
    Refused(String),
}

impl EngineExit {
    /// Whether a connecter should stop reconnecting (libzmq: protocol errors end
    /// reconnection for that endpoint).
    pub(crate) fn is_fatal_for_endpoint(&self) -> bool {
        matches!(
            self,
            EngineExit::Protocol {
                error: zocket_proto::Error::Protocol(_),
                ..
            }
        )
    }

    pub(crate) fn reason(&self) -> String {
        match self {
            EngineExit::PeerClosed => "peer closed the connection".into(),
            EngineExit::Closed => "socket closed".into(),
            EngineExit::Terminated => "endpoint removed".into(),
            EngineExit::Io(e) => format!("I/O error: {e}"),
            EngineExit::Protocol { error, .. } => error.to_string(),
            EngineExit::Refused(why) => why.clone(),
        }
    }

    /// The monitor event for this exit.
    pub(crate) fn event(&self, info: &ConnInfo) -> MonitorEvent {
        match self {
            EngineExit::Protocol {
                error,
                after_handshake: false,
            } => MonitorEvent::HandshakeFailed {
                endpoint: info.endpoint.clone(),
                peer: info.peer,
                reason: error.to_string(),
                protocol_code: match error {
                    zocket_proto::Error::Protocol(p) => Some(p.zmq_code()),
                    _ => None,
                },
            },
            _ => MonitorEvent::Disconnected {
                endpoint: info.endpoint.clone(),
                peer: info.peer,
                reason: self.reason(),
            },
        }
    }
}
