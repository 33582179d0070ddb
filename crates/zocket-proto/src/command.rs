//! ZMTP commands (RFC 23/37 §Commands): READY, ERROR, PING/PONG, SUBSCRIBE/CANCEL,
//! JOIN/LEAVE, and any other command kept raw.
//!
//! A command frame's body is `[name length: u8][name][data]`; the data runs to the end
//! of the frame. [`Command::parse`] takes such a body (the frame decoder has already
//! removed the flags and size); [`Command::encode`] writes a whole command frame.
//!
//! This module also has the ZMTP 3.0 form of subscriptions, which are data messages
//! rather than commands: [`subscription_message`] and [`parse_subscription_message`].

use bytes::{BufMut, Bytes, BytesMut};

use crate::error::{ProtocolError, UsageError};
use crate::frame::{encode_header, header_len};
use crate::metadata::Metadata;

/// Largest PING context, in bytes (RFC 37 §Connection Heartbeating). A longer context
/// received in a PING is echoed truncated to this length, as libzmq does.
pub const MAX_PING_CONTEXT: usize = 16;

/// Largest ERROR reason, JOIN/LEAVE group or command name, in bytes.
const MAX_SHORT_FIELD: usize = 255;

const READY: &[u8] = b"READY";
const ERROR: &[u8] = b"ERROR";
const PING: &[u8] = b"PING";
const PONG: &[u8] = b"PONG";
const SUBSCRIBE: &[u8] = b"SUBSCRIBE";
const CANCEL: &[u8] = b"CANCEL";
const JOIN: &[u8] = b"JOIN";
const LEAVE: &[u8] = b"LEAVE";

/// One ZMTP command.
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use zocket_proto::Command;
/// let cmd = Command::Subscribe { topic: Bytes::from_static(b"A") };
/// let mut out = BytesMut::new();
/// cmd.encode(&mut out)?;
/// assert_eq!(&out[..], b"\x04\x0b\x09SUBSCRIBEA");
/// assert_eq!(cmd.encoded_len(), out.len());
/// assert_eq!(Command::parse(out.freeze().slice(2..)).unwrap(), cmd);
/// # Ok::<(), zocket_proto::UsageError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `READY`: the end of the NULL handshake, carrying the sender's metadata
    /// (`Socket-Type`, `Identity`, application `X-` properties).
    Ready(Metadata),
    /// `ERROR`: the peer refuses the connection. `reason` is at most 255 bytes (libzmq
    /// sends a ZAP status code such as `"400"`).
    Error {
        /// The reason text.
        reason: Bytes,
    },
    /// `PING` (ZMTP 3.1 heartbeat).
    Ping {
        /// How long the receiver may wait for further traffic before dropping the
        /// connection, in deciseconds (tenths of a second); 0 means no hint.
        ttl: u16,
        /// Opaque bytes that the PONG echoes. The RFC allows up to
        /// [`MAX_PING_CONTEXT`] bytes; a longer received context is kept whole here,
        /// and [`encode`](Command::encode) truncates it.
        context: Bytes,
    },
    /// `PONG`: the answer to a PING.
    Pong {
        /// The PING's context (up to [`MAX_PING_CONTEXT`] bytes are sent).
        context: Bytes,
    },
    /// `SUBSCRIBE` (ZMTP 3.1): subscribe to messages starting with `topic`.
    Subscribe {
        /// The prefix; empty matches every message.
        topic: Bytes,
    },
    /// `CANCEL` (ZMTP 3.1): undo one earlier SUBSCRIBE of `topic`.
    Cancel {
        /// The prefix to unsubscribe from.
        topic: Bytes,
    },
    /// `JOIN` (ZMTP 3.1, DISH → RADIO): join a group.
    Join {
        /// The group name, at most 255 bytes when sent.
        group: Bytes,
    },
    /// `LEAVE` (ZMTP 3.1, DISH → RADIO): leave a group.
    Leave {
        /// The group name, at most 255 bytes when sent.
        group: Bytes,
    },
    /// Any other command (HELLO, WELCOME, INITIATE, MESSAGE, or one unknown to this
    /// crate), kept raw. [`parse`](Command::parse) never gives `Other` for a name
    /// that has its own variant; [`encode`](Command::encode) writes an `Other` as given
    /// whatever its name.
    Other {
        /// The command name, 1 to 255 bytes.
        name: Bytes,
        /// Everything after the name.
        data: Bytes,
    },
}

impl Command {
    /// The command name as sent on the wire (`b"READY"`, `b"PING"`, …).
    pub fn name(&self) -> &[u8] {
        match self {
            Command::Ready(_) => READY,
            Command::Error { .. } => ERROR,
            Command::Ping { .. } => PING,
            Command::Pong { .. } => PONG,
            Command::Subscribe { .. } => SUBSCRIBE,
            Command::Cancel { .. } => CANCEL,
            Command::Join { .. } => JOIN,
            Command::Leave { .. } => LEAVE,
            Command::Other { name, .. } => name,
        }
    }

