//! The error type of the whole library.
//!
//! Every fallible call in zocket returns [`Result`], whose error is [`Error`]. Each case
//! corresponds to an errno that libzmq would set in the same situation, so programs
//! ported from C (or reporting errors to C callers) can use [`Error::errno_name`] and
//! [`Error::errno`]:
//!
//! ```
//! use zocket::error::Error;
//!
//! let err = Error::Fsm { operation: "send", state: "awaiting a reply" };
//! assert_eq!(err.errno_name(), "EFSM");
//! assert_eq!(err.errno(), 156_384_712 + 51);
//! assert_eq!(err.to_string(), "cannot send while awaiting a reply (REQ/REP alternation)");
//! ```

use std::io;

use zocket_proto::SocketType;

/// A [`std::result::Result`] whose error defaults to zocket's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// libzmq's base for its own error numbers (`ZMQ_HAUSNUMERO`).
const HAUSNUMERO: i32 = 156_384_712;

/// Errno names and their values. POSIX names carry their Linux values; `EFSM`,
/// `ENOCOMPATPROTO`, `ETERM` and `EMTHREAD` are libzmq's own (`ZMQ_HAUSNUMERO + n`).
/// When two names share a value (`ENOTSUP`/`EOPNOTSUPP`), the first one wins in
/// value-to-name look-ups.
const ERRNO_TABLE: &[(&str, i32)] = &[
    ("EPERM", 1),
    ("ENOENT", 2),
    ("EINTR", 4),
    ("EIO", 5),
    ("EAGAIN", 11),
    ("ENOMEM", 12),
    ("EACCES", 13),
    ("EFAULT", 14),
    ("EBUSY", 16),
    ("EEXIST", 17),
    ("ENODEV", 19),
    ("EINVAL", 22),
    ("EMFILE", 24),
    ("ENOSPC", 28),
    ("EPIPE", 32),
    ("ENAMETOOLONG", 36),
    ("ENOSYS", 38),
    ("EPROTO", 71),
    ("ENOTSOCK", 88),
    ("EMSGSIZE", 90),
    ("EPROTONOSUPPORT", 93),
    ("ENOTSUP", 95),
    ("EOPNOTSUPP", 95),
    ("EAFNOSUPPORT", 97),
    ("EADDRINUSE", 98),
    ("EADDRNOTAVAIL", 99),
    ("ENETDOWN", 100),
    ("ENETUNREACH", 101),
    ("ECONNABORTED", 103),
    ("ECONNRESET", 104),
    ("ENOTCONN", 107),
    ("ETIMEDOUT", 110),
    ("ECONNREFUSED", 111),
    ("EHOSTUNREACH", 113),
    ("EINPROGRESS", 115),
    ("EFSM", HAUSNUMERO + 51),
    ("ENOCOMPATPROTO", HAUSNUMERO + 52),
    ("ETERM", HAUSNUMERO + 53),
    ("EMTHREAD", HAUSNUMERO + 54),
];

/// The value of an errno name from [`ERRNO_TABLE`].
fn errno_value(name: &str) -> Option<i32> {
    ERRNO_TABLE
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, v)| v)
}

/// The first errno name in [`ERRNO_TABLE`] with this (Linux) value.
#[cfg(target_os = "linux")]
fn errno_name_of(value: i32) -> Option<&'static str> {
    ERRNO_TABLE
        .iter()
        .find(|&&(_, v)| v == value)
        .map(|&(n, _)| n)
}

/// The errno name that best describes an [`io::ErrorKind`]; `EIO` when none fits.
fn errno_name_of_kind(kind: io::ErrorKind) -> &'static str {
    use io::ErrorKind as K;
    match kind {
        K::WouldBlock => "EAGAIN",
        K::TimedOut => "ETIMEDOUT",
        K::AddrInUse => "EADDRINUSE",
        K::AddrNotAvailable => "EADDRNOTAVAIL",
        K::NotFound => "ENOENT",
        K::PermissionDenied => "EACCES",
        K::ConnectionRefused => "ECONNREFUSED",
        K::ConnectionReset => "ECONNRESET",
        K::ConnectionAborted => "ECONNABORTED",
        K::NotConnected => "ENOTCONN",
        K::BrokenPipe => "EPIPE",
        K::AlreadyExists => "EEXIST",
        K::InvalidInput => "EINVAL",
        K::InvalidData => "EPROTO",
        K::Interrupted => "EINTR",
        K::Unsupported => "ENOTSUP",
        K::OutOfMemory => "ENOMEM",
        K::HostUnreachable => "EHOSTUNREACH",
        K::NetworkUnreachable => "ENETUNREACH",
        K::NetworkDown => "ENETDOWN",
        K::ResourceBusy => "EBUSY",
        K::StorageFull => "ENOSPC",
        _ => "EIO",
    }
}

