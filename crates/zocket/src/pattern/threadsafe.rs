//! CLIENT, SCATTER, GATHER and CHANNEL: the thread-safe draft types that route like
//! an older type, restricted to single-frame messages (RFC 41, RFC 49, RFC 52).
//!
//! CLIENT routes like DEALER (round-robin out, fair-queued in), SCATTER like PUSH,
//! GATHER like PULL, CHANNEL like PAIR. A multipart send is refused (libzmq: EINVAL
//! for `ZMQ_SNDMORE`); multipart messages from the wire are discarded by the session,
//! and any that arrive another way are dropped here.

use std::sync::Arc;

use zocket_proto::{Message, PeerInfo, SocketType};

use super::dealer::Dealer;
use super::pair::Pair;
use super::pipeline::{Pull, Push};
use super::{Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Pipe, PipeId};

/// The pattern of `base` (the older type it routes like), for a socket of type
/// `kind` that carries single-frame messages only.
///
/// Only routing is borrowed: options the base type acts on outside `send`
/// (DEALER's `ZMQ_PROBE_ROUTER`) do not apply, as in libzmq.
#[derive(Debug)]
pub(crate) struct SingleFrame<P> {
    kind: SocketType,
    base: SocketType,
    inner: P,
}

/// CLIENT: DEALER's routing, single-frame.
pub(crate) fn client() -> SingleFrame<Dealer> {
    SingleFrame::new(SocketType::Client, SocketType::Dealer, Dealer::default())
}

/// SCATTER: PUSH's routing, single-frame.
pub(crate) fn scatter() -> SingleFrame<Push> {
    SingleFrame::new(SocketType::Scatter, SocketType::Push, Push::default())
}

/// GATHER: PULL's routing, single-frame.
pub(crate) fn gather() -> SingleFrame<Pull> {
    SingleFrame::new(SocketType::Gather, SocketType::Pull, Pull)
}

/// CHANNEL: PAIR's routing (one peer at a time), single-frame.
pub(crate) fn channel() -> SingleFrame<Pair> {
    SingleFrame::new(SocketType::Channel, SocketType::Pair, Pair::default())
}

impl<P: Pattern> SingleFrame<P> {
    fn new(kind: SocketType, base: SocketType, inner: P) -> Self {
        SingleFrame { kind, base, inner }
    }

    /// The base pattern's errors, told in terms of this socket's type.
    fn retype(&self, e: Error) -> Error {
        match e {
            Error::NotSupported { operation, .. } => Error::NotSupported {
                operation,
                socket_type: self.kind,
            },
            other => other,
        }
    }
}

impl<P: Pattern> Pattern for SingleFrame<P> {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.inner.attach(pipe);
    }

    fn ready(&mut self, pipe: &Arc<Pipe>, peer: &PeerInfo) -> Result<(), String> {
        self.inner
            .ready(pipe, peer)
            .map_err(|reason| reason.replace(self.base.as_str(), self.kind.as_str()))
    }

    fn disconnected(&mut self, id: PipeId) {
        self.inner.disconnected(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.inner.detach(id);
    }

    fn send(&mut self, msg: Message, options: &Options) -> Result<(), SendError> {
        if msg.len() != 1 {
            return Err(SendError::Refused(Error::InvalidOption {
                option: "message",
                reason: format!(
                    "a {} socket sends single-frame messages only; this one has {} frames",
                    self.kind,
                    msg.len()
                ),
            }));
        }
        match self.inner.send(msg, options) {
            Err(SendError::Refused(e)) => Err(SendError::Refused(self.retype(e))),
            other => other,
        }
    }

    fn recv(&mut self, pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        if msg.len() != 1 {
            return Ok(None);
        }
        self.inner.recv(pipe, msg).map_err(|e| self.retype(e))
    }

    fn check_recv(&self) -> Result<(), Error> {
        self.inner.check_recv().map_err(|e| self.retype(e))
    }

    fn take_events(&mut self) -> Vec<(Arc<Pipe>, Message)> {
        self.inner.take_events()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_frames() -> Message {
        Message::from_frames(vec!["a".into(), "b".into()])
    }

    #[test]
    fn multipart_send_is_einval_and_queues_nothing() {
        let p = Arc::new(Pipe::new(0, 0));
        let o = Options::for_type(SocketType::Client);
        let mut patterns: Vec<Box<dyn Pattern>> =
            vec![Box::new(client()), Box::new(scatter()), Box::new(channel())];
        for pat in &mut patterns {
            pat.attach(&p);
            match pat.send(two_frames(), &o) {
                Err(SendError::Refused(e)) => assert_eq!(e.errno_name(), "EINVAL"),
                other => panic!("expected EINVAL, got {other:?}"),
            }
            pat.send(Message::single("one"), &o).unwrap();
        }
        assert_eq!(p.queued(), 3);
    }

    #[test]
    fn multipart_received_is_dropped() {
        let mut c = client();
        assert!(c.recv(1, two_frames()).unwrap().is_none());
        assert_eq!(
            c.recv(1, Message::single("x")).unwrap(),
            Some(Message::single("x"))
        );
    }

    #[test]
    fn errors_name_the_draft_type() {
        let s = scatter();
        match s.check_recv() {
            Err(Error::NotSupported { socket_type, .. }) => {
                assert_eq!(socket_type, SocketType::Scatter);
            }
            other => panic!("expected ENOTSUP, got {other:?}"),
        }
        let mut g = gather();
        let o = Options::for_type(SocketType::Gather);
        match g.send(Message::single("x"), &o) {
            Err(SendError::Refused(Error::NotSupported { socket_type, .. })) => {
                assert_eq!(socket_type, SocketType::Gather);
            }
            other => panic!("expected ENOTSUP, got {other:?}"),
        }
    }

    #[test]
    fn channel_refuses_a_second_peer_in_its_own_name() {
        let mut c = channel();
        let (a, b) = (Arc::new(Pipe::new(0, 0)), Arc::new(Pipe::new(0, 0)));
        let info = PeerInfo {
            version: zocket_proto::Version::V3_1,
            socket_type: Some(SocketType::Channel),
            identity: Default::default(),
            metadata: zocket_proto::Metadata::new(),
        };
        c.ready(&a, &info).unwrap();
        let reason = c.ready(&b, &info).unwrap_err();
        assert!(reason.contains("CHANNEL"), "{reason}");
    }
}