    /// Parses a command frame's body, `[name length][name][data]`. Names are matched
    /// exactly (upper case, case-sensitive); any name not listed in [`Command`] gives
    /// [`Command::Other`]. Every field is a zero-copy slice of `body`.
    ///
    /// Errors:
    /// - an empty body: [`ProtocolError::EmptyCommand`];
    /// - a name running past the end: [`ProtocolError::TruncatedCommandName`];
    /// - a zero-length name: [`ProtocolError::MalformedCommand`];
    /// - a PING without its 2-octet TTL, an ERROR without its reason length octet or
    ///   with a reason running past the end: [`ProtocolError::MalformedCommand`];
    /// - READY whose metadata is malformed: the error of [`Metadata::parse`].
    ///
    /// Lenient where libzmq is: bytes after an ERROR's reason are ignored (libzmq only
    /// checks that the reason fits); a PING context longer than
    /// [`MAX_PING_CONTEXT`] and a JOIN/LEAVE group longer than 255 bytes are kept
    /// whole (libzmq's non-RADIO sockets drop JOIN/LEAVE unread, so the group limit is
    /// for the RADIO to enforce); ERROR reason characters are not checked.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use zocket_proto::Command;
    /// let cmd = Command::parse(Bytes::from_static(b"\x04PING\x00\x0aLOL"))?;
    /// assert_eq!(cmd, Command::Ping { ttl: 10, context: Bytes::from_static(b"LOL") });
    /// # Ok::<(), zocket_proto::ProtocolError>(())
    /// ```
    pub fn parse(body: Bytes) -> Result<Command, ProtocolError> {
        let Some(&name_len) = body.first() else {
            return Err(ProtocolError::EmptyCommand);
        };
        let data_start = 1 + usize::from(name_len);
        if data_start > body.len() {
            return Err(ProtocolError::TruncatedCommandName {
                name_len,
                frame_len: body.len(),
            });
        }
        if name_len == 0 {
            return Err(ProtocolError::MalformedCommand {
                command: "unnamed",
                reason: "zero-length command name",
            });
        }
        let name = &body[1..data_start];
        let data = body.slice(data_start..);
        let cmd = match name {
            READY => Command::Ready(Metadata::parse(data)?),
            ERROR => {
                let Some((&reason_len, rest)) = data.split_first() else {
                    return Err(malformed("ERROR", "missing reason length"));
                };
                let reason_len = usize::from(reason_len);
                if reason_len > rest.len() {
                    return Err(malformed("ERROR", "reason runs past the end"));
                }
                Command::Error {
                    reason: data.slice(1..1 + reason_len),
                }
            }
            PING => {
                let [hi, lo, ..] = data[..] else {
                    return Err(malformed("PING", "missing 2-octet TTL"));
                };
                Command::Ping {
                    ttl: u16::from_be_bytes([hi, lo]),
                    context: data.slice(2..),
                }
            }
            PONG => Command::Pong { context: data },
            SUBSCRIBE => Command::Subscribe { topic: data },
            CANCEL => Command::Cancel { topic: data },
            JOIN => Command::Join { group: data },
            LEAVE => Command::Leave { group: data },
            _ => Command::Other {
                name: body.slice(1..data_start),
                data,
            },
        };
        Ok(cmd)
    }

    /// Appends the whole command frame (flags, size, body) to `out`, using the short
    /// frame form up to 255 body bytes and the long form above.
    ///
    /// Checked before anything is written: an ERROR reason of at most 255 bytes
    /// ([`UsageError::ReasonTooLong`]), a JOIN/LEAVE group of at most 255 bytes
    /// ([`UsageError::GroupTooLong`]), an [`Other`](Command::Other) name of 1 to 255
    /// bytes ([`UsageError::InvalidCommandName`]).
    ///
    /// A PING or PONG context longer than [`MAX_PING_CONTEXT`] is truncated to its
    /// first 16 bytes rather than refused, as libzmq does when it answers a PING, so
    /// that `Command::Pong { context }` built from any received PING can be sent.
    ///
    /// ```
    /// use bytes::{Bytes, BytesMut};
    /// use zocket_proto::Command;
    /// let mut out = BytesMut::new();
    /// Command::Pong { context: Bytes::from_static(b"LOL") }.encode(&mut out)?;
    /// assert_eq!(&out[..], b"\x04\x08\x04PONGLOL");
    /// # Ok::<(), zocket_proto::UsageError>(())
    /// ```
    pub fn encode(&self, out: &mut BytesMut) -> Result<(), UsageError> {
        self.validate()?;
        let body_len = self.body_len();
        out.reserve(header_len(body_len) + body_len);
        encode_header(false, true, body_len, out);
        let name = self.name();
        // `validate` bounded the name of `Other`; the others are constants.
        out.put_u8(name.len() as u8);
        out.extend_from_slice(name);
        match self {
            Command::Ready(metadata) => metadata.encode(out),
            Command::Error { reason } => {
                out.put_u8(reason.len() as u8);
                out.extend_from_slice(reason);
            }
            Command::Ping { ttl, context } => {
                out.put_u16(*ttl);
                out.extend_from_slice(truncated_context(context));
            }
            Command::Pong { context } => out.extend_from_slice(truncated_context(context)),
            Command::Subscribe { topic } | Command::Cancel { topic } => {
                out.extend_from_slice(topic);
            }
            Command::Join { group } | Command::Leave { group } => out.extend_from_slice(group),
            Command::Other { data, .. } => out.extend_from_slice(data),
        }
        Ok(())
    }

