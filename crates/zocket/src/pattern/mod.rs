//! Patterns: each socket type's routing strategy over its set of pipes.
//!
//! A [`Pattern`] decides where an outgoing message goes (load-balance, fan-out,
//! routing id, exclusive peer) and what an incoming one becomes (envelopes,
//! subscriptions, REQ/REP state). It runs under the socket's lock and never waits:
//! when no pipe can take a message it says [`SendError::WouldBlock`] and the socket
//! waits for room.

mod dealer;
mod envelope;
mod fanout;
mod lb;
mod pair;
mod pipeline;
mod pubsub;
mod radio;
mod rep;
mod req;
mod router;
mod server;
mod stream;
mod threadsafe;
mod trie;
mod upstream;

pub(crate) use lb::LoadBalancer;

use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::{Message, PeerInfo, SocketType};

use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Pipe, PipeId};

/// Why a send did not go out.
#[derive(Debug)]
pub(crate) enum SendError {
    /// No pipe can take it now; the message is handed back to retry once there is room.
    WouldBlock(Message),
    /// The send is refused (wrong state, wrong socket type, unroutable …).
    Refused(Error),
}

/// A socket type's behaviour. Every method runs under the socket's lock.
pub(crate) trait Pattern: Send + 'static {
    /// A pipe joined the socket. For a connecting socket this happens at `connect`
    /// (so messages can queue before the peer is there), unless IMMEDIATE is set; for
    /// an accepted connection, when its handshake completes.
    fn attach(&mut self, pipe: &Arc<Pipe>);

    /// The handshake on an attached pipe completed. Returning an error refuses the
    /// peer (PAIR's second peer, ROUTER's duplicate identity): the connection closes.
    fn ready(&mut self, _pipe: &Arc<Pipe>, _peer: &PeerInfo) -> Result<(), String> {
        Ok(())
    }

    /// The connection of a pipe that stays attached (a connecter's) went away; it may
    /// come back after a reconnect.
    fn disconnected(&mut self, _id: PipeId) {}

    /// A pipe left the socket for good.
    fn detach(&mut self, id: PipeId);

    /// Routes one outgoing message.
    fn send(&mut self, msg: Message, options: &Options) -> Result<(), SendError>;

    /// Routes a one-frame message holding a copy of `data`. Patterns that queue
    /// messages as they are (PUSH, DEALER, PAIR) copy the bytes straight into the
    /// chosen pipe; the others get a message of their own. A
    /// [`SendError::WouldBlock`] carries no message to retry with (the caller
    /// still holds `data`).
    fn send_slice(&mut self, data: &[u8], options: &Options) -> Result<(), SendError> {
        self.send(Message::single(Bytes::copy_from_slice(data)), options)
    }

    /// Filters or transforms one incoming message before the application sees it;
    /// `None` drops it.
    fn recv(&mut self, _pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        Ok(Some(msg))
    }

    /// Whether the pattern takes a peer's message split after its first frame
    /// ([`recv_split`](Pattern::recv_split)): it strips an envelope, and a
    /// message that arrived in wire form then needs no frame vector of its own
    /// (see [`WireRun::pop_front_split`](zocket_proto::WireRun::pop_front_split)).
    fn splits_recv(&self) -> bool {
        false
    }

    /// [`recv`](Self::recv) of a message given as its first frame and the
    /// frames after it (`None`: it had one frame), for a pattern that
    /// [`splits_recv`](Pattern::splits_recv).
    fn recv_split(
        &mut self,
        pipe: PipeId,
        first: Bytes,
        rest: Option<Message>,
    ) -> Result<Option<Message>, Error> {
        let mut msg = Message::single(first);
        for frame in rest.into_iter().flatten() {
            msg.push_back(frame);
        }
        self.recv(pipe, msg)
    }

    /// Like [`recv`](Self::recv), for one of the pattern's own messages (from
    /// [`take_events`](Self::take_events)) as the application receives it. Patterns
    /// that must tell their own messages from the peers' (ROUTER's notifications, which
    /// look like any peer message) override it; by default it is `recv`.
    fn recv_event(&mut self, pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        self.recv(pipe, msg)
    }

    /// Whether a receive is a plain hand-over: `check_recv` always passes, `recv`
    /// returns every message as it is and the pattern makes no messages of its own.
    /// The socket may then hand messages over in batches.
    fn plain_recv(&self) -> bool {
        false
    }

    /// Whether [`recv`](Pattern::recv) only passes or drops each message as it is,
    /// by [`passes`](Pattern::passes) (SUB's filter). The socket may then take a
    /// batch at once and filter it under one lock.
    fn filters_recv(&self) -> bool {
        false
    }

    /// Whether [`recv`](Pattern::recv) never fails and maps (or drops) each
    /// message by [`map_recv`](Pattern::map_recv) alone, whatever the application
    /// did with the messages before it (ROUTER's routing-id frame). The socket may
    /// then take a batch at once and map it under one lock.
    fn maps_recv(&self) -> bool {
        false
    }

    /// For a pattern that [`maps_recv`](Pattern::maps_recv): the message the
    /// application receives for `msg` from `pipe` (`None` drops it).
    fn map_recv(&mut self, _pipe: PipeId, msg: Message) -> Option<Message> {
        Some(msg)
    }

    /// For a pattern that [`filters_recv`](Pattern::filters_recv): whether `msg`
    /// is delivered under the current subscriptions and options.
    fn passes(&self, _msg: &Message) -> bool {
        true
    }

    /// Whether messages from peers are discarded on arrival (PUB: subscribers send
    /// nothing but subscriptions, which arrive as events). Discarded messages never
    /// count against RCVHWM, so they cannot stall a connection's subscriptions.
    fn discards_inbound(&self) -> bool {
        false
    }

    /// Whether a receive is allowed now (REQ before a send is EFSM, PUB never).
    fn check_recv(&self) -> Result<(), Error> {
        Ok(())
    }

    /// The peer on `pipe` subscribed (or cancelled). A message returned is delivered
    /// to the application (XPUB).
    fn subscription(&mut self, _pipe: PipeId, _subscribe: bool, _topic: Bytes) -> Option<Message> {
        None
    }

    /// The application subscribed (`subscribe`) or unsubscribed on this socket
    /// (SUB's `ZMQ_SUBSCRIBE`/`ZMQ_UNSUBSCRIBE`; DISH's join/leave). The pattern
    /// records it and queues the command on every pipe (an XPUB_MANUAL publisher
    /// applies it to one subscriber instead).
    fn set_subscription(&mut self, _subscribe: bool, _topic: Bytes) -> Result<(), Error> {
        Err(Error::InvalidOption {
            option: "subscribe",
            reason: "this socket type has no subscriptions".into(),
        })
    }

    /// Control traffic to send on a pipe whose handshake just completed, before any
    /// message (SUB's subscriptions, DISH's groups).
    fn greeting_traffic(&self) -> Vec<crate::pipe::Outbound> {
        Vec::new()
    }

    /// The socket's options changed (and once at creation), for patterns that act on
    /// options outside `send` (ROUTER_HANDOVER, PROBE_ROUTER).
    fn options_changed(&mut self, _options: &Options) {}

    /// A connecter's new `pipe`, not attached yet, is to be known by `routing_id`
    /// (ROUTER's `ZMQ_CONNECT_ROUTING_ID`, consumed by each connect).
    fn set_connect_routing_id(&mut self, _pipe: PipeId, _routing_id: Bytes) {}

    /// The only pipe a send may go to, when the pattern has exactly one and
    /// its send does nothing but queue into it (PUSH and DEALER with one peer,
    /// PAIR): the socket then lets a thread send there without its lock (see
    /// `core::sole`).
    fn sole_pipe(&self) -> Option<&Arc<Pipe>> {
        None
    }

    /// Whether a successful send discards every message waiting to be received (REQ:
    /// replies to earlier requests must not pass for the new one's).
    fn discards_inbound_on_send(&self) -> bool {
        false
    }

    /// Messages the pattern produced by itself since the last call, each with the
    /// pipe it concerns (XPUB's cancellations when a subscriber goes away, ROUTER's
    /// and STREAM's notifications). The socket delivers them to the application, in
    /// the order produced and through [`recv_event`](Self::recv_event), after a pipe
    /// becomes ready or is detached, suspended or disconnected.
    fn take_events(&mut self) -> Vec<(Arc<Pipe>, Message)> {
        Vec::new()
    }

    /// The routing id `pipe` is known by, as it leads the messages received from it
    /// (SERVER and PEER: 4 bytes, big-endian), if the pattern gives pipes one.
    fn routing_id(&self, _pipe: PipeId) -> Option<Bytes> {
        None
    }
}

