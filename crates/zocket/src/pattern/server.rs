//! SERVER and PEER: every connection is known by a `u32` routing id (RFC 41, RFC 51).
//!
//! Each pipe gets a non-zero routing id when it attaches: a counter with a random
//! start, skipping 0 and ids still in use. The id never travels on the wire. Inside
//! zocket a message of these sockets carries it as a leading 4-byte big-endian frame:
//! a received message is `[id][data]`, and a message to send names its peer the same
//! way. Messages are single-frame otherwise.
//!
//! A connecter's pipe keeps its id across reconnections (it is the same pipe, as in
//! libzmq); with IMMEDIATE the pipe is re-attached for each connection and gets a new
//! id each time. Messages a departed peer sent that the application has not received
//! yet keep its id.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::{Message, SocketType};

use super::envelope::random_u32;
use super::{Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Pipe, PipeId, PipeMap};

/// The routing id frame of a message for `id`.
fn id_frame(id: u32) -> Bytes {
    Bytes::copy_from_slice(&id.to_be_bytes())
}

/// SERVER (and PEER, which differs only in being able to name the id of a connection
/// it makes): routes each sent message by its routing id frame, prepends the sender's
/// routing id to each message received.
#[derive(Debug)]
pub(crate) struct Server {
    /// SERVER or PEER, for error messages.
    kind: SocketType,
    peers: PipeMap<(u32, Arc<Pipe>)>,
    by_id: HashMap<u32, PipeId>,
    /// Routing ids of detached pipes, oldest first, kept until the departure queued
    /// after their last messages is received.
    departed: PipeMap<VecDeque<u32>>,
    /// Every id in `departed`, so that none is handed out again while it may still
    /// appear on a received message.
    reserved: HashSet<u32>,
    next_id: u32,
    /// Departures not yet handed to the socket.
    events: Vec<(Arc<Pipe>, Message)>,
}

impl Server {
    /// A SERVER or PEER pattern.
    pub(crate) fn new(kind: SocketType) -> Server {
        Server {
            kind,
            peers: PipeMap::default(),
            by_id: HashMap::new(),
            departed: PipeMap::default(),
            reserved: HashSet::new(),
            next_id: random_u32(),
            events: Vec::new(),
        }
    }

    fn generate_id(&mut self) -> u32 {
        loop {
            let id = self.next_id;
            self.next_id = id.wrapping_add(1);
            if id != 0 && !self.by_id.contains_key(&id) && !self.reserved.contains(&id) {
                return id;
            }
        }
    }

    fn malformed(&self, reason: String) -> SendError {
        SendError::Refused(Error::InvalidOption {
            option: "message",
            reason: format!(
                "a {} message is [4-byte routing id][data]: {reason}",
                self.kind
            ),
        })
    }
}

