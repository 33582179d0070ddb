//! How much room a connection's next read is offered: more while reads fill
//! what they are given (data keeps waiting in the kernel), back to the least
//! when they come back small (requests and replies, an idle peer).
//!
//! Bigger reads mean fewer wake-ups of the receiving thread per byte. PUSH→PULL
//! on loopback, one-worker runtime, medians of alternating runs against 64 KiB
//! reads: 256 B 5.62M → 6.89M msg/s, 4 KiB 550k → 641k, 64 KiB 45k → 64k (with
//! up to 256 KiB). The most is 128 KiB, not 256: 256 KiB reads were faster
//! still at 256 B and 64 KiB (7.24M vs 5.97M, 67k vs 60k; 4 KiB even) but
//! raised the peak memory of each PUB→SUB subscriber by 300–600 KiB, past
//! libzmq's; fixed reads of 1 MiB were slower than 256 KiB (4 KiB 548k vs
//! 602k, 64 KiB 59k vs 68k): the buffer no longer stays in the cache between
//! the read and the decoding.

/// The least room offered to a read, and the first.
pub(crate) const MIN_READ: usize = 64 * 1024;
/// The most room offered to a read.
pub(crate) const MAX_READ: usize = 128 * 1024;

/// The room to offer a connection's next read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReadSize {
    next: usize,
}

impl Default for ReadSize {
    fn default() -> Self {
        ReadSize { next: MIN_READ }
    }
}

impl ReadSize {
    /// The room to make for the next read.
    pub(crate) fn next(self) -> usize {
        self.next
    }

    /// Accounts for a read that took `read` bytes into `offered` bytes of room:
    /// a full read doubles the next (up to [`MAX_READ`]), one below a quarter
    /// of it halves it (down to [`MIN_READ`]).
    pub(crate) fn record(&mut self, read: usize, offered: usize) {
        if offered > 0 && read >= offered {
            self.next = (self.next * 2).min(MAX_READ);
        } else if read < self.next / 4 {
            self.next = (self.next / 2).max(MIN_READ);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_reads_grow_the_next_up_to_the_most() {
        let mut s = ReadSize::default();
        assert_eq!(s.next(), MIN_READ);
        s.record(MIN_READ, MIN_READ);
        assert_eq!(s.next(), 2 * MIN_READ);
        for _ in 0..10 {
            let n = s.next();
            s.record(n, n);
        }
        assert_eq!(s.next(), MAX_READ);
    }

    #[test]
    fn a_full_read_of_more_room_than_asked_for_also_grows_it() {
        // The buffer may hold more spare room than was reserved.
        let mut s = ReadSize::default();
        s.record(3 * MIN_READ, 3 * MIN_READ);
        assert_eq!(s.next(), 2 * MIN_READ);
    }

    #[test]
    fn small_reads_shrink_it_back_to_the_least() {
        let mut s = ReadSize::default();
        for _ in 0..3 {
            let n = s.next();
            s.record(n, n);
        }
        assert_eq!(s.next(), MAX_READ);
        s.record(100, MAX_READ);
        assert_eq!(s.next(), MAX_READ / 2);
        for _ in 0..10 {
            s.record(100, s.next());
        }
        assert_eq!(s.next(), MIN_READ);
    }

    #[test]
    fn a_partial_read_above_a_quarter_keeps_it() {
        let mut s = ReadSize::default();
        s.record(MIN_READ, MIN_READ);
        let n = s.next();
        s.record(n / 2, n);
        assert_eq!(s.next(), n);
    }

    #[test]
    fn nothing_offered_is_no_reason_to_grow() {
        let mut s = ReadSize::default();
        s.record(0, 0);
        assert_eq!(s.next(), MIN_READ);
    }
}
