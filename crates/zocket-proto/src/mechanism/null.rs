//! The NULL mechanism (RFC 23/37 §The NULL Security Mechanism).
//!
//! libzmq runs it symmetrically: each side sends READY as soon as the greeting is
//! done and is ready once it has both sent and received READY. That interoperates
//! with the RFC 37 ordering (client first) too.

use bytes::Bytes;

use crate::command::Command;
use crate::error::ProtocolError;
use crate::metadata::Metadata;
use crate::socket_type::SocketType;

/// Metadata property carrying the sender's socket type.
pub const PROP_SOCKET_TYPE: &str = "Socket-Type";
/// Metadata property carrying the sender's routing id.
pub const PROP_IDENTITY: &str = "Identity";

/// What the peer told us in its READY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerReady {
    /// The peer's socket type, when it sent one (libzmq does not require it).
    pub socket_type: Option<SocketType>,
    /// The peer's `Identity` property (empty when absent).
    pub identity: Bytes,
    /// All properties, as received.
    pub metadata: Metadata,
}

/// Builds our READY: `Socket-Type`, then `Identity` for the types that send it
/// (REQ, DEALER, ROUTER — even when empty, as libzmq does), then `extra` (`X-…`
/// application properties).
pub fn ready_command(ours: SocketType, routing_id: &Bytes, extra: &Metadata) -> Command {
    let mut md = Metadata::new();
    md.insert(PROP_SOCKET_TYPE, ours.as_str())
        .expect("constant property name is valid");
    if ours.sends_identity() {
        md.insert(PROP_IDENTITY, routing_id.clone())
            .expect("constant property name is valid; routing ids are at most 255 bytes");
    }
    for (name, value) in extra.iter() {
        // `extra` was validated when it was built.
        let _ = md.insert(name.clone(), value.clone());
    }
    Command::Ready(md)
}

/// Checks the peer's first command of the NULL handshake.
///
/// READY with a compatible (or absent) `Socket-Type` completes it; ERROR, any other
/// command, or an incompatible type is a protocol error.
pub fn handle_peer_command(ours: SocketType, command: Command) -> Result<PeerReady, ProtocolError> {
    match command {
        Command::Ready(metadata) => {
            let socket_type = match metadata.get(PROP_SOCKET_TYPE) {
                None => None,
                Some(name) => match SocketType::from_wire_name(name) {
                    Some(t) if ours.is_compatible_with(t) => Some(t),
                    _ => {
                        return Err(ProtocolError::IncompatibleSocketType {
                            ours,
                            theirs: String::from_utf8_lossy(name).into_owned(),
                        });
                    }
                },
            };
            let identity = metadata.get(PROP_IDENTITY).cloned().unwrap_or_default();
            Ok(PeerReady {
                socket_type,
                identity,
                metadata,
            })
        }
        Command::Error { reason } => Err(ProtocolError::PeerSentError {
            reason: String::from_utf8_lossy(&reason).into_owned(),
        }),
        other => Err(ProtocolError::UnexpectedDuringHandshake {
            what: String::from_utf8_lossy(other.name()).into_owned(),
        }),
    }
}