/// Whether a socket of type `t` offers each message to many pipes (PUB, XPUB,
/// RADIO): its pipes and engines are tuned for that (shared messages rather
/// than copies, smaller write batches, no yield after a write).
pub(crate) fn fans_out(t: SocketType) -> bool {
    matches!(t, SocketType::Pub | SocketType::XPub | SocketType::Radio)
}

/// The pattern for a socket type.
pub(crate) fn for_type(t: SocketType) -> Result<Box<dyn Pattern>, Error> {
    Ok(match t {
        SocketType::Push => Box::new(pipeline::Push::default()),
        SocketType::Pull => Box::new(pipeline::Pull),
        SocketType::Pair => Box::new(pair::Pair::default()),
        SocketType::Req => Box::new(req::Req::default()),
        SocketType::Rep => Box::new(rep::Rep::default()),
        SocketType::Dealer => Box::new(dealer::Dealer::default()),
        SocketType::Router => Box::new(router::Router::default()),
        SocketType::Stream => Box::new(stream::Stream::default()),
        SocketType::Pub => Box::new(pubsub::Pub::default()),
        SocketType::XPub => Box::new(pubsub::XPub::default()),
        SocketType::Sub => Box::new(pubsub::Sub::default()),
        SocketType::XSub => Box::new(pubsub::XSub::default()),
        SocketType::Client => Box::new(threadsafe::client()),
        SocketType::Server => Box::new(server::Server::new(SocketType::Server)),
        SocketType::Peer => Box::new(server::Server::new(SocketType::Peer)),
        SocketType::Scatter => Box::new(threadsafe::scatter()),
        SocketType::Gather => Box::new(threadsafe::gather()),
        SocketType::Channel => Box::new(threadsafe::channel()),
        SocketType::Radio => Box::new(radio::Radio::default()),
        SocketType::Dish => Box::new(radio::Dish::default()),
        SocketType::Dgram => Box::new(radio::Dgram::default()),
        other => {
            return Err(Error::NotSupported {
                operation: "creating a socket of this type (not implemented yet)",
                socket_type: other,
            });
        }
    })
}
