//! zocket: ZeroMQ-compatible messaging sockets in pure Rust.
//!
//! zocket speaks ZMTP 3.x, ZeroMQ's wire protocol, so any libzmq, pyzmq, JeroMQ or
//! CZMQ program can be its peer. This crate is the library users depend on; the
//! protocol itself lives in the sans-IO crate [`zocket_proto`], re-exported here as
//! [`proto`].
//!
//! Status: the protocol core is complete for the NULL mechanism. The tokio engine,
//! transports and socket patterns are being built (see the README's status table);
//! until then this crate offers the protocol core and its message type.

pub use zocket_proto as proto;
pub use zocket_proto::Message;
