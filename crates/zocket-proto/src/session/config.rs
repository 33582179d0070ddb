//! The configuration of one [`Session`](super::Session).

use std::time::Duration;

use bytes::Bytes;

use crate::error::UsageError;
use crate::limits::Limits;
use crate::mechanism::Mechanism;
use crate::metadata::Metadata;
use crate::socket_type::SocketType;

/// Everything a [`Session`](super::Session) needs to know about the local socket.
///
/// Defaults follow libzmq: a 30 s handshake interval, heartbeats off, NULL security.
///
/// ```
/// use std::time::Duration;
/// use zocket_proto::{SessionConfig, SocketType};
/// let config = SessionConfig::new(SocketType::Dealer)
///     .with_routing_id("worker-1")?
///     .with_heartbeat_ivl(Some(Duration::from_secs(1)));
/// assert_eq!(config.heartbeat_timeout(), Some(Duration::from_secs(1)));
/// # Ok::<(), zocket_proto::UsageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SessionConfig {
    socket_type: SocketType,
    mechanism: Mechanism,
    routing_id: Bytes,
    metadata: Metadata,
    limits: Limits,
    handshake_ivl: Option<Duration>,
    heartbeat_ivl: Option<Duration>,
    heartbeat_ttl: Duration,
    heartbeat_timeout: Option<Duration>,
}

impl SessionConfig {
    /// libzmq's default `ZMQ_HANDSHAKE_IVL`: 30 seconds.
    pub const DEFAULT_HANDSHAKE_IVL: Duration = Duration::from_secs(30);

    /// A configuration for a socket of type `socket_type` with libzmq's defaults.
    pub fn new(socket_type: SocketType) -> Self {
        SessionConfig {
            socket_type,
            mechanism: Mechanism::Null,
            routing_id: Bytes::new(),
            metadata: Metadata::new(),
            limits: Limits::default(),
            handshake_ivl: Some(Self::DEFAULT_HANDSHAKE_IVL),
            heartbeat_ivl: None,
            heartbeat_ttl: Duration::ZERO,
            heartbeat_timeout: None,
        }
    }

    /// The local socket type.
    pub fn socket_type(&self) -> SocketType {
        self.socket_type
    }

    /// The security mechanism (only NULL is implemented).
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The routing id sent as the `Identity` property by REQ, DEALER and ROUTER
    /// (`ZMQ_ROUTING_ID`); empty by default.
    pub fn routing_id(&self) -> &Bytes {
        &self.routing_id
    }

    /// Sets [`routing_id`](Self::routing_id): 1 to 255 bytes, or empty to clear it.
    ///
    /// ```
    /// use zocket_proto::{SessionConfig, SocketType};
    /// assert!(SessionConfig::new(SocketType::Req).with_routing_id(vec![0u8; 256]).is_err());
    /// ```
    pub fn with_routing_id(mut self, id: impl Into<Bytes>) -> Result<Self, UsageError> {
        let id = id.into();
        if id.len() > 255 {
            return Err(UsageError::InvalidRoutingId { len: id.len() });
        }
        self.routing_id = id;
        Ok(self)
    }

    /// Extra properties sent in READY (libzmq's draft `ZMQ_METADATA`, `X-…` names).
    pub fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Sets [`metadata`](Self::metadata).
    ///
    /// ```
    /// use zocket_proto::{Metadata, SessionConfig, SocketType};
    /// let mut md = Metadata::new();
    /// md.insert("X-Hello", "world")?;
    /// let c = SessionConfig::new(SocketType::Pair).with_metadata(md);
    /// assert_eq!(c.metadata().get("X-Hello").map(|v| &v[..]), Some(&b"world"[..]));
    /// # Ok::<(), zocket_proto::UsageError>(())
    /// ```
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// The receive limits (frame size, frames per message, command size).
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Sets [`limits`](Self::limits).
    ///
    /// ```
    /// use zocket_proto::{Limits, SessionConfig, SocketType};
    /// let c = SessionConfig::new(SocketType::Pull)
    ///     .with_limits(Limits::default().with_max_frame_size(Some(1024)));
    /// assert_eq!(c.limits().max_frame_size(), Some(1024));
    /// ```
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The longest the greeting and handshake may take (`ZMQ_HANDSHAKE_IVL`); `None`
    /// disables the deadline. Default 30 s.
    pub fn handshake_ivl(&self) -> Option<Duration> {
        self.handshake_ivl
    }

