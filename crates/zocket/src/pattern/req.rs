//! REQ: the synchronous requester, strictly alternating send and receive (RFC 28).

use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::Message;

use super::envelope::{Request, probe_traffic, random_u32};
use super::{LoadBalancer, Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Outbound, Pipe, PipeId};

/// The request a REQ socket awaits the reply to.
#[derive(Debug)]
struct Pending {
    /// The pipe the request went out on; only its replies are accepted.
    pipe: PipeId,
    /// That pipe was detached or lost its connection: a reply from any pipe is taken.
    pipe_gone: bool,
    /// The request id sent before the delimiter (`ZMQ_REQ_CORRELATE`).
    request_id: Option<u32>,
}

/// REQ: each request gets an empty delimiter frame (after a request id with
/// `ZMQ_REQ_CORRELATE`) and goes round-robin to one peer; the next message received
/// must be that peer's reply.
#[derive(Debug)]
pub(crate) struct Req {
    lb: LoadBalancer,
    pending: Option<Pending>,
    /// The id of the next correlated request.
    next_request_id: u32,
    probe_router: bool,
    /// Pipes closed for a malformed reply: whatever else they queued is dropped.
    broken: Vec<PipeId>,
}

impl Default for Req {
    fn default() -> Self {
        Req {
            lb: LoadBalancer::default(),
            pending: None,
            next_request_id: random_u32(),
            probe_router: false,
            broken: Vec::new(),
        }
    }
}

impl Req {
    fn lose_pipe(&mut self, id: PipeId) {
        if let Some(p) = self.pending.as_mut().filter(|p| p.pipe == id) {
            p.pipe_gone = true;
        }
    }

    /// The body of a reply (given as its first frame and the rest) if it is the
    /// awaited one.
    fn accept(pending: &Pending, pipe: PipeId, first: Bytes, rest: Message) -> Option<Message> {
        if pipe != pending.pipe && !pending.pipe_gone {
            return None;
        }
        let body = match pending.request_id {
            None if first.is_empty() => rest,
            Some(id) if first[..] == id.to_ne_bytes()[..] => {
                let mut frames = rest.into_iter();
                if !frames.next()?.is_empty() {
                    return None;
                }
                frames.collect()
            }
            _ => return None,
        };
        (!body.is_empty()).then_some(body)
    }
}

/// Whether a reply, given as its first frame and the rest, has the shape a REQ
/// accepts on the wire: `[empty][body…]`, or `[4-byte request id][empty][body…]`.
fn well_formed(first: &Bytes, rest: Option<&Message>) -> bool {
    match rest.map(Message::frames) {
        Some([_, ..]) if first.is_empty() => true,
        Some([empty, _, ..]) => first.len() == 4 && empty.is_empty(),
        _ => false,
    }
}

impl Pattern for Req {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.lb.add(pipe);
    }

    fn disconnected(&mut self, id: PipeId) {
        self.lose_pipe(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.lb.remove(id);
        self.lose_pipe(id);
        self.broken.retain(|&b| b != id);
    }

    fn send(&mut self, msg: Message, options: &Options) -> Result<(), SendError> {
        if self.pending.is_some() && !options.req_relaxed {
            return Err(SendError::Refused(Error::Fsm {
                operation: "send",
                state: "awaiting a reply",
            }));
        }
        let request_id = options.req_correlate.then_some(self.next_request_id);
        match self.lb.send(Request {
            id: request_id,
            body: msg,
        }) {
            Ok(pipe) => {
                self.pending = Some(Pending {
                    pipe,
                    pipe_gone: false,
                    request_id,
                });
                if request_id.is_some() {
                    self.next_request_id = self.next_request_id.wrapping_add(1);
                }
                Ok(())
            }
            Err(request) => Err(SendError::WouldBlock(request.body)),
        }
    }

    fn recv(&mut self, pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        let mut frames = msg.into_iter();
        let Some(first) = frames.next() else {
            return self.recv_split(pipe, Bytes::new(), None);
        };
        let rest: Message = frames.collect();
        let rest = (!rest.is_empty()).then_some(rest);
        self.recv_split(pipe, first, rest)
    }

    fn splits_recv(&self) -> bool {
        true
    }

    fn recv_split(
        &mut self,
        pipe: PipeId,
        first: Bytes,
        rest: Option<Message>,
    ) -> Result<Option<Message>, Error> {
        if self.broken.contains(&pipe) {
            return Ok(None);
        }
        if !well_formed(&first, rest.as_ref()) {
            // libzmq's REQ session treats a reply without a delimiter as a protocol
            // error and drops the connection (it is not reconnected).
            if let Some(p) = self.lb.get(pipe) {
                p.terminate();
            }
            self.broken.push(pipe);
            return Ok(None);
        }
        let (Some(pending), Some(rest)) = (&self.pending, rest) else {
            return Ok(None);
        };
        let body = Self::accept(pending, pipe, first, rest);
        if body.is_some() {
            self.pending = None;
        }
        Ok(body)
    }

    fn check_recv(&self) -> Result<(), Error> {
        match self.pending {
            Some(_) => Ok(()),
            None => Err(Error::Fsm {
                operation: "receive",
                state: "no request is outstanding",
            }),
        }
    }

    fn discards_inbound_on_send(&self) -> bool {
        true
    }

    fn options_changed(&mut self, options: &Options) {
        self.probe_router = options.probe_router;
    }

    fn greeting_traffic(&self) -> Vec<Outbound> {
        probe_traffic(self.probe_router)
    }
}
