//! ZMTP 3.x framing (RFC 23/37 §Framing): a flags octet, a 1- or 8-octet size, a body.
//!
//! [`encode_header`] writes the short form up to 255 bytes and the long form above,
//! exactly as libzmq does. [`FrameDecoder`] takes frames off the front of a buffer fed
//! in any chunking, checking every declared size against [`Limits`](crate::Limits)
//! before waiting for the body.

mod decode;
mod encode;
mod run;

pub use decode::FrameDecoder;
pub use encode::{encode_frame, encode_header, encode_message, header_len};
pub use run::{RUN_COPY_MAX, WireRun};

use bytes::Bytes;

/// Flag bit: another frame of the same message follows.
pub const FLAG_MORE: u8 = 0x01;
/// Flag bit: the size field is 8 octets (u64 big-endian) rather than 1.
pub const FLAG_LONG: u8 = 0x02;
/// Flag bit: the frame is a command, not message data.
pub const FLAG_COMMAND: u8 = 0x04;
/// Largest body that the short (1-octet size) form can carry.
pub const MAX_SHORT_BODY: usize = 255;

/// The length of the first `messages` whole data messages at the front of `wire`
/// (frames back to back, as [`encode_message`] writes them), or of as many as it
/// holds: where to cut a run of encoded messages in two. Only headers are read.
///
/// ```
/// use bytes::BytesMut;
/// use zocket_proto::{frame, Message};
/// let mut wire = BytesMut::new();
/// frame::encode_message(&Message::from_frames(vec!["a".into(), "bc".into()]), &mut wire);
/// frame::encode_message(&Message::from("d"), &mut wire);
/// assert_eq!(frame::messages_len(&wire, 1), 7);
/// assert_eq!(frame::messages_len(&wire, 5), 10);
/// ```
pub fn messages_len(wire: &[u8], messages: usize) -> usize {
    decode::scan_messages(wire, u64::MAX, usize::MAX, usize::MAX, messages).0
}

/// One decoded frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// Another frame of the same message follows (always `false` for commands).
    pub more: bool,
    /// The frame is a command.
    pub command: bool,
    /// The body, without flags and size.
    pub body: Bytes,
}
