//! Multipart messages: one or more frames delivered atomically.

use bytes::Bytes;

/// A ZeroMQ message: one or more frames, sent and delivered as a whole.
///
/// A single-frame message holds its one frame without any extra allocation; frames
/// are [`Bytes`], so cloning a message or handing its body to a socket never copies
/// the payload.
///
/// ```
/// use zocket_proto::Message;
/// let mut m = Message::from("hello");
/// m.push_back("world");
/// assert_eq!(m.len(), 2);
/// assert_eq!(&m[1][..], b"world");
/// ```
#[derive(Clone)]
pub struct Message {
    repr: Repr,
}

#[derive(Clone)]
enum Repr {
    Single(Bytes),
    Multi(Vec<Bytes>),
}

impl Message {
    /// A message of one frame.
    #[inline]
    pub fn single(frame: impl Into<Bytes>) -> Self {
        Message {
            repr: Repr::Single(frame.into()),
        }
    }

    /// A message made of the given frames. An empty vector gives an empty message,
    /// which cannot be sent until a frame is pushed.
    pub fn from_frames(frames: Vec<Bytes>) -> Self {
        Message {
            repr: Repr::Multi(frames),
        }
    }

    /// A message with no frame yet.
    pub fn new() -> Self {
        Message {
            repr: Repr::Multi(Vec::new()),
        }
    }

    /// The number of frames.
    #[inline]
    pub fn len(&self) -> usize {
        match &self.repr {
            Repr::Single(_) => 1,
            Repr::Multi(v) => v.len(),
        }
    }

    /// Whether the message has no frame.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The frames, in order.
    #[inline]
    pub fn frames(&self) -> &[Bytes] {
        match &self.repr {
            Repr::Single(b) => std::slice::from_ref(b),
            Repr::Multi(v) => v,
        }
    }

    /// The frame at `index`, if any.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&Bytes> {
        self.frames().get(index)
    }

    /// The first frame, if any.
    #[inline]
    pub fn first(&self) -> Option<&Bytes> {
        self.frames().first()
    }

    /// The last frame, if any.
    #[inline]
    pub fn last(&self) -> Option<&Bytes> {
        self.frames().last()
    }

    /// Total payload bytes over all frames.
    #[inline]
    pub fn byte_len(&self) -> usize {
        match &self.repr {
            Repr::Single(b) => b.len(),
            Repr::Multi(v) => v.iter().map(Bytes::len).sum(),
        }
    }

    /// Appends a frame at the end.
    pub fn push_back(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        match &mut self.repr {
            Repr::Multi(v) if v.is_empty() => self.repr = Repr::Single(frame),
            Repr::Multi(v) => v.push(frame),
            // Two frames in one allocation (not a vector of one, then grown).
            Repr::Single(b) => {
                let first = std::mem::take(b);
                self.repr = Repr::Multi(vec![first, frame]);
            }
        }
    }

    /// Inserts a frame at the front (an envelope or routing id).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) {
        let frame = frame.into();
        match &mut self.repr {
            Repr::Multi(v) if v.is_empty() => self.repr = Repr::Single(frame),
            Repr::Multi(v) => v.insert(0, frame),
            // A ROUTER's `[routing id][body]`: one allocation of two frames (a
            // vector of one grown by the insert cost a `malloc` and a `realloc`
            // per message received).
            Repr::Single(b) => {
                let body = std::mem::take(b);
                self.repr = Repr::Multi(vec![frame, body]);
            }
        }
    }

    /// Removes and returns the first frame.
    pub fn pop_front(&mut self) -> Option<Bytes> {
        match &mut self.repr {
            Repr::Single(b) => {
                let b = std::mem::take(b);
                self.repr = Repr::Multi(Vec::new());
                Some(b)
            }
            Repr::Multi(v) if v.is_empty() => None,
            Repr::Multi(v) => Some(v.remove(0)),
        }
    }

    /// Removes and returns the last frame.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        match &mut self.repr {
            Repr::Single(_) => self.pop_front(),
            Repr::Multi(v) => v.pop(),
        }
    }

    /// Consumes the message, giving its frames.
    pub fn into_frames(self) -> Vec<Bytes> {
        match self.repr {
            Repr::Single(b) => vec![b],
            Repr::Multi(v) => v,
        }
    }

    /// Iterates over the frames.
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.frames().iter()
    }
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.frames() == other.frames()
    }
}

impl Eq for Message {}

impl std::hash::Hash for Message {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.frames().hash(state);
    }
}

impl Default for Message {
    fn default() -> Self {
        Message::new()
    }
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.frames()).finish()
    }
}