    /// Sets [`handshake_ivl`](Self::handshake_ivl). A zero duration means none, as in libzmq.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zocket_proto::{SessionConfig, SocketType};
    /// let c = SessionConfig::new(SocketType::Sub).with_handshake_ivl(Some(Duration::ZERO));
    /// assert_eq!(c.handshake_ivl(), None);
    /// ```
    pub fn with_handshake_ivl(mut self, ivl: Option<Duration>) -> Self {
        self.handshake_ivl = ivl.filter(|d| !d.is_zero());
        self
    }

    /// How often to send PING once the handshake is done (`ZMQ_HEARTBEAT_IVL`);
    /// `None` (the default) sends none. PINGs from the peer are answered regardless.
    pub fn heartbeat_ivl(&self) -> Option<Duration> {
        self.heartbeat_ivl
    }

    /// Sets [`heartbeat_ivl`](Self::heartbeat_ivl). A zero duration means none.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zocket_proto::{SessionConfig, SocketType};
    /// let c = SessionConfig::new(SocketType::Pub).with_heartbeat_ivl(Some(Duration::from_millis(500)));
    /// assert_eq!(c.heartbeat_ivl(), Some(Duration::from_millis(500)));
    /// ```
    pub fn with_heartbeat_ivl(mut self, ivl: Option<Duration>) -> Self {
        self.heartbeat_ivl = ivl.filter(|d| !d.is_zero());
        self
    }

    /// The TTL announced in our PINGs (`ZMQ_HEARTBEAT_TTL`): the peer may close the
    /// connection if it hears nothing from us for this long. Sent in deciseconds, so
    /// anything below 100 ms is sent as 0 (no TTL); capped at 6553.5 s. Default zero.
    pub fn heartbeat_ttl(&self) -> Duration {
        self.heartbeat_ttl
    }

    /// Sets [`heartbeat_ttl`](Self::heartbeat_ttl).
    ///
    /// ```
    /// use std::time::Duration;
    /// use zocket_proto::{SessionConfig, SocketType};
    /// let c = SessionConfig::new(SocketType::Pub).with_heartbeat_ttl(Duration::from_secs(10));
    /// assert_eq!(c.heartbeat_ttl_deciseconds(), 100);
    /// ```
    pub fn with_heartbeat_ttl(mut self, ttl: Duration) -> Self {
        self.heartbeat_ttl = ttl;
        self
    }

    /// [`heartbeat_ttl`](Self::heartbeat_ttl) as sent on the wire.
    pub fn heartbeat_ttl_deciseconds(&self) -> u16 {
        u16::try_from(self.heartbeat_ttl.as_millis() / 100).unwrap_or(u16::MAX)
    }

    /// How long to wait for any traffic after sending a PING before closing the
    /// connection (`ZMQ_HEARTBEAT_TIMEOUT`). Defaults to the heartbeat interval.
    pub fn heartbeat_timeout(&self) -> Option<Duration> {
        self.heartbeat_timeout.or(self.heartbeat_ivl)
    }

    /// Sets [`heartbeat_timeout`](Self::heartbeat_timeout); `None` restores the default.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zocket_proto::{SessionConfig, SocketType};
    /// let c = SessionConfig::new(SocketType::Pub)
    ///     .with_heartbeat_ivl(Some(Duration::from_secs(1)))
    ///     .with_heartbeat_timeout(Some(Duration::from_secs(3)));
    /// assert_eq!(c.heartbeat_timeout(), Some(Duration::from_secs(3)));
    /// ```
    pub fn with_heartbeat_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.heartbeat_timeout = timeout;
        self
    }
}
