//! Helpers shared by the request-reply sockets: the empty delimiter frame that ends
//! an envelope, the `ZMQ_PROBE_ROUTER` probe, and random starting values for request
//! and routing ids.

use std::hash::{BuildHasher, Hasher};

use bytes::{Bytes, BytesMut};
use zocket_proto::{Message, frame};

use crate::pipe::{Outbound, Payload};

/// A REQ's request on its way to a pipe: the body behind its envelope (the
/// request id of `ZMQ_REQ_CORRELATE`, if any, and the delimiter), written in
/// front of it as the request is encoded. The frames become a message of their
/// own only on a pipe that queues messages as they are (large ones, or an
/// inproc peer): a request written by its sender, or encoded into the
/// connection's run, costs no frame vector (callgrind, 16 B round trips: 343
/// instructions fewer per request).
pub(super) struct Request {
    /// `ZMQ_REQ_CORRELATE`'s request id, sent before the delimiter.
    pub(super) id: Option<u32>,
    /// The application's message.
    pub(super) body: Message,
}

impl Payload for Request {
    const ENCODE_MAX: usize = <Message as Payload>::ENCODE_MAX;

    fn byte_len(&self) -> usize {
        self.body.byte_len() + self.id.map_or(0, |_| 4)
    }

    fn encode(&self, out: &mut BytesMut) {
        if let Some(id) = self.id {
            frame::encode_frame(true, false, &id.to_ne_bytes(), out);
        }
        // The delimiter announces the body (the socket sends no message
        // without a frame, but the encoding stays that of `into_message`).
        frame::encode_frame(!self.body.is_empty(), false, &[], out);
        frame::encode_message(&self.body, out);
    }

    fn into_message(self) -> Message {
        let mut frames = Vec::with_capacity(self.body.len() + 2);
        frames.extend(self.id.map(|id| Bytes::copy_from_slice(&id.to_ne_bytes())));
        frames.push(Bytes::new());
        frames.extend(self.body);
        Message::from_frames(frames)
    }
}

/// Splits `msg` after its first empty frame that is not the last frame.
///
/// Returns the envelope (routing frames and the delimiter) and the body, or `None`
/// when the message has no delimiter followed by a body. The last frame never counts
/// as a delimiter: a delimiter announces more frames (libzmq checks its MORE flag).
pub(super) fn split_envelope(msg: Message) -> Option<(Vec<Bytes>, Message)> {
    let mut frames = msg.into_frames();
    let last = frames.len().checked_sub(1)?;
    let delimiter = frames[..last].iter().position(Bytes::is_empty)?;
    let body = if delimiter + 1 == last {
        // The common single-frame body needs no vector of its own.
        Message::single(frames.pop()?)
    } else {
        Message::from_frames(frames.split_off(delimiter + 1))
    };
    Some((frames, body))
}

/// Puts `envelope` in front of `body` (in the envelope's vector, which has room
/// for the body frame it was split from).
pub(super) fn join(envelope: Vec<Bytes>, body: Message) -> Message {
    let mut frames = envelope;
    frames.extend(body);
    Message::from_frames(frames)
}

/// The traffic a new connection starts with: with `ZMQ_PROBE_ROUTER`, one empty
/// single-frame message so that a ROUTER peer learns our routing id at once.
pub(super) fn probe_traffic(probe_router: bool) -> Vec<Outbound> {
    if probe_router {
        vec![Outbound::Message(Message::single(Bytes::new()))]
    } else {
        Vec::new()
    }
}

/// A random `u32`, from the process's randomly keyed hasher (no RNG dependency).
pub(super) fn random_u32() -> u32 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0),
    );
    h.finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(frames: &[&'static str]) -> Message {
        frames
            .iter()
            .map(|f| Bytes::from_static(f.as_bytes()))
            .collect()
    }

    fn encoded(p: &impl Payload) -> BytesMut {
        let mut out = BytesMut::new();
        p.encode(&mut out);
        out
    }

    #[test]
    fn a_request_encodes_as_the_message_it_stands_for() {
        for id in [None, Some(0x0102_0304)] {
            for body in [msg(&["x"]), msg(&["a", "", "b"]), Message::new()] {
                let r = Request {
                    id,
                    body: body.clone(),
                };
                let whole = r.into_message();
                let r = Request { id, body };
                assert_eq!(r.byte_len(), whole.byte_len());
                assert_eq!(encoded(&r), encoded(&whole));
                assert_eq!(whole.len(), r.body.len() + 1 + usize::from(id.is_some()));
                assert!(whole[whole.len() - r.body.len() - 1].is_empty());
            }
        }
    }

    #[test]
    fn splits_at_the_first_delimiter() {
        let (env, body) = split_envelope(msg(&["a", "b", "", "x", "", "y"])).unwrap();
        assert_eq!(env, vec![Bytes::from("a"), Bytes::from("b"), Bytes::new()]);
        assert_eq!(body, msg(&["x", "", "y"]));
        assert_eq!(join(env, body), msg(&["a", "b", "", "x", "", "y"]));
    }

    #[test]
    fn a_single_frame_body_is_split_and_joined_in_place() {
        let (env, body) = split_envelope(msg(&["id", "", "x"])).unwrap();
        assert_eq!(env, vec![Bytes::from("id"), Bytes::new()]);
        assert_eq!(body, msg(&["x"]));
        assert!(env.capacity() >= 3, "the envelope keeps the message's room");
        let ptr = env.as_ptr();
        let joined = join(env, body);
        assert_eq!(joined, msg(&["id", "", "x"]));
        assert_eq!(joined.frames().as_ptr(), ptr, "no new vector for the reply");
    }

    #[test]
    fn a_trailing_empty_frame_is_not_a_delimiter() {
        assert!(split_envelope(msg(&["a", "b"])).is_none());
        assert!(split_envelope(msg(&["a", ""])).is_none());
        assert!(split_envelope(msg(&[""])).is_none());
        assert!(split_envelope(Message::new()).is_none());
        let (env, body) = split_envelope(msg(&["", ""])).unwrap();
        assert_eq!((env.len(), body), (1, msg(&[""])));
    }
}
