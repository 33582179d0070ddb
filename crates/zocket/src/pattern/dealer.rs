//! DEALER: asynchronous request-reply without envelopes (RFC 28).

use std::sync::Arc;

use zocket_proto::Message;

use super::envelope::probe_traffic;
use super::{LoadBalancer, Pattern, SendError};
use crate::options::Options;
use crate::pipe::{Outbound, Pipe, PipeId};

/// DEALER: round-robin out to peers with room (blocking when none has), fair-queued
/// in; messages pass through untouched.
#[derive(Debug, Default)]
pub(crate) struct Dealer {
    lb: LoadBalancer,
    probe_router: bool,
}

impl Pattern for Dealer {
    fn plain_recv(&self) -> bool {
        true
    }

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

    fn options_changed(&mut self, options: &Options) {
        self.probe_router = options.probe_router;
    }

    fn greeting_traffic(&self) -> Vec<Outbound> {
        probe_traffic(self.probe_router)
    }
}
