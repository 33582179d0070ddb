//! REP: the synchronous replier, strictly alternating receive and send (RFC 28).

use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::Message;

use super::envelope::{join, split_envelope};
use super::{Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Pipe, PipeId, PipeMap};

/// The request a REP socket owes a reply to.
#[derive(Debug)]
struct Owed {
    /// Where the request came from.
    pipe: PipeId,
    /// That pipe's connection went away: the reply has nowhere to go.
    pipe_gone: bool,
    /// The request's routing frames and delimiter, put back in front of the reply.
    envelope: Vec<Bytes>,
}

/// REP: receives requests fair-queued from all peers, keeping each one's envelope
/// to send the reply back the way the request came.
#[derive(Debug, Default)]
pub(crate) struct Rep {
    pipes: PipeMap<Arc<Pipe>>,
    owed: Option<Owed>,
}

impl Pattern for Rep {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.pipes.insert(pipe.id(), pipe.clone());
    }

    fn disconnected(&mut self, id: PipeId) {
        if let Some(o) = self.owed.as_mut().filter(|o| o.pipe == id) {
            o.pipe_gone = true;
        }
    }

    fn detach(&mut self, id: PipeId) {
        self.pipes.remove(&id);
    }

    fn send(&mut self, msg: Message, _options: &Options) -> Result<(), SendError> {
        let Some(owed) = self.owed.take() else {
            return Err(SendError::Refused(Error::Fsm {
                operation: "send",
                state: "no request is waiting for a reply",
            }));
        };
        if let Some(pipe) = self.pipes.get(&owed.pipe).filter(|_| !owed.pipe_gone) {
            // A requester that is gone or not reading loses its reply, as in libzmq.
            let _ = pipe.try_push(join(owed.envelope, msg));
        }
        Ok(())
    }

    fn recv(&mut self, pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        // A request without an envelope is dropped.
        Ok(split_envelope(msg).map(|(envelope, body)| {
            self.owed = Some(Owed {
                pipe,
                pipe_gone: false,
                envelope,
            });
            body
        }))
    }

    fn check_recv(&self) -> Result<(), Error> {
        match self.owed {
            None => Ok(()),
            Some(_) => Err(Error::Fsm {
                operation: "receive",
                state: "a reply is owed",
            }),
        }
    }
}
