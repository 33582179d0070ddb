//! Typed errors of the protocol core.
//!
//! [`ProtocolError`] is something the peer did wrong: the connection must be closed
//! and the error reported (libzmq reports it as `HANDSHAKE_FAILED_PROTOCOL` or
//! `DISCONNECTED`). [`UsageError`] is something the local program did wrong: nothing
//! was sent and the connection is unharmed. [`Error`] wraps both, plus timeouts.

use crate::socket_type::SocketType;

/// Any error the protocol core reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer broke the protocol; the connection is dead.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The local program misused the API; nothing was sent.
    #[error(transparent)]
    Usage(#[from] UsageError),
    /// The greeting and security handshake did not finish within the handshake interval.
    #[error("handshake not completed within {millis} ms")]
    HandshakeTimeout {
        /// The configured handshake interval, in milliseconds.
        millis: u64,
    },
    /// Nothing was received from the peer within the heartbeat timeout (or the TTL the
    /// peer itself announced in its PING).
    #[error("peer silent for {millis} ms after heartbeat")]
    HeartbeatTimeout {
        /// The timeout that expired, in milliseconds.
        millis: u64,
    },
    /// The session was already closed by an earlier fatal error.
    #[error("session closed")]
    Closed,
}

impl Error {
    /// The libzmq errno name closest to this error, for users coming from C
    /// (`EPROTO`, `EINVAL`, `ETIMEDOUT`, …).
    pub fn errno_name(&self) -> &'static str {
        match self {
            Error::Protocol(ProtocolError::FrameTooLarge { .. }) => "EMSGSIZE",
            Error::Protocol(_) => "EPROTO",
            Error::Usage(u) => u.errno_name(),
            Error::HandshakeTimeout { .. } | Error::HeartbeatTimeout { .. } => "ETIMEDOUT",
            Error::Closed => "ETERM",
        }
    }
}

