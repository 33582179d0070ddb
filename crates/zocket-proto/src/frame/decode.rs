//! The incremental, limit-checking frame decoder.

use bytes::{Buf, Bytes, BytesMut};

use super::{FLAG_COMMAND, FLAG_LONG, FLAG_MORE, Frame, WireRun};
use crate::{Limits, ProtocolError};

/// Length of a short header (flags + 1-octet size).
const SHORT_HEADER: usize = 2;
/// Length of a long header (flags + 8-octet size).
const LONG_HEADER: usize = 9;

/// The largest size any frame may declare, whatever the configured limits: sizes of
/// 2^63 and above are outside ZMTP's range, and a body must fit in memory.
const HARD_LIMIT: u64 = if (usize::MAX as u64) < i64::MAX as u64 {
    usize::MAX as u64
} else {
    i64::MAX as u64
};

/// The frame header at the front of `buf`: its flags, declared body size and
/// length (short or long form); or, when it is not all there, how many more
/// bytes it needs (2 for an empty buffer, the length of a short header).
pub(super) fn read_header(buf: &[u8]) -> Result<(u8, u64, usize), usize> {
    let Some(&flags) = buf.first() else {
        return Err(SHORT_HEADER);
    };
    if flags & FLAG_LONG == 0 {
        return match buf.get(1) {
            Some(&size) => Ok((flags, u64::from(size), SHORT_HEADER)),
            None => Err(1),
        };
    }
    match buf.get(1..LONG_HEADER) {
        Some(bytes) => {
            let mut size = [0u8; 8];
            size.copy_from_slice(bytes);
            Ok((flags, u64::from_be_bytes(size), LONG_HEADER))
        }
        None => Err(LONG_HEADER - buf.len()),
    }
}

/// The whole data messages at the front of `buf`, reading headers only: every
/// frame whole, of data (flags 0 or MORE, short or long form), of at most
/// `frame_limit` bytes, and at most `max_frames` to a message; stops before
/// anything else, after `max_messages`, and once `max_bytes` are taken (after the
/// message that crossed them). Returns where the last whole message ends, how
/// many messages there are and their body bytes.
pub(super) fn scan_messages(
    buf: &[u8],
    frame_limit: u64,
    max_frames: usize,
    max_bytes: usize,
    max_messages: usize,
) -> (usize, usize, usize) {
    // `end` is the last message boundary; `pos` the end of the last whole frame.
    let (mut pos, mut end, mut messages, mut payload) = (0usize, 0usize, 0usize, 0usize);
    let (mut frames, mut body) = (0usize, 0usize);
    while end < max_bytes && messages < max_messages {
        let Ok((flags, size, header)) = read_header(&buf[pos..]) else {
            break;
        };
        if flags & !(FLAG_MORE | FLAG_LONG) != 0 || size > frame_limit {
            break;
        }
        let Some(next) = usize::try_from(size)
            .ok()
            .and_then(|size| (pos + header).checked_add(size))
        else {
            break;
        };
        frames += 1;
        if next > buf.len() || frames > max_frames {
            break;
        }
        body += next - pos - header;
        pos = next;
        if flags & FLAG_MORE == 0 {
            (end, messages, payload) = (pos, messages + 1, payload + body);
            (frames, body) = (0, 0);
        }
    }
    (end, messages, payload)
}

/// Takes ZMTP 3.x frames off the front of a receive buffer.
///
/// Bytes may arrive in any chunking. As soon as a frame's header (flags and size) is
/// in the buffer it is consumed and its declared size is checked against the
/// [`Limits`], before any body byte is waited for; a hostile size is therefore never
/// buffered, let alone allocated. The body is then split off the buffer without
/// copying.
///
/// Like libzmq's decoder, it ignores the reserved flag bits, accepts the long form for
/// any size, and ignores MORE on a command frame.
///
/// After an error the decoder is poisoned: every later call returns that error.
///
/// ```
/// use bytes::BytesMut;
/// use zocket_proto::{FrameDecoder, Limits};
/// let mut dec = FrameDecoder::new(Limits::default());
/// let mut buf = BytesMut::from(&b"\x01\x02hi\x00"[..]);
/// let f = dec.decode(&mut buf).unwrap().unwrap();
/// assert!(f.more && !f.command);
/// assert_eq!(&f.body[..], b"hi");
/// assert_eq!(dec.decode(&mut buf).unwrap(), None); // half a header
/// assert_eq!(dec.needed(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    limits: Limits,
    /// Effective limit on data frame sizes (configured limit capped by [`HARD_LIMIT`]).
    frame_limit: u64,
    /// Effective limit on command frame sizes.
    command_limit: u64,
    /// Whether a header has been consumed and its body is awaited.
    in_body: bool,
    /// Body length of the current frame (valid when `in_body`).
    body_len: usize,
    /// MORE flag of the current frame (always false for commands).
    more: bool,
    /// COMMAND flag of the current frame.
    command: bool,
    /// Bytes missing at the last `Ok(None)`, for [`needed`](Self::needed).
    missing: usize,
    /// Set on the first error.
    error: Option<ProtocolError>,
}

impl FrameDecoder {
    /// A decoder applying `limits` (its frame and command size limits; the
    /// per-message frame count is for the layer that assembles messages).
    pub fn new(limits: Limits) -> Self {
        FrameDecoder {
            limits,
            frame_limit: limits
                .max_frame_size()
                .map_or(HARD_LIMIT, |l| l.min(HARD_LIMIT)),
            command_limit: limits.max_command_size().min(HARD_LIMIT),
            in_body: false,
            body_len: 0,
            more: false,
            command: false,
            missing: SHORT_HEADER,
            error: None,
        }
    }

