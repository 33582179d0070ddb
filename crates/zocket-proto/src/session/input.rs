//! The receive buffer: one regular buffer for a stream of frames, and a buffer of
//! its own for the body of each large data frame.
//!
//! Small frames are split off the regular buffer and share its allocation with
//! their neighbours, which is what makes them cheap. A large body split off a
//! buffer that doubled to hold it would pin up to twice its size (and the start of
//! the next message) for as long as the application keeps it; received into a
//! buffer of its own it holds exactly its own bytes.
//!
//! The buffer of the last large body is kept, empty, when the body has been
//! taken: once the application lets that body go, the next large body is
//! received into the same memory instead of memory fresh from the allocator,
//! whose every page the kernel must fault in and zero again (PUSH→PULL of 1 MiB
//! messages on a current-thread runtime spent a third of the receiving process
//! in page faults; glibc gave each freed body back to the kernel). It is reused
//! only if at most twice the size the next body needs, so a body never pins
//! more than twice its own bytes.

use bytes::BytesMut;

/// Data frames whose body is at least this long (256 KiB) are received in a
/// buffer of their own, sized to the body (or the last large body's, reused,
/// if at most twice that); the start of the body already in the regular buffer
/// (at most one read) is copied over.
pub const LARGE_BODY: usize = 256 * 1024;

/// How far a large body's buffer may run ahead of the bytes actually received
/// (1 MiB): a peer declaring a huge frame makes the session allocate at most this
/// much beyond what it sent. Bodies up to this size get their whole buffer at once;
/// longer ones grow with what arrives, at least doubling each time.
pub const BODY_READ_AHEAD: usize = 1024 * 1024;

/// The session's input: where reads go, and the regular buffer while a large body
/// is received.
#[derive(Debug, Default)]
pub(super) struct Input {
    /// Where reads go and the decoder takes frames from.
    pub(super) buf: BytesMut,
    /// The regular buffer, set aside while `buf` holds a large body.
    regular: Option<BytesMut>,
    /// The large body's length (valid while `regular` is set).
    body_len: usize,
    /// The last large body's buffer, empty, sharing that body's memory: the
    /// next large body reuses it if the application no longer holds the body.
    spare: BytesMut,
}

impl Input {
    /// A data frame's body of `len` bytes is awaited and `buf` holds only its
    /// start: if the body is large, it gets a buffer of its own.
    pub(super) fn start_body(&mut self, len: usize) {
        if self.regular.is_some() || len < LARGE_BODY {
            return;
        }
        let want = len.min(self.buf.len() + BODY_READ_AHEAD);
        let mut spare = std::mem::take(&mut self.spare);
        // Reused only if no bigger than twice what is needed: the body holds its
        // buffer's whole memory for as long as the application keeps it.
        let body = if spare.try_reclaim(want) && spare.capacity() <= want.saturating_mul(2) {
            spare.extend_from_slice(&self.buf);
            spare
        } else {
            moved(&self.buf, want)
        };
        self.buf.clear();
        self.regular = Some(std::mem::replace(&mut self.buf, body));
        self.body_len = len;
    }

    /// A frame was taken off `buf`: after a large body, reads go to the regular
    /// buffer again (with whatever followed the body, if input was handed in
    /// beyond it).
    pub(super) fn end_body(&mut self) {
        if let Some(mut regular) = self.regular.take() {
            regular.extend_from_slice(&self.buf);
            let mut spare = std::mem::replace(&mut self.buf, regular);
            spare.clear();
            self.spare = spare;
        }
    }

    /// Makes room for the next read. The regular buffer keeps at least a quarter
    /// of `chunk` free, growing by the data it holds (doubling) and never by a
    /// declared size; a large body's buffer grows toward the body's end when full,
    /// by at least what it holds and at most [`BODY_READ_AHEAD`].
    pub(super) fn reserve(&mut self, chunk: usize) {
        let buf = &mut self.buf;
        if self.regular.is_some() {
            if buf.len() == buf.capacity() && buf.len() < self.body_len {
                let len = buf.len();
                let cap = self
                    .body_len
                    .min(len.saturating_mul(2).max(len + BODY_READ_AHEAD));
                *buf = moved(buf, cap);
            }
        } else if buf.capacity() - buf.len() < chunk / 4 {
            buf.reserve(chunk.max(buf.len()));
        }
    }
}