    /// The number of bytes [`encode`](Self::encode) appends: the whole frame, header
    /// included, with any PING/PONG context truncated to [`MAX_PING_CONTEXT`].
    pub fn encoded_len(&self) -> usize {
        let body_len = self.body_len();
        header_len(body_len) + body_len
    }

    /// Checks what [`encode`](Self::encode) refuses.
    fn validate(&self) -> Result<(), UsageError> {
        match self {
            Command::Error { reason } if reason.len() > MAX_SHORT_FIELD => {
                Err(UsageError::ReasonTooLong { len: reason.len() })
            }
            Command::Join { group } | Command::Leave { group } if group.len() > MAX_SHORT_FIELD => {
                Err(UsageError::GroupTooLong { len: group.len() })
            }
            Command::Other { name, .. } if name.is_empty() || name.len() > MAX_SHORT_FIELD => {
                Err(UsageError::InvalidCommandName { len: name.len() })
            }
            _ => Ok(()),
        }
    }

    /// The length of the frame body: name length octet, name, data.
    fn body_len(&self) -> usize {
        let data_len = match self {
            Command::Ready(metadata) => metadata.encoded_len(),
            Command::Error { reason } => 1 + reason.len(),
            Command::Ping { context, .. } => 2 + truncated_context(context).len(),
            Command::Pong { context } => truncated_context(context).len(),
            Command::Subscribe { topic } | Command::Cancel { topic } => topic.len(),
            Command::Join { group } | Command::Leave { group } => group.len(),
            Command::Other { data, .. } => data.len(),
        };
        1 + self.name().len() + data_len
    }
}

/// The ZMTP 3.0 form of a subscription (RFC 23 §The Publish-Subscribe Pattern): the
/// body of a single-frame data message, `01 ‖ topic` to subscribe or `00 ‖ topic` to
/// cancel. libzmq sends this form to peers whose greeting says ZMTP 3.0.
///
/// ```
/// let m = zocket_proto::command::subscription_message(true, b"A");
/// assert_eq!(&m[..], b"\x01A");
/// ```
pub fn subscription_message(subscribe: bool, topic: &[u8]) -> Bytes {
    let mut body = BytesMut::with_capacity(1 + topic.len());
    body.put_u8(u8::from(subscribe));
    body.extend_from_slice(topic);
    body.freeze()
}

/// Reads a ZMTP 3.0 subscription message's frame: `Some((true, topic))` when it
/// starts with `01`, `Some((false, topic))` when it starts with `00`, `None`
/// otherwise (including an empty frame). The topic is a zero-copy slice of `frame`.
///
/// libzmq's PUB/XPUB take this form from peers of any ZMTP version.
///
/// ```
/// use bytes::Bytes;
/// use zocket_proto::command::parse_subscription_message;
/// let (subscribe, topic) = parse_subscription_message(&Bytes::from_static(b"\x00A")).unwrap();
/// assert!(!subscribe);
/// assert_eq!(&topic[..], b"A");
/// assert_eq!(parse_subscription_message(&Bytes::from_static(b"\x02A")), None);
/// ```
pub fn parse_subscription_message(frame: &Bytes) -> Option<(bool, Bytes)> {
    let subscribe = match frame.first()? {
        1 => true,
        0 => false,
        _ => return None,
    };
    Some((subscribe, frame.slice(1..)))
}

fn truncated_context(context: &[u8]) -> &[u8] {
    &context[..context.len().min(MAX_PING_CONTEXT)]
}

fn malformed(command: &'static str, reason: &'static str) -> ProtocolError {
    ProtocolError::MalformedCommand { command, reason }
}
