//! The options interface: typed socket options with libzmq's defaults.
//!
//! Read a socket's options with [`Socket::options`](crate::Socket::options), change
//! fields and apply them with [`Socket::set_options`](crate::Socket::set_options).
//! As in libzmq, options that shape connections (HWMs, heartbeats, routing id, …)
//! apply to endpoints bound or connected afterwards.

use std::time::Duration;

use bytes::Bytes;
use zocket_proto::{Limits, SessionConfig, SocketType};

/// Socket options. Every field is documented with its libzmq name and default.
///
/// ```
/// use std::time::Duration;
/// use zocket::{Options, SocketType};
/// let mut o = Options::for_type(SocketType::Push);
/// assert_eq!(o.sndhwm, 1000);
/// o.sndhwm = 10;
/// o.linger = Some(Duration::ZERO);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// `ZMQ_SNDHWM`: outbound messages queued per peer before the socket's
    /// at-the-mark behaviour applies (block, drop or EAGAIN). 0 = unlimited. Default 1000.
    pub sndhwm: usize,
    /// `ZMQ_RCVHWM`: inbound messages queued per peer before the connection stops
    /// being read (TCP flow control then pushes back on the sender). 0 = unlimited.
    /// Default 1000.
    pub rcvhwm: usize,
    /// Bytes (all frames) of inbound messages queued per peer before the
    /// connection stops being read, whatever RCVHWM allows: zocket's own limit,
    /// which libzmq lacks. It bounds the memory a fast sender of large messages
    /// can make a slow receiver hold (RCVHWM × the message size otherwise) and
    /// drops nothing: TCP flow control pushes back on the sender, as at RCVHWM
    /// (a `udp://` DISH drops the datagrams that find it reached, as at RCVHWM).
    /// A single message larger than the limit still passes. `None` (or, as for
    /// the HWMs, 0) = no byte limit (libzmq's behaviour). Default 2 MiB.
    ///
    /// ```
    /// use zocket::{Options, SocketType};
    /// let mut o = Options::for_type(SocketType::Pull);
    /// assert_eq!(o.rcvhwm_bytes, Some(2 << 20));
    /// o.rcvhwm_bytes = Some(64 << 20); // let a slow PULL buffer more
    /// ```
    pub rcvhwm_bytes: Option<usize>,
    /// `ZMQ_LINGER`: how long [`close`](crate::Socket::close) keeps trying to deliver
    /// queued messages. `None` = forever (libzmq's −1, the default for most types);
    /// XSUB and DISH default to zero.
    pub linger: Option<Duration>,
    /// `ZMQ_SNDTIMEO`: how long a send may wait. `None` = forever (default).
    pub sndtimeo: Option<Duration>,
    /// `ZMQ_RCVTIMEO`: how long a receive may wait. `None` = forever (default).
    pub rcvtimeo: Option<Duration>,
    /// `ZMQ_RECONNECT_IVL`: first wait before reconnecting. `None` disables
    /// reconnection. Default 100 ms.
    pub reconnect_ivl: Option<Duration>,
    /// `ZMQ_RECONNECT_IVL_MAX`: when set, the wait doubles after each failed attempt
    /// up to this maximum. Default `None` (a constant interval).
    pub reconnect_ivl_max: Option<Duration>,
    /// `ZMQ_CONNECT_TIMEOUT`: limit on one TCP connect attempt. `None` = the OS's.
    pub connect_timeout: Option<Duration>,
    /// `ZMQ_HANDSHAKE_IVL`: limit on the ZMTP handshake. `None` = none. Default 30 s.
    pub handshake_ivl: Option<Duration>,
    /// `ZMQ_HEARTBEAT_IVL`: send a PING this often. `None` (default) = no heartbeats.
    pub heartbeat_ivl: Option<Duration>,
    /// `ZMQ_HEARTBEAT_TTL`: the TTL announced in our PINGs. Default zero.
    pub heartbeat_ttl: Duration,
    /// `ZMQ_HEARTBEAT_TIMEOUT`: close if nothing arrives this long after a PING.
    /// `None` = the heartbeat interval (default).
    pub heartbeat_timeout: Option<Duration>,
    /// `ZMQ_ROUTING_ID`: the identity sent by REQ, DEALER and ROUTER (0–255 bytes).
    pub routing_id: Bytes,
    /// `ZMQ_CONNECT_ROUTING_ID`: the routing id a ROUTER gives the next connection
    /// it makes. Consumed by the next `connect`.
    pub connect_routing_id: Option<Bytes>,
    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections. Default false.
    pub immediate: bool,
    /// `ZMQ_MAXMSGSIZE`: largest inbound frame; a larger one closes the connection.
    /// `None` = no limit (default).
    pub maxmsgsize: Option<u64>,
    /// Largest number of frames in one inbound message (zocket's own DoS limit;
    /// libzmq has none). Default 65 536.
    pub max_frames_per_message: usize,
    /// `ZMQ_TCP_KEEPALIVE`: `None` = OS default (libzmq −1), `Some(true/false)` overrides.
    pub tcp_keepalive: Option<bool>,
    /// `ZMQ_TCP_KEEPALIVE_IDLE`: idle time before keepalive probes. `None` = OS default.
    pub tcp_keepalive_idle: Option<Duration>,
    /// `ZMQ_TCP_KEEPALIVE_INTVL`: interval between probes. `None` = OS default.
    pub tcp_keepalive_intvl: Option<Duration>,
    /// `ZMQ_TCP_KEEPALIVE_CNT`: probes before the connection is dropped. `None` = OS default.
    pub tcp_keepalive_cnt: Option<u32>,
    /// `ZMQ_BACKLOG`: listen backlog. Default 100.
    pub backlog: u32,
    /// `ZMQ_IPV6`: allow IPv6 (`tcp://*` binds dual-stack). Default false.
    pub ipv6: bool,
    /// `ZMQ_ROUTER_MANDATORY`: a ROUTER reports unroutable messages (EHOSTUNREACH) and
    /// full peers (EAGAIN) instead of dropping them. Default false.
    pub router_mandatory: bool,
    /// `ZMQ_ROUTER_HANDOVER`: a new connection with a routing id already in use takes
    /// it over. Default false.
    pub router_handover: bool,
    /// `ZMQ_PROBE_ROUTER`: send an empty message on each new connection (ROUTER,
    /// DEALER, REQ). Default false.
    pub probe_router: bool,
    /// `ZMQ_REQ_RELAXED`: let REQ send again before a reply arrived. Default false.
    pub req_relaxed: bool,
    /// `ZMQ_REQ_CORRELATE`: prefix requests with an id and drop mismatched replies.
    pub req_correlate: bool,
    /// `ZMQ_XPUB_VERBOSE`: XPUB passes up every subscription, not just the first.
    pub xpub_verbose: bool,
    /// `ZMQ_XPUB_VERBOSER`: XPUB passes up every subscription and unsubscription.
    pub xpub_verboser: bool,
    /// `ZMQ_XPUB_NODROP`: PUB/XPUB block (or EAGAIN) at a subscriber's HWM instead of
    /// dropping.
    pub xpub_nodrop: bool,
    /// `ZMQ_INVERT_MATCHING`: deliver messages that match no subscription.
    pub invert_matching: bool,
    /// `ZMQ_XPUB_MANUAL`: an XPUB passes every subscription and unsubscription up and
    /// applies none by itself; the application applies them with
    /// [`Socket::subscribe`](crate::Socket::subscribe)/`unsubscribe` on the XPUB, which
    /// act on the peer whose subscription was received last. Default false.
    pub xpub_manual: bool,
    /// `ZMQ_XPUB_WELCOME_MSG`: a message an XPUB sends to each new subscriber as soon
    /// as it connects. Default none.
    pub xpub_welcome_msg: Option<bytes::Bytes>,
    /// `ZMQ_XSUB_VERBOSE_UNSUBSCRIBE`: an XSUB forwards every unsubscription, not only
    /// those that remove a subscription it holds. Default false.
    pub xsub_verbose_unsubscribe: bool,
    /// `ZMQ_ROUTER_NOTIFY` (draft): a ROUTER delivers `[routing id][empty]` when a peer
    /// connects (`connect`) and/or disconnects (`disconnect`). Default neither.
    pub router_notify_connect: bool,
    /// See [`router_notify_connect`](Self::router_notify_connect).
    pub router_notify_disconnect: bool,
    /// `ZMQ_CONFLATE`: keep only the newest message in each pipe, both ways (PUSH, PULL,
    /// PUB, SUB, DEALER; single-part messages). Default false.
    pub conflate: bool,
    /// `ZMQ_SNDBUF`: the kernel send buffer size of each TCP connection. `None` = OS default.
    pub sndbuf: Option<usize>,
    /// `ZMQ_RCVBUF`: the kernel receive buffer size of each TCP connection. `None` = OS default.
    pub rcvbuf: Option<usize>,
    /// `ZMQ_TCP_MAXRT`: how long unacknowledged data may stay unacknowledged before the
    /// connection is dropped (Linux `TCP_USER_TIMEOUT`). `None` = OS default.
    pub tcp_maxrt: Option<Duration>,
    /// `ZMQ_STREAM_NOTIFY`: a STREAM socket announces each peer's connection and
    /// disconnection as `[routing id][empty]`. Default true.
    pub stream_notify: bool,
    /// `ZMQ_MULTICAST_HOPS`: the time-to-live of the multicast datagrams a RADIO sends
    /// over `udp://` (how many routers they may cross). 0 leaves the OS default.
    /// Default 1: the local network only.
    pub multicast_hops: u32,
    /// `ZMQ_MULTICAST_LOOP`: whether the multicast datagrams a RADIO sends over
    /// `udp://` also reach the sockets of this host that joined the group. Default true.
    pub multicast_loop: bool,
}