/// Any error zocket reports.
///
/// The enum is `#[non_exhaustive]`: match the cases you handle and keep a catch-all arm.
/// Each case documents the libzmq errno it stands for; [`Error::errno_name`] returns it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
// A tag as wide as a pointer puts every case's data, and a `Message` in a
// `Result<Message, Error>`, at offset 8. With a one-byte tag the compiler moves
// such a result as the bytes after the tag, 16 bytes at a time from offset 1,
// across the 8-byte stores that wrote them: each move of a received message then
// waits for the stores to retire (failed store-to-load forwarding). Measured on
// 4M x 16 B over inproc on one thread: 0.52-0.58 s before, 0.46-0.55 s after.
#[repr(u64)]
pub enum Error {
    /// A non-blocking call could not proceed: no message is waiting, or no peer can take
    /// one right now (libzmq `EAGAIN` with `ZMQ_DONTWAIT`).
    #[error("the operation would block: no message or peer is ready right now")]
    WouldBlock,
    /// The send or receive timeout (`ZMQ_SNDTIMEO` / `ZMQ_RCVTIMEO`) elapsed before the
    /// operation could complete (libzmq `EAGAIN`).
    #[error("the send or receive timeout elapsed before the operation could complete")]
    Timeout,
    /// The operation is not allowed in the socket's current state, e.g. a REQ socket
    /// sending twice without receiving the reply (libzmq `EFSM`).
    #[error("cannot {operation} while {state} (REQ/REP alternation)")]
    Fsm {
        /// The operation attempted (`"send"`, `"receive"`).
        operation: &'static str,
        /// The state the socket is in (`"awaiting a reply"`, …).
        state: &'static str,
    },
    /// No connected peer has the routing id a message was addressed to (libzmq
    /// `EHOSTUNREACH`, e.g. ROUTER with `ZMQ_ROUTER_MANDATORY`, SERVER, PEER).
    #[error("no connected peer has this routing id")]
    HostUnreachable,
    /// The address is already bound, by this process or another (libzmq `EADDRINUSE`).
    #[error("address already in use: {endpoint}")]
    AddrInUse {
        /// The endpoint that could not be bound.
        endpoint: String,
    },
    /// The address does not belong to this host, or a name resolved to no usable
    /// address (libzmq `EADDRNOTAVAIL`).
    #[error("address not available: {endpoint}")]
    AddrNotAvailable {
        /// The endpoint concerned.
        endpoint: String,
    },
    /// The endpoint string is malformed (libzmq `EINVAL`; for an IPC path that is too
    /// long libzmq says `ENAMETOOLONG`, zocket reports this case with the reason
    /// `"path too long"`).
    #[error("invalid endpoint {endpoint:?}: {reason}")]
    InvalidEndpoint {
        /// The endpoint string as given.
        endpoint: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The endpoint names a transport zocket does not implement (libzmq
    /// `EPROTONOSUPPORT`).
    #[error("unsupported transport in endpoint {endpoint:?}")]
    UnsupportedTransport {
        /// The endpoint string as given.
        endpoint: String,
    },
    /// The transport cannot be used with this socket type, e.g. `udp://` with anything
    /// but RADIO and DISH (libzmq `ENOCOMPATPROTO`).
    #[error("the {transport} transport cannot be used with a {socket_type} socket")]
    IncompatibleTransport {
        /// The transport name (`"udp"`, …).
        transport: &'static str,
        /// The socket's type.
        socket_type: SocketType,
    },
    /// A message is larger than the socket or transport allows (libzmq `EMSGSIZE`).
    #[error("message of {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// The message size, in bytes.
        size: usize,
        /// The largest size allowed, in bytes.
        limit: usize,
    },
    /// A socket option was given a value it does not accept (libzmq `EINVAL`).
    #[error("invalid value for option {option}: {reason}")]
    InvalidOption {
        /// The option's name (`"ZMQ_SNDHWM"`, …).
        option: &'static str,
        /// Why the value was refused.
        reason: String,
    },
    /// No socket option has this name (libzmq `EINVAL`).
    #[error("unknown socket option {name:?}")]
    UnknownOption {
        /// The name given.
        name: String,
    },
    /// The socket type cannot do this at all, e.g. send on SUB or receive on PUB (libzmq
    /// `ENOTSUP`).
    #[error("{operation} is not supported on a {socket_type} socket")]
    NotSupported {
        /// The operation attempted (`"send"`, `"receive"`, …).
        operation: &'static str,
        /// The socket's type.
        socket_type: SocketType,
    },
    /// Unbind or disconnect of an endpoint the socket is not bound or connected to
    /// (libzmq `ENOENT`).
    #[error("endpoint not bound or connected on this socket: {endpoint}")]
    NotFound {
        /// The endpoint given.
        endpoint: String,
    },
    /// The socket or its context is closed (libzmq `ETERM`).
    #[error("the socket or its context is closed")]
    Closed,
    /// The protocol core reported an error: the peer broke ZMTP, a handshake or
    /// heartbeat timed out, or a protocol-level value was misused (libzmq `EPROTO` for
    /// the peer's violations; see [`Error::errno_name`] for the other cases).
    #[error(transparent)]
    Protocol(#[from] zocket_proto::Error),
    /// An operating-system I/O error; its errno is the OS error code when there is one.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl Error {
    /// Maps an I/O error from binding `endpoint` to the typed cases
    /// [`Error::AddrInUse`] and [`Error::AddrNotAvailable`], which name the endpoint;
    /// any other error stays [`Error::Io`].
    ///
    /// ```
    /// use std::io;
    /// use zocket::error::Error;
    ///
    /// let e = io::Error::from(io::ErrorKind::AddrInUse);
    /// let err = Error::from_io_bind(e, "tcp://127.0.0.1:5555");
    /// assert!(matches!(err, Error::AddrInUse { ref endpoint } if endpoint == "tcp://127.0.0.1:5555"));
    /// ```
    pub fn from_io_bind(e: io::Error, endpoint: &str) -> Error {
        match e.kind() {
            io::ErrorKind::AddrInUse => Error::AddrInUse {
                endpoint: endpoint.to_owned(),
            },
            io::ErrorKind::AddrNotAvailable => Error::AddrNotAvailable {
                endpoint: endpoint.to_owned(),
            },
            _ => Error::Io(e),
        }
    }

    /// The libzmq errno name for this error (`"EAGAIN"`, `"EFSM"`, `"ENOCOMPATPROTO"`, …).
    ///
    /// [`Error::Protocol`] takes the name the protocol core gives (`EPROTO` for the
    /// peer's violations, `EMSGSIZE` for oversized frames, `ETIMEDOUT` for handshake and
    /// heartbeat timeouts, `EINVAL`/`EAGAIN` for misuse). [`Error::Io`] takes the name of
    /// its OS error code on Linux when zocket knows that code, or else the name that fits
    /// its [`kind`](io::Error::kind) (`EIO` when none does).
    pub fn errno_name(&self) -> &'static str {
        match self {
            Error::WouldBlock | Error::Timeout => "EAGAIN",
            Error::Fsm { .. } => "EFSM",
            Error::HostUnreachable => "EHOSTUNREACH",
            Error::AddrInUse { .. } => "EADDRINUSE",
            Error::AddrNotAvailable { .. } => "EADDRNOTAVAIL",
            Error::InvalidEndpoint { .. }
            | Error::InvalidOption { .. }
            | Error::UnknownOption { .. } => "EINVAL",
            Error::UnsupportedTransport { .. } => "EPROTONOSUPPORT",
            Error::IncompatibleTransport { .. } => "ENOCOMPATPROTO",
            Error::MessageTooLarge { .. } => "EMSGSIZE",
            Error::NotSupported { .. } => "ENOTSUP",
            Error::NotFound { .. } => "ENOENT",
            Error::Closed => "ETERM",
            Error::Protocol(e) => {
                let name = e.errno_name();
                if errno_value(name).is_some() {
                    name
                } else {
                    "EPROTO"
                }
            }
            Error::Io(e) => io_errno_name(e),
        }
    }

    /// The errno value for this error: the Linux value of [`Error::errno_name`] for POSIX
    /// names (`EAGAIN` = 11, `EINVAL` = 22, …), libzmq's `ZMQ_HAUSNUMERO + n` for its own
    /// (`EFSM` = 156384763, `ENOCOMPATPROTO` = 156384764, `ETERM` = 156384765).
    ///
    /// [`Error::Io`] returns the OS error code when the error carries one (the native
    /// value of the platform), else the value of the name that fits its kind.
    pub fn errno(&self) -> i32 {
        if let Error::Io(e) = self {
            if let Some(raw) = e.raw_os_error() {
                return raw;
            }
        }
        // Every name errno_name returns is in the table; EIO is the defensive fallback.
        errno_value(self.errno_name()).unwrap_or(5)
    }

    /// Whether this is [`Error::WouldBlock`] (or an I/O error of kind
    /// [`WouldBlock`](io::ErrorKind::WouldBlock)): a non-blocking call that can be retried
    /// once the socket is ready. [`Error::Timeout`] is not included, although both are
    /// `EAGAIN` in libzmq.
    pub fn is_would_block(&self) -> bool {
        match self {
            Error::WouldBlock => true,
            Error::Io(e) => e.kind() == io::ErrorKind::WouldBlock,
            _ => false,
        }
    }
}

/// The errno name of an I/O error: from its OS code on Linux, else from its kind.
fn io_errno_name(e: &io::Error) -> &'static str {
    #[cfg(target_os = "linux")]
    if let Some(name) = e.raw_os_error().and_then(errno_name_of) {
        return name;
    }
    errno_name_of_kind(e.kind())
}