/// A copy of `data` in a new buffer of exactly `capacity` bytes (at least its length).
fn moved(data: &[u8], capacity: usize) -> BytesMut {
    let mut buf = BytesMut::with_capacity(capacity);
    buf.extend_from_slice(data);
    buf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_body_gets_a_buffer_of_its_own_sized_to_it() {
        let mut input = Input::default();
        input.reserve(64 * 1024);
        let regular_cap = input.buf.capacity();
        input.buf.extend_from_slice(&[7; 1000]);
        input.start_body(LARGE_BODY);
        assert_eq!(input.buf.capacity(), LARGE_BODY);
        assert_eq!(&input.buf[..], &[7; 1000][..]);
        input.buf.resize(LARGE_BODY, 8);
        let body = input.buf.split_to(LARGE_BODY).freeze();
        input.end_body();
        assert_eq!(body.len(), LARGE_BODY);
        assert!(input.buf.is_empty());
        assert_eq!(
            input.buf.capacity(),
            regular_cap,
            "the regular buffer is back"
        );
    }

    /// Receives a large body of `len` bytes whole and returns it.
    fn receive_body(input: &mut Input, len: usize, fill: u8) -> bytes::Bytes {
        input.start_body(len);
        input.buf.resize(len, fill);
        let body = input.buf.split_to(len).freeze();
        input.end_body();
        body
    }

    #[test]
    fn the_next_large_body_reuses_the_memory_of_one_let_go() {
        let mut input = Input::default();
        let first = receive_body(&mut input, LARGE_BODY, 1);
        let at = first.as_ptr();
        drop(first);
        let second = receive_body(&mut input, LARGE_BODY, 2);
        assert_eq!(second.as_ptr(), at, "the same memory");
        assert!(second.iter().all(|&b| b == 2));
    }

    #[test]
    fn a_large_body_still_held_is_never_written_over() {
        let mut input = Input::default();
        let first = receive_body(&mut input, LARGE_BODY, 1);
        let second = receive_body(&mut input, LARGE_BODY, 2);
        assert_ne!(second.as_ptr(), first.as_ptr());
        assert!(first.iter().all(|&b| b == 1));
        assert!(second.iter().all(|&b| b == 2));
    }

    #[test]
    fn a_spare_much_larger_than_the_body_is_not_reused() {
        let mut input = Input::default();
        let big = receive_body(&mut input, 4 * LARGE_BODY, 1);
        let at = big.as_ptr();
        drop(big);
        let small = receive_body(&mut input, LARGE_BODY, 2);
        // A buffer of its own, sized to it: it does not pin four times its size.
        assert_ne!(small.as_ptr(), at);
        assert_eq!(small.len(), LARGE_BODY);
    }

    #[test]
    fn a_huge_declared_body_allocates_no_more_than_the_read_ahead() {
        let mut input = Input::default();
        input.buf.extend_from_slice(b"xy");
        input.start_body(1 << 40);
        assert_eq!(input.buf.capacity(), 2 + BODY_READ_AHEAD);
        input.reserve(64 * 1024);
        assert_eq!(
            input.buf.capacity(),
            2 + BODY_READ_AHEAD,
            "room left: no growth"
        );
        input.buf.resize(input.buf.capacity(), 0);
        input.reserve(64 * 1024);
        assert_eq!(input.buf.capacity(), 2 * (2 + BODY_READ_AHEAD));
        assert_eq!(&input.buf[..2], b"xy");
    }

    #[test]
    fn small_bodies_stay_in_the_regular_buffer() {
        let mut input = Input::default();
        input.buf.extend_from_slice(b"abc");
        input.start_body(LARGE_BODY - 1);
        assert!(input.regular.is_none());
        assert_eq!(&input.buf[..], b"abc");
    }

    #[test]
    fn input_beyond_a_large_body_goes_back_to_the_regular_buffer() {
        let mut input = Input::default();
        input.start_body(LARGE_BODY);
        input.buf.resize(LARGE_BODY + 3, 1);
        let _body = input.buf.split_to(LARGE_BODY);
        input.end_body();
        assert_eq!(&input.buf[..], &[1, 1, 1]);
    }
}
