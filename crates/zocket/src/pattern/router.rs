//! ROUTER: addresses each peer by a routing id (RFC 28).
//!
//! With ROUTER_NOTIFY, the application receives `[routing id][empty]` when a peer's
//! handshake completes (`router_notify_connect`) and/or when a connection whose
//! handshake completed goes (`router_notify_disconnect`), unless it lost its routing
//! id to a handover; a peer refused for a duplicate routing id is announced neither
//! way. The notifications look like any two-frame message, as in libzmq. Messages a
//! departed peer sent that the application has not received yet keep its routing id,
//! and come before its disconnection.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;
use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::{Message, PeerInfo};

use super::envelope::{probe_traffic, random_u32};
use super::{Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Outbound, Pipe, PipeId, PipeMap};

/// One attached pipe and the routing id it answers to, if any yet.
#[derive(Debug)]
struct Peer {
    pipe: Arc<Pipe>,
    routing_id: Option<Bytes>,
    /// The id was generated here (the peer announced none), so it is kept across
    /// reconnections of the same pipe.
    generated: bool,
    /// The handshake of the pipe's current connection completed.
    connected: bool,
}

/// ROUTER: prepends the sender's routing id to each message received, and sends each
/// message to the peer named by its first frame.
///
/// A peer's routing id is, in order of preference, the `ZMQ_CONNECT_ROUTING_ID` given
/// to the `connect` that made its pipe, the `Identity` it announced, or a generated
/// 5-byte id (`00` and a big-endian counter with a random start).
#[derive(Debug)]
pub(crate) struct Router {
    peers: PipeMap<Peer>,
    by_id: HashMap<Bytes, PipeId>,
    /// Routing ids chosen with `ZMQ_CONNECT_ROUTING_ID`, by pipe.
    connect_ids: PipeMap<Bytes>,
    next_generated: u32,
    handover: bool,
    probe_router: bool,
    /// ROUTER_NOTIFY's connect flag.
    notify_connect: bool,
    /// ROUTER_NOTIFY's disconnect flag.
    notify_disconnect: bool,
    /// Routing ids of detached pipes, kept (with whether the departure is announced)
    /// until their departure is received: their messages still queued keep their id.
    /// A pipe suspended and re-attached (IMMEDIATE) may depart more than once.
    departed: PipeMap<VecDeque<(Bytes, bool)>>,
    /// Notifications and departures not yet handed to the socket.
    events: Vec<(Arc<Pipe>, Message)>,
}

impl Default for Router {
    fn default() -> Self {
        Router {
            peers: PipeMap::default(),
            by_id: HashMap::new(),
            connect_ids: PipeMap::default(),
            next_generated: random_u32(),
            handover: false,
            probe_router: false,
            notify_connect: false,
            notify_disconnect: false,
            departed: PipeMap::default(),
            events: Vec::new(),
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

    /// The connection of pipe `id` went: returns its pipe and routing id if the
    /// departure is one to announce (its handshake had completed and it still holds
    /// its id).
    fn lost(&mut self, id: PipeId) -> Option<(Arc<Pipe>, Bytes)> {
        let peer = self.peers.get_mut(&id)?;
        if !std::mem::take(&mut peer.connected) {
            return None;
        }
        Some((peer.pipe.clone(), peer.routing_id.clone()?))
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
            connected: false,
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
            Some(&owner) if owner == id => {}
            Some(&owner) if self.handover => {
                // The newcomer takes the id; the old connection is closed, as in libzmq.
                if let Some(old) = self.peers.get(&owner) {
                    old.pipe.terminate();
                }
                self.unmap(owner);
                self.map(id, rid.clone(), generated);
            }
            Some(_) => {
                return Err(format!(
                    "ROUTER already has a peer with routing id {}",
                    describe(&rid)
                ));
            }
            None => self.map(id, rid.clone(), generated),
        }
        if let Some(peer) = self.peers.get_mut(&id) {
            peer.connected = true;
        }
        if self.notify_connect {
            self.events
                .push((pipe.clone(), Message::from_frames(vec![rid, Bytes::new()])));
        }
        Ok(())
    }

    /// A connecter's connection went; its pipe keeps its routing id for the next one.
    fn disconnected(&mut self, id: PipeId) {
        if let Some((pipe, rid)) = self.lost(id) {
            if self.notify_disconnect {
                self.events
                    .push((pipe, Message::from_frames(vec![rid, Bytes::new()])));
            }
        }
    }

    /// The pipe goes. Its routing id stays with its messages still queued for the
    /// application until the departure, queued after them, is received.
    fn detach(&mut self, id: PipeId) {
        let announced = self.lost(id).is_some() && self.notify_disconnect;
        self.connect_ids.remove(&id);
        let Some(Peer {
            pipe,
            routing_id: Some(rid),
            ..
        }) = self.peers.remove(&id)
        else {
            return;
        };
        self.by_id.remove(&rid);
        self.departed
            .entry(id)
            .or_default()
            .push_back((rid.clone(), announced));
        // The third frame marks a departure; `recv_event` removes it.
        let departure = Message::from_frames(vec![rid, Bytes::new(), Bytes::new()]);
        self.events.push((pipe, departure));
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
        match pipe.try_push(msg) {
            Ok(()) => Ok(()),
            Err(_) if !mandatory => Ok(()),
            Err(_) if pipe.is_terminated() => Err(SendError::Refused(Error::HostUnreachable)),
            Err(mut back) => {
                back.push_front(rid);
                Err(SendError::WouldBlock(back))
            }
        }
    }

    fn recv(&mut self, pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        Ok(self.map_recv(pipe, msg))
    }

    fn maps_recv(&self) -> bool {
        true
    }

    fn map_recv(&mut self, pipe: PipeId, mut msg: Message) -> Option<Message> {
        // Messages from a pipe without a routing id (one that lost it to a handover)
        // cannot be answered and are dropped.
        let rid = match self.peers.get(&pipe) {
            Some(peer) => peer.routing_id.clone(),
            None => self
                .departed
                .get(&pipe)
                .and_then(|d| d.front())
                .map(|(rid, _)| rid.clone()),
        }?;
        msg.push_front(rid);
        Some(msg)
    }

    /// Notifications are queued framed as the application receives them. A departure
    /// has a third, internal frame: receiving it releases the departed pipe's routing
    /// id, and it is delivered (as `[id][empty]`) only when announced.
    fn recv_event(&mut self, pipe: PipeId, mut msg: Message) -> Result<Option<Message>, Error> {
        if msg.len() != 3 {
            return Ok(Some(msg));
        }
        msg.pop_back();
        let Some(departures) = self.departed.get_mut(&pipe) else {
            return Ok(None);
        };
        let announced = departures.pop_front().is_some_and(|(_, a)| a);
        if departures.is_empty() {
            self.departed.remove(&pipe);
        }
        Ok(announced.then_some(msg))
    }

    fn take_events(&mut self) -> Vec<(Arc<Pipe>, Message)> {
        std::mem::take(&mut self.events)
    }

    fn set_connect_routing_id(&mut self, pipe: PipeId, routing_id: Bytes) {
        self.connect_ids.insert(pipe, routing_id);
    }

    fn options_changed(&mut self, options: &Options) {
        self.handover = options.router_handover;
        self.probe_router = options.probe_router;
        self.notify_connect = options.router_notify_connect;
        self.notify_disconnect = options.router_notify_disconnect;
    }

    fn greeting_traffic(&self) -> Vec<Outbound> {
        probe_traffic(self.probe_router)
    }
}
