//! Bytes waiting to be written to the transport, in order.
//!
//! Headers and small bodies are copied into one growing buffer so that many frames
//! leave in one write; large bodies are queued as their own [`Bytes`] so that they
//! are never copied.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};

/// Bodies at least this large are queued by reference instead of copied.
pub const ZERO_COPY_THRESHOLD: usize = 8192;

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    queue: VecDeque<Bytes>,
    pending: BytesMut,
    queued_bytes: usize,
}

impl Outbox {
    /// The buffer to append small data to.
    pub(crate) fn buf(&mut self) -> &mut BytesMut {
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