/// A violation of ZMTP by the peer. Every case is fatal for the connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The greeting's signature is wrong (byte 0 is not `0xFF`, or byte 9 lacks its
    /// low bit): the peer does not speak ZMTP 3, or speaks unversioned ZMTP 1.0.
    #[error("invalid greeting signature (not a ZMTP 3.x peer)")]
    BadSignature,
    /// The peer announced a ZMTP version below 3.0, which this core does not speak.
    #[error("peer speaks ZMTP {major}.{minor}; version 3.0 or later is required")]
    UnsupportedVersion {
        /// Major version from the greeting.
        major: u8,
        /// Minor version from the greeting (0 when not yet received).
        minor: u8,
    },
    /// The peer's security mechanism differs from ours.
    #[error("security mechanism mismatch: we use {ours}, peer uses {theirs:?}")]
    MechanismMismatch {
        /// Our mechanism name.
        ours: &'static str,
        /// The peer's mechanism name, NUL padding removed, lossily decoded.
        theirs: String,
    },
    /// A frame is larger than the configured maximum (libzmq `ZMQ_MAXMSGSIZE`).
    #[error("frame of {size} bytes exceeds the limit of {limit} bytes")]
    FrameTooLarge {
        /// Size the peer declared.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A command frame is larger than the configured maximum command size.
    #[error("command of {size} bytes exceeds the limit of {limit} bytes")]
    CommandTooLarge {
        /// Size the peer declared.
        size: u64,
        /// The configured limit.
        limit: u64,
    },
    /// A multipart message has more frames than the configured maximum.
    #[error("message has more than {limit} frames")]
    TooManyFrames {
        /// The configured limit.
        limit: usize,
    },
    /// A command frame with an empty body (no name length octet).
    #[error("empty command frame")]
    EmptyCommand,
    /// A command's name length runs past the end of the frame.
    #[error("command name length {name_len} runs past the end of a {frame_len}-byte frame")]
    TruncatedCommandName {
        /// The declared name length.
        name_len: u8,
        /// The frame body length.
        frame_len: usize,
    },
    /// A known command whose body does not follow its grammar.
    #[error("malformed {command} command: {reason}")]
    MalformedCommand {
        /// The command name.
        command: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Metadata properties are truncated or have bytes left over (`ZMTP_INVALID_METADATA`).
    #[error("invalid metadata: {reason}")]
    InvalidMetadata {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A command or message that is not allowed at this point of the handshake.
    #[error("unexpected {what} during the handshake")]
    UnexpectedDuringHandshake {
        /// What arrived (a command name, or "message").
        what: String,
    },
    /// The peer's socket type cannot talk to ours.
    #[error("incompatible socket types: {ours} cannot talk to {theirs:?}")]
    IncompatibleSocketType {
        /// Our socket type.
        ours: SocketType,
        /// The peer's `Socket-Type` property, lossily decoded.
        theirs: String,
    },
    /// The peer sent an ERROR command; the reason is its text.
    #[error("peer sent ERROR: {reason:?}")]
    PeerSentError {
        /// The reason text, lossily decoded.
        reason: String,
    },
}

impl ProtocolError {
    /// libzmq's `ZMQ_PROTOCOL_ERROR_*` code for this error, as carried by the
    /// `HANDSHAKE_FAILED_PROTOCOL` monitor event.
    pub fn zmq_code(&self) -> u32 {
        const UNSPECIFIED: u32 = 0x1000_0000;
        const UNEXPECTED_COMMAND: u32 = 0x1000_0001;
        const MALFORMED_UNSPECIFIED: u32 = 0x1000_0011;
        const MALFORMED_ERROR: u32 = 0x1000_0015;
        const MALFORMED_READY: u32 = 0x1000_0016;
        const INVALID_METADATA: u32 = 0x1000_0018;
        const MECHANISM_MISMATCH: u32 = 0x1100_0002;
        match self {
            ProtocolError::MechanismMismatch { .. } => MECHANISM_MISMATCH,
            ProtocolError::InvalidMetadata { .. }
            | ProtocolError::IncompatibleSocketType { .. } => INVALID_METADATA,
            ProtocolError::UnexpectedDuringHandshake { .. } => UNEXPECTED_COMMAND,
            ProtocolError::MalformedCommand {
                command: "READY", ..
            } => MALFORMED_READY,
            ProtocolError::MalformedCommand {
                command: "ERROR", ..
            } => MALFORMED_ERROR,
            ProtocolError::MalformedCommand { .. }
            | ProtocolError::EmptyCommand
            | ProtocolError::TruncatedCommandName { .. } => MALFORMED_UNSPECIFIED,
            _ => UNSPECIFIED,
        }
    }
}

/// A misuse of the API by the local program. Nothing was sent; the session is intact.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// A message must have at least one frame.
    #[error("a message needs at least one frame")]
    EmptyMessage,
    /// Messages can be sent only once the handshake has completed.
    #[error("the handshake has not completed yet")]
    NotReady,
    /// A routing id must be 1 to 255 bytes long.
    #[error("routing id of {len} bytes; it must be 1 to 255 bytes")]
    InvalidRoutingId {
        /// The length given.
        len: usize,
    },
    /// A metadata property name must be 1 to 255 characters of `A-Z a-z 0-9 - _ . +`.
    #[error("invalid metadata property name {name:?}")]
    InvalidPropertyName {
        /// The name given, lossily decoded.
        name: String,
    },
    /// A metadata property value must be shorter than 2^31 bytes.
    #[error("metadata property value of {len} bytes is too long")]
    PropertyValueTooLong {
        /// The length given.
        len: usize,
    },
    /// A group name (RADIO/DISH) must be at most 255 bytes.
    #[error("group name of {len} bytes; at most 255 bytes are allowed")]
    GroupTooLong {
        /// The length given.
        len: usize,
    },
    /// An ERROR reason must be at most 255 bytes.
    #[error("error reason of {len} bytes; at most 255 bytes are allowed")]
    ReasonTooLong {
        /// The length given.
        len: usize,
    },
    /// A command name must be 1 to 255 bytes.
    #[error("command name of {len} bytes; it must be 1 to 255 bytes")]
    InvalidCommandName {
        /// The length given.
        len: usize,
    },
    /// A configuration value is out of range.
    #[error("invalid configuration: {0}")]
    InvalidConfig(&'static str),
}

impl UsageError {
    /// The libzmq errno name for this misuse.
    pub fn errno_name(&self) -> &'static str {
        match self {
            UsageError::NotReady => "EAGAIN",
            _ => "EINVAL",
        }
    }
}
