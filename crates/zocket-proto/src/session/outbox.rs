//! Bytes waiting to be written to the transport, in order.
//!
//! Headers and small bodies are copied into one growing buffer so that many frames
//! leave in one write; large bodies are queued as their own [`Bytes`] so that they
//! are never copied.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// Bodies at least this large are queued by reference instead of copied.
///
/// Measured (PUSH→PULL over loopback, 4 KiB bodies, alternating runs): copying
/// them cost the engine ~5 % of the sending process in `memmove`; by
/// reference, with up to 128 slices per vectored write, 592k → 662k msg/s.
pub const ZERO_COPY_THRESHOLD: usize = 2048;

/// Runs of messages the sender already encoded (see
/// [`Session::send_encoded`](super::Session::send_encoded)) at least this large
/// are queued by reference instead of copied. Higher than
/// [`ZERO_COPY_THRESHOLD`]: a run's buffer copied into the write buffer goes
/// back to its sender at once for the next run, while one queued by reference
/// is held until written.
pub const ENCODED_COPY_THRESHOLD: usize = 8192;

/// Size of each buffer data is copied into (64 KiB). A full one is sealed and a
/// new one started, rather than grown: a growing buffer doubles, and while a slow
/// peer holds its written chunks, each doubling allocates anew (1 MiB per
/// connection for a 256 KiB write batch).
const CHUNK: usize = 64 * 1024;

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Bytes>,
    pending: BytesMut,
    queued_bytes: usize,
}

impl Outbox {
    /// The buffer to append small data to (control commands: it may grow).
    pub(crate) fn buf(&mut self) -> &mut BytesMut {
        &mut self.pending
    }

    /// The buffer to append `n` bytes of data to, with room for them: the current
    /// one if they fit, else a new one of [`CHUNK`] bytes (or `n`).
    pub(crate) fn buf_for(&mut self, n: usize) -> &mut BytesMut {
        if self.pending.capacity() - self.pending.len() < n {
            self.seal();
            // Reuses the storage in place if every chunk cut from it was written.
            self.pending.reserve(n.max(CHUNK));
        }
        &mut self.pending
    }

    /// Queues a large body after everything appended so far.
    pub(crate) fn push_shared(&mut self, body: Bytes) {
        self.seal();
        self.queued_bytes += body.len();
        self.queue.push_back(body);
    }

    fn seal(&mut self) {
        if !self.pending.is_empty() {
            let chunk = self.pending.split().freeze();
            self.queued_bytes += chunk.len();
            self.queue.push_back(chunk);
        }
    }

    /// The next chunk to write, oldest first.
    pub(crate) fn pop(&mut self) -> Option<Bytes> {
        if self.queue.is_empty() {
            self.seal();
        }
        let chunk = self.queue.pop_front()?;
        self.queued_bytes -= chunk.len();
        Some(chunk)
    }

    /// Bytes waiting in total.
    pub(crate) fn len(&self) -> usize {
        self.queued_bytes + self.pending.len()
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.pending.clear();
        self.queued_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copied_data_fills_fixed_chunks_instead_of_a_doubling_buffer() {
        let mut outbox = Outbox::default();
        let mut popped = Vec::new();
        for i in 0..1000u32 {
            let frame = [i as u8; 300];
            outbox.buf_for(frame.len()).extend_from_slice(&frame);
            assert!(outbox.pending.capacity() <= CHUNK, "grew at frame {i}");
            // A slow peer: written chunks are held for a while.
            if i % 400 == 399 {
                popped.extend(std::iter::from_fn(|| outbox.pop()));
            }
        }
        popped.extend(std::iter::from_fn(|| outbox.pop()));
        assert!(popped.iter().all(|c| c.len() <= CHUNK));
        let all: Vec<u8> = popped.concat();
        assert_eq!(all.len(), 300_000);
        assert!(
            all.chunks(300)
                .enumerate()
                .all(|(i, f)| f == [i as u8; 300])
        );
        assert_eq!(outbox.len(), 0);
    }
}