/// The default of [`Options::rcvhwm_bytes`].
const DEFAULT_RCVHWM_BYTES: usize = 2 << 20;

impl Options {
    /// libzmq's defaults for a socket of type `t`.
    pub fn for_type(t: SocketType) -> Options {
        Options {
            sndhwm: 1000,
            rcvhwm: 1000,
            rcvhwm_bytes: Some(DEFAULT_RCVHWM_BYTES),
            linger: match t {
                SocketType::XSub | SocketType::Dish => Some(Duration::ZERO),
                _ => None,
            },
            sndtimeo: None,
            rcvtimeo: None,
            reconnect_ivl: Some(Duration::from_millis(100)),
            reconnect_ivl_max: None,
            connect_timeout: None,
            handshake_ivl: Some(SessionConfig::DEFAULT_HANDSHAKE_IVL),
            heartbeat_ivl: None,
            heartbeat_ttl: Duration::ZERO,
            heartbeat_timeout: None,
            routing_id: Bytes::new(),
            connect_routing_id: None,
            immediate: false,
            maxmsgsize: None,
            max_frames_per_message: Limits::DEFAULT_MAX_FRAMES_PER_MESSAGE,
            tcp_keepalive: None,
            tcp_keepalive_idle: None,
            tcp_keepalive_intvl: None,
            tcp_keepalive_cnt: None,
            backlog: 100,
            ipv6: false,
            router_mandatory: false,
            router_handover: false,
            probe_router: false,
            req_relaxed: false,
            req_correlate: false,
            xpub_verbose: false,
            xpub_verboser: false,
            xpub_nodrop: false,
            invert_matching: false,
            stream_notify: true,
            xpub_manual: false,
            xpub_welcome_msg: None,
            xsub_verbose_unsubscribe: false,
            router_notify_connect: false,
            router_notify_disconnect: false,
            conflate: false,
            sndbuf: None,
            rcvbuf: None,
            tcp_maxrt: None,
            multicast_hops: 1,
            multicast_loop: true,
        }
    }

    /// The protocol-core configuration these options give for socket type `t`.
    pub(crate) fn session_config(&self, t: SocketType) -> SessionConfig {
        let limits = Limits::default()
            .with_max_frame_size(self.maxmsgsize)
            .with_max_frames_per_message(self.max_frames_per_message);
        SessionConfig::new(t)
            .with_routing_id(self.routing_id.clone())
            .unwrap_or_else(|_| SessionConfig::new(t))
            .with_limits(limits)
            .with_handshake_ivl(self.handshake_ivl)
            .with_heartbeat_ivl(self.heartbeat_ivl)
            .with_heartbeat_ttl(self.heartbeat_ttl)
            .with_heartbeat_timeout(self.heartbeat_timeout)
    }
}
