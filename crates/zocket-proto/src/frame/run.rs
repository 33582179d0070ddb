//! Whole messages kept in their wire form until they are consumed.

use bytes::{Buf, Bytes};

use super::decode::{read_header, scan_messages};
use super::{FLAG_LONG, FLAG_MORE};
use crate::message::Message;

/// Bodies of at most this many bytes are copied out of the run instead of
/// sharing it: a slice takes and drops the run's reference count (two atomic
/// read-modify-writes, each waiting for the consumer's pending stores), where a
/// small copy costs the consuming thread's own allocator a fast-path allocation
/// and free. A small message the application keeps also no longer holds a whole
/// read's buffer. (libzmq keeps messages of up to 33 bytes inside the message
/// for the same reasons.) Measured on a 2-vCPU Intel Xeon, 2M x 16 B queued in
/// a PULL and then received alone: 74-82 ns per receive sharing, 66-72 copying.
pub const RUN_COPY_MAX: usize = 32;

/// Whole data messages that arrived back to back, kept as the bytes they arrived
/// in (frame headers included) and decoded one at a time by
/// [`pop_front`](Self::pop_front) (or by iterating).
///
/// A receiver hands a run from the thread that reads the connection to the thread
/// that consumes the messages: the reading thread only checks the frames' headers,
/// and each body becomes a slice of the run on the consuming thread (or, up to
/// [`RUN_COPY_MAX`] bytes, a copy). The reference count that the slices share is
/// then touched by one core, not bounced between the reader's and the
/// consumer's caches for every message.
///
/// Runs are made by a [`Session`](crate::Session) (see
/// [`Delivery`](crate::session::Delivery)) from frames that passed its limits.
///
/// ```
/// use std::collections::VecDeque;
/// use std::time::Instant;
/// use zocket_proto::session::Delivery;
/// use zocket_proto::{Message, Session, SessionConfig, SocketType};
///
/// let now = Instant::now();
/// let mut push = Session::new(SessionConfig::new(SocketType::Push), now)?;
/// let mut pull = Session::new(SessionConfig::new(SocketType::Pull), now)?;
/// # fn pump(a: &mut Session, b: &mut Session, now: Instant) -> Result<(), zocket_proto::Error> {
/// #     loop {
/// #         let mut moved = false;
/// #         while let Some(c) = a.poll_transmit() { b.handle_input(&c, now)?; moved = true; }
/// #         while let Some(c) = b.poll_transmit() { a.handle_input(&c, now)?; moved = true; }
/// #         if !moved { return Ok(()); }
/// #     }
/// # }
/// # pump(&mut push, &mut pull, now)?;
/// # while pull.poll_event().is_some() {}
/// push.send_message(&Message::from("one"))?;
/// push.send_message(&Message::from_frames(vec!["two".into(), "parts".into()]))?;
/// pump(&mut push, &mut pull, now)?;
/// let mut delivered = VecDeque::new();
/// pull.take_deliveries(&mut delivered);
/// let Some(Delivery::Run(mut run)) = delivered.pop_front() else { panic!() };
/// assert_eq!((run.len(), run.payload_len()), (2, 11));
/// assert_eq!(run.pop_front(), Some(Message::from("one")));
/// assert_eq!(run.next().unwrap().len(), 2);
/// assert!(run.is_empty());
/// # Ok::<(), zocket_proto::Error>(())
/// ```
#[derive(Clone, Default)]
pub struct WireRun {
    /// Frames of whole messages, each with its header, nothing else.
    wire: Bytes,
    /// Messages left in `wire`.
    messages: usize,
    /// Body bytes (all frames) of the messages left.
    payload: usize,
}

impl WireRun {
    /// A run of `messages` whole messages holding `payload` body bytes, checked
    /// frame by frame by the decoder that split `wire` off its buffer.
    pub(crate) fn new(wire: Bytes, messages: usize, payload: usize) -> Self {
        WireRun {
            wire,
            messages,
            payload,
        }
    }

    /// A run of the messages in `wire`: ZMTP data frames back to back, as
    /// [`encode_message`](crate::frame::encode_message) writes them, ending with
    /// a message's last frame. `None` if `wire` holds anything else (a command,
    /// a frame cut short, a message left unfinished). Only the headers are read.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use zocket_proto::{Message, WireRun};
    /// use zocket_proto::frame::encode_message;
    /// let mut wire = BytesMut::new();
    /// encode_message(&Message::from("hi"), &mut wire);
    /// encode_message(&Message::from_frames(vec!["a".into(), "b".into()]), &mut wire);
    /// let mut run = WireRun::from_frames(wire.freeze()).unwrap();
    /// assert_eq!((run.len(), run.payload_len()), (2, 4));
    /// assert_eq!(run.next(), Some(Message::from("hi")));
    /// assert!(WireRun::from_frames(bytes::Bytes::from_static(b"\x01\x01a")).is_none());
    /// ```
    pub fn from_frames(wire: Bytes) -> Option<WireRun> {
        let (end, messages, payload) =
            scan_messages(&wire, u64::MAX, usize::MAX, usize::MAX, usize::MAX);
        (end == wire.len()).then(|| WireRun::new(wire, messages, payload))
    }