impl std::ops::Index<usize> for Message {
    type Output = Bytes;
    fn index(&self, index: usize) -> &Bytes {
        &self.frames()[index]
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = IntoFrames;

    /// Consumes the message, giving its frames in order (without allocating, unlike
    /// [`Message::into_frames`] for a single-frame message).
    fn into_iter(self) -> IntoFrames {
        IntoFrames(match self.repr {
            Repr::Single(b) => FramesRepr::Single(Some(b)),
            Repr::Multi(v) => FramesRepr::Multi(v.into_iter()),
        })
    }
}

/// The frames of a consumed [`Message`], in order.
///
/// ```
/// use zocket_proto::Message;
/// let mut m = Message::from("a");
/// m.push_back("b");
/// let frames: Vec<_> = m.into_iter().collect();
/// assert_eq!(frames, ["a", "b"]);
/// ```
#[derive(Debug)]
pub struct IntoFrames(FramesRepr);

#[derive(Debug)]
enum FramesRepr {
    Single(Option<Bytes>),
    Multi(std::vec::IntoIter<Bytes>),
}

impl Iterator for IntoFrames {
    type Item = Bytes;

    fn next(&mut self) -> Option<Bytes> {
        match &mut self.0 {
            FramesRepr::Single(b) => b.take(),
            FramesRepr::Multi(it) => it.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match &self.0 {
            FramesRepr::Single(b) => usize::from(b.is_some()),
            FramesRepr::Multi(it) => it.len(),
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for IntoFrames {}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Self {
        Message::single(b)
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Self {
        Message::single(v)
    }
}

impl From<&'static str> for Message {
    fn from(s: &'static str) -> Self {
        Message::single(Bytes::from_static(s.as_bytes()))
    }
}

impl From<&'static [u8]> for Message {
    fn from(s: &'static [u8]) -> Self {
        Message::single(Bytes::from_static(s))
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        Message::single(s)
    }
}

impl From<Vec<Bytes>> for Message {
    fn from(v: Vec<Bytes>) -> Self {
        Message::from_frames(v)
    }
}

impl FromIterator<Bytes> for Message {
    /// Collects frames; one frame makes a single-frame message (no vector).
    fn from_iter<I: IntoIterator<Item = Bytes>>(iter: I) -> Self {
        let mut it = iter.into_iter();
        let Some(first) = it.next() else {
            return Message::new();
        };
        let Some(second) = it.next() else {
            return Message::single(first);
        };
        let mut frames = Vec::with_capacity(it.size_hint().0.saturating_add(2));
        frames.push(first);
        frames.push(second);
        frames.extend(it);
        Message::from_frames(frames)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_grows_into_multi_and_back() {
        let mut m = Message::new();
        assert!(m.is_empty());
        m.push_back("b");
        assert_eq!(m.len(), 1);
        m.push_front("a");
        m.push_back("c");
        assert_eq!(
            m.frames(),
            &[Bytes::from("a"), Bytes::from("b"), Bytes::from("c")]
        );
        assert_eq!(m.byte_len(), 3);
        assert_eq!(m.pop_front().as_deref(), Some(&b"a"[..]));
        assert_eq!(m.pop_back().as_deref(), Some(&b"c"[..]));
        assert_eq!(m.pop_back().as_deref(), Some(&b"b"[..]));
        assert_eq!(m.pop_back(), None);
        let single = Message::single("x");
        assert_eq!(single, Message::from_frames(vec![Bytes::from("x")]));
        assert_eq!(single.clone().into_frames(), vec![Bytes::from("x")]);
        let mut s = single;
        assert_eq!(s.pop_back().as_deref(), Some(&b"x"[..]));
        assert!(s.is_empty());
    }

    #[test]
    fn a_second_frame_on_a_single_frame_message_takes_one_allocation_of_two() {
        let mut routed = Message::single("body");
        routed.push_front("id");
        let mut appended = Message::single("a");
        appended.push_back("b");
        for (m, want) in [(&routed, ["id", "body"]), (&appended, ["a", "b"])] {
            assert_eq!(m.frames(), want.map(Bytes::from));
            match &m.repr {
                Repr::Multi(v) => assert_eq!(v.capacity(), 2),
                Repr::Single(_) => panic!("two frames held as one"),
            }
        }
    }

    #[test]
    fn collecting_one_frame_makes_a_single_frame_message() {
        let one: Message = std::iter::once(Bytes::from("a")).collect();
        assert!(matches!(one.repr, Repr::Single(_)));
        let none: Message = std::iter::empty().collect();
        assert!(none.is_empty());
        let three: Message = ["a", "b", "c"].into_iter().map(Bytes::from).collect();
        assert_eq!(three.len(), 3);
        let back: Vec<Bytes> = three.clone().into_iter().collect();
        assert_eq!(back, three.frames());
        let mut it = Message::from("x").into_iter();
        assert_eq!(it.len(), 1);
        assert_eq!(it.next().as_deref(), Some(&b"x"[..]));
        assert_eq!((it.len(), it.next()), (0, None));
    }
}