impl Pattern for Server {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        if self.peers.contains_key(&pipe.id()) {
            return;
        }
        let id = self.generate_id();
        self.by_id.insert(id, pipe.id());
        self.peers.insert(pipe.id(), (id, pipe.clone()));
    }

    fn detach(&mut self, pipe: PipeId) {
        let Some((id, p)) = self.peers.remove(&pipe) else {
            return;
        };
        self.by_id.remove(&id);
        self.departed.entry(pipe).or_default().push_back(id);
        self.reserved.insert(id);
        // Queued after the pipe's last messages; `recv_event` releases the id.
        self.events.push((p, Message::single(Bytes::new())));
    }

    fn send(&mut self, mut msg: Message, _options: &Options) -> Result<(), SendError> {
        match msg.len() {
            2 => {}
            1 => return Err(self.malformed("the routing id frame is missing".into())),
            n => {
                return Err(self.malformed(format!(
                    "{} carries single-frame messages only, this one has {} data frames",
                    self.kind,
                    n - 1
                )));
            }
        }
        let id_bytes = msg[0].clone();
        let Ok(raw) = <[u8; 4]>::try_from(&id_bytes[..]) else {
            return Err(
                self.malformed(format!("the routing id frame has {} bytes", id_bytes.len()))
            );
        };
        let id = u32::from_be_bytes(raw);
        let Some((_, pipe)) = self.by_id.get(&id).and_then(|p| self.peers.get(p)) else {
            return Err(SendError::Refused(Error::HostUnreachable));
        };
        let data = msg.pop_back().unwrap_or_default();
        match pipe.try_push(Message::single(data)) {
            Ok(()) => Ok(()),
            Err(_) if pipe.is_terminated() => Err(SendError::Refused(Error::HostUnreachable)),
            Err(mut back) => {
                back.push_front(id_bytes);
                Err(SendError::WouldBlock(back))
            }
        }
    }

    fn recv(&mut self, pipe: PipeId, mut msg: Message) -> Result<Option<Message>, Error> {
        // Multipart messages never reach a SERVER from the wire (the session discards
        // them); this keeps any other path to the same rule.
        if msg.len() != 1 {
            return Ok(None);
        }
        // Messages queued before a departure belong to the departed connection.
        let id = match self.departed.get(&pipe).and_then(VecDeque::front) {
            Some(&id) => id,
            None => match self.peers.get(&pipe) {
                Some(&(id, _)) => id,
                None => return Ok(None),
            },
        };
        msg.push_front(id_frame(id));
        Ok(Some(msg))
    }

    /// The only messages the pattern makes are departures: receiving one releases the
    /// departed connection's routing id; nothing reaches the application.
    fn recv_event(&mut self, pipe: PipeId, _msg: Message) -> Result<Option<Message>, Error> {
        if let Some(ids) = self.departed.get_mut(&pipe) {
            if let Some(id) = ids.pop_front() {
                self.reserved.remove(&id);
            }
            if ids.is_empty() {
                self.departed.remove(&pipe);
            }
        }
        Ok(None)
    }

    fn take_events(&mut self) -> Vec<(Arc<Pipe>, Message)> {
        std::mem::take(&mut self.events)
    }

    fn routing_id(&self, pipe: PipeId) -> Option<Bytes> {
        self.peers.get(&pipe).map(|&(id, _)| id_frame(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipe(hwm: usize) -> Arc<Pipe> {
        Arc::new(Pipe::new(hwm, 0))
    }

    fn id_of(s: &Server, p: &Arc<Pipe>) -> u32 {
        u32::from_be_bytes(s.routing_id(p.id()).unwrap()[..].try_into().unwrap())
    }

    fn routed(id: u32, data: &'static str) -> Message {
        Message::from_frames(vec![id_frame(id), Bytes::from(data)])
    }

    #[test]
    fn ids_are_non_zero_distinct_and_skip_zero_on_wrap() {
        let mut s = Server::new(SocketType::Server);
        s.next_id = u32::MAX;
        let (a, b) = (pipe(0), pipe(0));
        s.attach(&a);
        s.attach(&b);
        assert_eq!(id_of(&s, &a), u32::MAX);
        assert_eq!(id_of(&s, &b), 1, "0 is skipped");
    }

    #[test]
    fn routes_by_id_and_stamps_received_messages() {
        let mut s = Server::new(SocketType::Server);
        let (a, b) = (pipe(0), pipe(0));
        s.attach(&a);
        s.attach(&b);
        let o = Options::for_type(SocketType::Server);
        s.send(routed(id_of(&s, &b), "to b"), &o).unwrap();
        assert_eq!(a.queued(), 0);
        assert_eq!(b.queued(), 1);
        let got = s
            .recv(a.id(), Message::single("hi"))
            .unwrap()
            .expect("delivered");
        assert_eq!(got, routed(id_of(&s, &a), "hi"));
        assert!(s.recv(a.id(), routed(1, "x")).unwrap().is_none());
    }

    #[test]
    fn unknown_id_is_unreachable_and_full_pipe_would_block() {
        let mut s = Server::new(SocketType::Server);
        let a = pipe(1);
        s.attach(&a);
        let id = id_of(&s, &a);
        let o = Options::for_type(SocketType::Server);
        let unknown = id.wrapping_add(7).max(1);
        assert!(matches!(
            s.send(routed(unknown, "x"), &o),
            Err(SendError::Refused(Error::HostUnreachable))
        ));
        s.send(routed(id, "one"), &o).unwrap();
        match s.send(routed(id, "two"), &o) {
            Err(SendError::WouldBlock(back)) => assert_eq!(back, routed(id, "two")),
            other => panic!("expected WouldBlock, got {other:?}"),
        }
    }

    #[test]
    fn malformed_messages_are_refused() {
        let mut s = Server::new(SocketType::Peer);
        let a = pipe(0);
        s.attach(&a);
        let id = id_of(&s, &a);
        let o = Options::for_type(SocketType::Peer);
        let mut three = routed(id, "a");
        three.push_back("b");
        let short_id = Message::from_frames(vec![Bytes::from_static(b"abc"), "x".into()]);
        for bad in [Message::single("no id"), three, short_id] {
            match s.send(bad, &o) {
                Err(SendError::Refused(e)) => assert_eq!(e.errno_name(), "EINVAL"),
                other => panic!("expected EINVAL, got {other:?}"),
            }
        }
        assert_eq!(a.queued(), 0);
    }

    #[test]
    fn departed_peer_keeps_its_id_until_its_departure_is_received() {
        let mut s = Server::new(SocketType::Server);
        let a = pipe(0);
        s.attach(&a);
        let id = id_of(&s, &a);
        s.detach(a.id());
        let events = s.take_events();
        assert_eq!(events.len(), 1);
        assert!(s.routing_id(a.id()).is_none());
        // A message still queued from the departed peer keeps its id.
        let got = s.recv(a.id(), Message::single("late")).unwrap().unwrap();
        assert_eq!(got, routed(id, "late"));
        // Sending to it now is unreachable.
        let o = Options::for_type(SocketType::Server);
        assert!(matches!(
            s.send(routed(id, "x"), &o),
            Err(SendError::Refused(Error::HostUnreachable))
        ));
        // The id is not reused while reserved.
        s.next_id = id;
        let b = pipe(0);
        s.attach(&b);
        assert_ne!(id_of(&s, &b), id);
        // Receiving the departure releases it; later messages of the pipe are dropped.
        let (p, m) = events.into_iter().next().unwrap();
        assert!(s.recv_event(p.id(), m).unwrap().is_none());
        assert!(s.reserved.is_empty());
        assert!(s.recv(a.id(), Message::single("x")).unwrap().is_none());
    }
}
