//! Exclusive pair: one peer at a time (RFC 31).

use std::sync::Arc;

use zocket_proto::{Message, PeerInfo};

use super::{Pattern, SendError};
use crate::options::Options;
use crate::pipe::{Pipe, PipeId};

/// PAIR: talks to exactly one peer; later connections are refused while one exists.
#[derive(Debug, Default)]
pub(crate) struct Pair {
    peer: Option<Arc<Pipe>>,
}

impl Pattern for Pair {
    fn plain_recv(&self) -> bool {
        true
    }

    fn attach(&mut self, pipe: &Arc<Pipe>) {
        if self.peer.is_none() {
            self.peer = Some(pipe.clone());
        }
    }

    fn ready(&mut self, pipe: &Arc<Pipe>, _peer: &PeerInfo) -> Result<(), String> {
        match &self.peer {
            Some(p) if p.id() != pipe.id() => Err("PAIR already has a peer".into()),
            Some(_) => Ok(()),
            None => {
                self.peer = Some(pipe.clone());
                Ok(())
            }
        }
    }

    fn detach(&mut self, id: PipeId) {
        if self.peer.as_ref().is_some_and(|p| p.id() == id) {
            self.peer = None;
        }
    }

    fn sole_pipe(&self) -> Option<&Arc<Pipe>> {
        self.peer.as_ref()
    }

    fn send(&mut self, msg: Message, _options: &Options) -> Result<(), SendError> {
        let Some(pipe) = &self.peer else {
            return Err(SendError::WouldBlock(msg));
        };
        pipe.try_push(msg).map_err(SendError::WouldBlock)
    }

    fn send_slice(&mut self, data: &[u8], _options: &Options) -> Result<(), SendError> {
        match &self.peer {
            Some(pipe) if pipe.try_push_payload(data).is_ok() => Ok(()),
            _ => Err(SendError::WouldBlock(Message::new())),
        }
    }
}
