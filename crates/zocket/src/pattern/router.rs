//! ROUTER: addresses each peer by a routing id (RFC 28).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::{Message, PeerInfo};

use super::envelope::{probe_traffic, random_u32};
use super::{Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Outbound, Pipe, PipeId};

/// One attached pipe and the routing id it answers to, if any yet.
#[derive(Debug)]
struct Peer {
    pipe: Arc<Pipe>,
    routing_id: Option<Bytes>,
    /// The id was generated here (the peer announced none), so it is kept across
    /// reconnections of the same pipe.
    generated: bool,
}

/// ROUTER: prepends the sender's routing id to each message received, and sends each
/// message to the peer named by its first frame.
///
/// A peer's routing id is, in order of preference, the `ZMQ_CONNECT_ROUTING_ID` given
/// to the `connect` that made its pipe, the `Identity` it announced, or a generated
/// 5-byte id (`00` and a big-endian counter with a random start).
#[derive(Debug)]
pub(crate) struct Router {
    peers: HashMap<PipeId, Peer>,
    by_id: HashMap<Bytes, PipeId>,
    /// Routing ids chosen with `ZMQ_CONNECT_ROUTING_ID`, by pipe.
    connect_ids: HashMap<PipeId, Bytes>,
    next_generated: u32,
    handover: bool,
    probe_router: bool,
}

impl Default for Router {
    fn default() -> Self {
        Router {
            peers: HashMap::new(),
            by_id: HashMap::new(),
            connect_ids: HashMap::new(),
            next_generated: random_u32(),
            handover: false,
            probe_router: false,
        }
    }
}

/// A routing id for messages: as text when printable, else in hex.
fn describe(id: &[u8]) -> String {
    match std::str::from_utf8(id) {
        Ok(s) if !s.is_empty() && s.chars().all(|c| !c.is_control()) => format!("{s:?}"),
        _ => id.iter().fold(String::from("0x"), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        }),
    }
}

impl Router {
    fn generate_id(&mut self) -> Bytes {
        loop {
            let n = self.next_generated;
            self.next_generated = n.wrapping_add(1);
            let mut id = vec![0u8];
            id.extend_from_slice(&n.to_be_bytes());
            let id = Bytes::from(id);
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    /// Removes the routing id of pipe `id`, if it has one.
    fn unmap(&mut self, id: PipeId) {
        if let Some(old) = self.peers.get_mut(&id).and_then(|p| p.routing_id.take()) {
            self.by_id.remove(&old);
        }
    }

    /// Gives pipe `id` the routing id `rid` (which must be free).
    fn map(&mut self, id: PipeId, rid: Bytes, generated: bool) {
        self.unmap(id);
        if let Some(peer) = self.peers.get_mut(&id) {
            self.by_id.insert(rid.clone(), id);
            peer.routing_id = Some(rid);
            peer.generated = generated;
        }
    }

    /// The routing id pipe `id` should have now that its peer announced `identity`.
    fn wanted_id(&mut self, id: PipeId, identity: &Bytes) -> (Bytes, bool) {
        if let Some(rid) = self.connect_ids.get(&id) {
            return (rid.clone(), false);
        }
        if !identity.is_empty() {
            return (identity.clone(), false);
        }
        match self.peers.get(&id) {
            Some(Peer {
                routing_id: Some(rid),
                generated: true,
                ..
            }) => (rid.clone(), true),
            _ => (self.generate_id(), true),
        }
    }
}

impl Pattern for Router {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.peers.entry(pipe.id()).or_insert_with(|| Peer {
            pipe: pipe.clone(),
            routing_id: None,
            generated: false,
        });
        // A connect-time routing id is usable at once: messages queue until the peer
        // is there.
        if let Some(rid) = self.connect_ids.get(&pipe.id()).cloned() {
            if !self.by_id.contains_key(&rid) {
                self.map(pipe.id(), rid, false);
            }
        }
    }

    fn ready(&mut self, pipe: &Arc<Pipe>, peer: &PeerInfo) -> Result<(), String> {
        let id = pipe.id();
        let (rid, generated) = self.wanted_id(id, &peer.identity);
        match self.by_id.get(&rid) {
            Some(&owner) if owner == id => return Ok(()),
            Some(&owner) if self.handover => {
                // The newcomer takes the id; the old connection is closed, as in libzmq.
                if let Some(old) = self.peers.get(&owner) {
                    old.pipe.terminate();
                }
                self.unmap(owner);
            }
            Some(_) => {
                return Err(format!(
                    "ROUTER already has a peer with routing id {}",
                    describe(&rid)
                ));
            }
            None => {}
        }
        self.map(id, rid, generated);
        Ok(())
    }

    fn detach(&mut self, id: PipeId) {
        self.unmap(id);
        self.peers.remove(&id);
        self.connect_ids.remove(&id);
    }

    fn send(&mut self, mut msg: Message, options: &Options) -> Result<(), SendError> {
        // A message must be a routing id followed by at least one frame; libzmq drops
        // a lone routing id without complaint, even with ROUTER_MANDATORY.
        let Some(rid) = msg.first().filter(|_| msg.len() >= 2).cloned() else {
            return Ok(());
        };
        let mandatory = options.router_mandatory;
        let Some(pipe) = self
            .by_id
            .get(&rid)
            .and_then(|id| self.peers.get(id))
            .map(|p| &p.pipe)
        else {
            return if mandatory {
                Err(SendError::Refused(Error::HostUnreachable))
            } else {
                Ok(())
            };
        };
        msg.pop_front();
        match pipe.try_push(Outbound::Message(msg)) {
            Ok(()) => Ok(()),
            Err(_) if !mandatory => Ok(()),
            Err(_) if pipe.is_terminated() => Err(SendError::Refused(Error::HostUnreachable)),
            Err(Outbound::Message(mut back)) => {
                back.push_front(rid);
                Err(SendError::WouldBlock(back))
            }
            Err(_) => unreachable!("pipe gives back what it was given"),
        }
    }

    fn recv(&mut self, pipe: PipeId, mut msg: Message) -> Result<Option<Message>, Error> {
        // Messages from a pipe without a routing id (one that lost it to a handover)
        // cannot be answered and are dropped.
        let Some(rid) = self.peers.get(&pipe).and_then(|p| p.routing_id.clone()) else {
            return Ok(None);
        };
        msg.push_front(rid);
        Ok(Some(msg))
    }

    fn set_connect_routing_id(&mut self, pipe: PipeId, routing_id: Bytes) {
        self.connect_ids.insert(pipe, routing_id);
    }

    fn options_changed(&mut self, options: &Options) {
        self.handover = options.router_handover;
        self.probe_router = options.probe_router;
    }

    fn greeting_traffic(&self) -> Vec<Outbound> {
        probe_traffic(self.probe_router)
    }
}
