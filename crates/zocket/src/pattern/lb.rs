//! Load balancing: round-robin over the pipes that have room (libzmq `lb`).

use std::sync::Arc;

use zocket_proto::Message;

use super::SendError;
use crate::pipe::{Payload, Pipe, PipeId};

/// Round-robin over attached pipes, skipping those at their HWM.
#[derive(Debug, Default)]
pub(crate) struct LoadBalancer {
    pipes: Vec<Arc<Pipe>>,
    next: usize,
}

impl LoadBalancer {
    pub(crate) fn add(&mut self, pipe: &Arc<Pipe>) {
        if !self.pipes.iter().any(|p| p.id() == pipe.id()) {
            self.pipes.push(pipe.clone());
        }
    }

    pub(crate) fn remove(&mut self, id: PipeId) {
        if let Some(i) = self.pipes.iter().position(|p| p.id() == id) {
            self.pipes.remove(i);
            if self.next > i {
                self.next -= 1;
            }
            if self.next >= self.pipes.len() {
                self.next = 0;
            }
        }
    }

    /// The attached pipe with this id, if any.
    /// The only pipe, if there is exactly one.
    pub(crate) fn sole(&self) -> Option<&Arc<Pipe>> {
        match self.pipes.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    pub(crate) fn get(&self, id: PipeId) -> Option<&Arc<Pipe>> {
        self.pipes.iter().find(|p| p.id() == id)
    }

    /// Queues `msg` on the next pipe with room; returns that pipe's id, or gives the
    /// message back when every pipe is full (or there is none).
    pub(crate) fn send<P: Payload>(&mut self, mut msg: P) -> Result<PipeId, P> {
        let n = self.pipes.len();
        // `next < n` whenever there are pipes (kept so by `remove`); the index
        // wraps by comparison, not division, on this per-message path.
        let mut i = self.next;
        for _ in 0..n {
            match self.pipes[i].try_push_payload(msg) {
                Ok(()) => {
                    self.next = if i + 1 == n { 0 } else { i + 1 };
                    return Ok(self.pipes[i].id());
                }
                Err(back) => msg = back,
            }
            i = if i + 1 == n { 0 } else { i + 1 };
        }
        Err(msg)
    }

    /// Queues a whole message on the next pipe with room, or hands it back to wait
    /// for room ([`SendError::WouldBlock`]).
    pub(crate) fn send_message(&mut self, msg: Message) -> Result<PipeId, SendError> {
        self.send(msg).map_err(SendError::WouldBlock)
    }

    /// Queues a copy of `data` as a one-frame message on the next pipe with room,
    /// or says to wait for room ([`SendError::WouldBlock`], with an empty message:
    /// the caller still holds the bytes).
    pub(crate) fn send_slice(&mut self, data: &[u8]) -> Result<PipeId, SendError> {
        self.send(data)
            .map_err(|_| SendError::WouldBlock(Message::new()))
    }
}
