//! Pipeline: PUSH load-balances, PULL fair-queues (RFC 30).

use std::sync::Arc;

use zocket_proto::{Message, SocketType};

use super::{LoadBalancer, Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Pipe, PipeId};

/// PUSH: round-robin to peers with room; blocks when none has room.
#[derive(Debug, Default)]
pub(crate) struct Push {
    lb: LoadBalancer,
}

impl Pattern for Push {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.lb.add(pipe);
    }

    fn detach(&mut self, id: PipeId) {
        self.lb.remove(id);
    }

    fn sole_pipe(&self) -> Option<&Arc<Pipe>> {
        self.lb.sole()
    }

    fn send(&mut self, msg: Message, _options: &Options) -> Result<(), SendError> {
        self.lb.send_message(msg).map(|_| ())
    }

    fn send_slice(&mut self, data: &[u8], _options: &Options) -> Result<(), SendError> {
        self.lb.send_slice(data).map(|_| ())
    }

    fn check_recv(&self) -> Result<(), Error> {
        Err(Error::NotSupported {
            operation: "recv",
            socket_type: SocketType::Push,
        })
    }
}

/// PULL: fair-queues messages from all peers; cannot send.
#[derive(Debug, Default)]
pub(crate) struct Pull;

impl Pattern for Pull {
    fn plain_recv(&self) -> bool {
        true
    }

    fn attach(&mut self, _pipe: &Arc<Pipe>) {}

    fn detach(&mut self, _id: PipeId) {}

    fn send(&mut self, _msg: Message, _options: &Options) -> Result<(), SendError> {
        Err(SendError::Refused(Error::NotSupported {
            operation: "send",
            socket_type: SocketType::Pull,
        }))
    }
}