    /// Takes at most one whole frame off the front of `buf`.
    ///
    /// Returns `Ok(None)` when `buf` holds less than the rest of the current frame;
    /// append more bytes and call again. A complete header is consumed (and
    /// remembered) even when the body is still missing, so `buf` then holds only body
    /// bytes. The body is split off `buf` without copying.
    ///
    /// # Errors
    ///
    /// As soon as a header is complete: [`ProtocolError::FrameTooLarge`] if a data
    /// frame declares more than [`Limits::max_frame_size`], and
    /// [`ProtocolError::CommandTooLarge`] if a command frame declares more than
    /// [`Limits::max_command_size`]. A size of 2^63 or more (or one that does not fit
    /// in `usize`) is always too large, reported with a limit of `i64::MAX` (or
    /// `usize::MAX`) when no smaller limit is configured. The offending header is
    /// consumed, and the decoder returns the same error from then on.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Frame>, ProtocolError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if !self.in_body {
            let (flags, size, header_len) = match read_header(buf) {
                Ok(header) => header,
                Err(missing) => {
                    self.missing = missing;
                    return Ok(None);
                }
            };
            buf.advance(header_len);
            let command = flags & FLAG_COMMAND != 0;
            if command {
                if size > self.command_limit {
                    return Err(self.poison(ProtocolError::CommandTooLarge {
                        size,
                        limit: self.command_limit,
                    }));
                }
            } else if size > self.frame_limit {
                return Err(self.poison(ProtocolError::FrameTooLarge {
                    size,
                    limit: self.frame_limit,
                }));
            }
            // Cannot truncate: size <= HARD_LIMIT <= usize::MAX.
            self.body_len = size as usize;
            self.command = command;
            self.more = !command && flags & FLAG_MORE != 0;
            self.in_body = true;
        }
        if buf.len() < self.body_len {
            self.missing = self.body_len - buf.len();
            return Ok(None);
        }
        self.in_body = false;
        self.missing = SHORT_HEADER;
        let body = if self.body_len == 0 {
            Bytes::new()
        } else {
            buf.split_to(self.body_len).freeze()
        };
        Ok(Some(Frame {
            more: self.more,
            command: self.command,
            body,
        }))
    }

    /// Takes one whole data frame (flags 0 or MORE, short or long form, within
    /// the limits) off the front of `buf`, if the decoder is between frames and
    /// `buf` holds all of it; returns its MORE flag and body. Anything else — a
    /// command, a header with reserved flags, a frame not all there, an error —
    /// is left for [`decode`](Self::decode), which reports it. This is the common
    /// case of a stream of messages that fit a read, without the general
    /// bookkeeping.
    #[inline]
    pub(crate) fn take_whole_data(&mut self, buf: &mut BytesMut) -> Option<(bool, Bytes)> {
        if self.in_body || self.error.is_some() {
            return None;
        }
        let (flags, size, header) = read_header(buf).ok()?;
        if flags & !(FLAG_MORE | FLAG_LONG) != 0 || size > self.frame_limit {
            return None;
        }
        // Cannot truncate: the limit is at most HARD_LIMIT <= usize::MAX.
        let end = header.checked_add(size as usize)?;
        if buf.len() < end {
            return None;
        }
        let mut body = buf.split_to(end).freeze();
        body.advance(header);
        Some((flags & FLAG_MORE != 0, body))
    }

    /// Takes the whole data messages at the front of `buf` as one [`WireRun`], if
    /// the decoder is between messages (no frame of the first one was taken
    /// before): every frame whole, of data (flags 0 or MORE, short or long form),
    /// within the frame size limit, and at most `max_frames` to a message. Stops
    /// before anything else (left for [`decode`](Self::decode) and
    /// [`take_whole_data`](Self::take_whole_data), which report what is wrong),
    /// and once the run holds `max_bytes` (it then ends with the message that
    /// crossed them). Only the headers are read here; the bodies stay in the run.
    pub(crate) fn take_run(
        &mut self,
        buf: &mut BytesMut,
        max_frames: usize,
        max_bytes: usize,
    ) -> Option<WireRun> {
        if self.in_body || self.error.is_some() {
            return None;
        }
        let (end, messages, payload) =
            scan_messages(buf, self.frame_limit, max_frames, max_bytes, usize::MAX);
        (messages > 0).then(|| WireRun::new(buf.split_to(end).freeze(), messages, payload))
    }

    /// While a frame's body is awaited (its header was consumed): the body's
    /// declared length and whether the frame is a command.
    #[inline]
    pub fn pending_body(&self) -> Option<(usize, bool)> {
        (self.in_body && self.error.is_none()).then_some((self.body_len, self.command))
    }

    /// How many more bytes the decoder needs, at least 1: a hint for sizing reads.
    ///
    /// After [`decode`](Self::decode) returned `Ok(None)`, this is how many bytes must
    /// be appended to the buffer before `decode` can make progress: the rest of the
    /// header, or the rest of the body. It is exact except when the buffer held no
    /// byte of the next frame: it is then 2, the length of a short header, and a long
    /// header will need 7 more. After a frame was returned (or before the first call)
    /// it is also 2, though the buffer may already hold more; after an error it is 1.
    ///
    /// A body's remaining length is whatever the peer declared, within the configured
    /// limits, which may be none: the I/O layer must cap this hint to a sane read size
    /// rather than reserve it.
    #[inline]
    pub fn needed(&self) -> usize {
        if self.error.is_some() {
            1
        } else {
            self.missing
        }
    }

    /// The limits this decoder applies.
    #[inline]
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Records `error` so that every later call returns it, and returns it.
    #[cold]
    fn poison(&mut self, error: ProtocolError) -> ProtocolError {
        self.error = Some(error.clone());
        error
    }
}