    /// How many messages are left.
    #[inline]
    pub fn len(&self) -> usize {
        self.messages
    }

    /// Whether every message was taken.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.messages == 0
    }

    /// The body bytes (all frames, no headers) of the messages left, as
    /// [`Message::byte_len`] counts them.
    #[inline]
    pub fn payload_len(&self) -> usize {
        self.payload
    }

    /// Takes the next message; its frames are slices of the run.
    #[inline]
    pub fn pop_front(&mut self) -> Option<Message> {
        if self.messages == 0 {
            return None;
        }
        let (more, body) = self.next_frame()?;
        let message = if more {
            self.rest_of_message(body)?
        } else {
            Message::single(body)
        };
        self.messages -= 1;
        self.payload = self.payload.saturating_sub(message.byte_len());
        Some(message)
    }

    /// Takes the next message as its first frame and the frames after it
    /// (`None` for a message of one frame). For a receiver that strips an
    /// envelope (a REQ's reply, `[delimiter][body]`): the body of two frames
    /// comes out as a message of one frame, with no frame vector made for the
    /// whole message and dropped once the envelope is off.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use zocket_proto::{Message, WireRun};
    /// use zocket_proto::frame::encode_message;
    /// let mut wire = BytesMut::new();
    /// encode_message(&Message::from_frames(vec!["".into(), "reply".into()]), &mut wire);
    /// encode_message(&Message::from("alone"), &mut wire);
    /// let mut run = WireRun::from_frames(wire.freeze()).unwrap();
    /// let (first, rest) = run.pop_front_split().unwrap();
    /// assert!(first.is_empty());
    /// assert_eq!(rest, Some(Message::from("reply")));
    /// assert_eq!(run.pop_front_split(), Some(("alone".into(), None)));
    /// assert_eq!((run.len(), run.payload_len()), (0, 0));
    /// ```
    pub fn pop_front_split(&mut self) -> Option<(Bytes, Option<Message>)> {
        if self.messages == 0 {
            return None;
        }
        let (more, first) = self.next_frame()?;
        let rest = if more {
            let (more, second) = self.next_frame()?;
            Some(if more {
                self.rest_of_message(second)?
            } else {
                Message::single(second)
            })
        } else {
            None
        };
        self.messages -= 1;
        let len = first.len() + rest.as_ref().map_or(0, Message::byte_len);
        self.payload = self.payload.saturating_sub(len);
        Some((first, rest))
    }

    /// The frames after `first` of a multipart message, up to its last.
    #[cold]
    fn rest_of_message(&mut self, first: Bytes) -> Option<Message> {
        // Room for an envelope and a body or two without growing (a REQ's reply,
        // a ROUTER's message).
        let mut frames = Vec::with_capacity(4);
        frames.push(first);
        loop {
            let (more, body) = self.next_frame()?;
            frames.push(body);
            if !more {
                return Some(Message::from_frames(frames));
            }
        }
    }

    /// The next frame's MORE flag and body. The run was checked whole when it was
    /// made, so this never fails; were the bytes ever inconsistent, the run would
    /// end here rather than panic.
    #[inline]
    fn next_frame(&mut self) -> Option<(bool, Bytes)> {
        let parsed = read_header(&self.wire)
            .ok()
            .and_then(|(flags, size, header)| {
                let end = usize::try_from(size).ok()?.checked_add(header)?;
                (end <= self.wire.len()).then_some((flags, header, end))
            });
        let Some((flags, header, end)) = parsed else {
            debug_assert!(false, "a wire run holds whole frames only");
            *self = WireRun::default();
            return None;
        };
        debug_assert_eq!(flags & !(FLAG_MORE | FLAG_LONG), 0, "data frames only");
        let body = if end == header {
            // An empty frame (an envelope's delimiter) shares nothing with the
            // run: no reference count to take and drop.
            self.wire.advance(end);
            Bytes::new()
        } else if end - header <= RUN_COPY_MAX {
            let body = Bytes::copy_from_slice(&self.wire[header..end]);
            self.wire.advance(end);
            body
        } else {
            let mut body = self.wire.split_to(end);
            body.advance(header);
            body
        };
        Some((flags & FLAG_MORE != 0, body))
    }
}

impl Iterator for WireRun {
    type Item = Message;

    #[inline]
    fn next(&mut self) -> Option<Message> {
        self.pop_front()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.messages, Some(self.messages))
    }
}

impl std::fmt::Debug for WireRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireRun")
            .field("messages", &self.messages)
            .field("payload", &self.payload)
            .finish()
    }
}
