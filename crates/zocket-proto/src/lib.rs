//! Sans-IO core of the ZeroMQ Message Transport Protocol (ZMTP 3.0 and 3.1).
//!
//! This crate has no sockets, no async runtime and no clock of its own. It is fed
//! bytes and the current time, and it hands back bytes to write, events and the next
//! deadline, in the manner of `quinn-proto` and `rustls`. That makes every behaviour
//! testable byte by byte with a fake clock, and fuzzable without a network.
//!
//! The layers, bottom up:
//!
//! - [`greeting`]: the 64-byte greeting and version negotiation;
//! - [`frame`]: the frame encoder and the incremental, limit-checking decoder;
//! - [`command`] and [`metadata`]: READY, ERROR, PING/PONG, SUBSCRIBE/CANCEL,
//!   JOIN/LEAVE and connection metadata properties;
//! - [`mechanism`]: security handshakes (NULL) as state machines;
//! - [`session`]: one connection's whole protocol, driven by
//!   [`Session::handle_input`], [`Session::poll_transmit`], [`Session::poll_event`],
//!   [`Session::poll_timeout`] and [`Session::handle_timeout`];
//! - [`z85`]: the Z85 text encoding of binary keys (RFC 32).
//!
//! Errors separate what a peer did wrong ([`ProtocolError`]) from what the local
//! program did wrong ([`UsageError`]).
#![forbid(unsafe_code)]

pub mod command;
pub mod error;
pub mod frame;
pub mod greeting;
pub mod limits;
pub mod mechanism;
pub mod message;
pub mod metadata;
pub mod session;
pub mod socket_type;
pub mod z85;

pub use command::Command;
pub use error::{Error, ProtocolError, UsageError};
pub use frame::{Frame, FrameDecoder, WireRun};
pub use greeting::{Greeting, GreetingDecoder, Version};
pub use limits::Limits;
pub use mechanism::Mechanism;
pub use message::Message;
pub use metadata::Metadata;
pub use session::{Event, PeerInfo, Session, SessionConfig};
pub use socket_type::SocketType;
