//! STREAM: raw TCP peers addressed by routing id (libzmq's `ZMQ_STREAM`).
//!
//! Every message is two frames, `[routing id][data]`. A peer's arrival and
//! departure are announced as `[routing id][empty]` (STREAM_NOTIFY, on by default);
//! sending `[routing id][empty]` closes that peer's connection.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::{Message, PeerInfo};

use super::envelope::random_u32;
use super::{Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Pipe, PipeId, PipeMap};

/// STREAM socket state.
#[derive(Debug)]
pub(crate) struct Stream {
    pipes: PipeMap<(Arc<Pipe>, Option<Bytes>)>,
    by_id: HashMap<Bytes, PipeId>,
    connect_ids: PipeMap<Bytes>,
    next_generated: u32,
    notify: bool,
    events: Vec<(Arc<Pipe>, Message)>,
    /// Routing ids of peers that left while some of their data was still queued for
    /// the application: that data keeps its id until the departure is received.
    departed: PipeMap<Bytes>,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            pipes: PipeMap::default(),
            by_id: HashMap::new(),
            connect_ids: PipeMap::default(),
            next_generated: random_u32(),
            notify: true,
            events: Vec::new(),
            departed: PipeMap::default(),
        }
    }
}

impl Stream {
    fn generate_id(&mut self) -> Bytes {
        loop {
            let n = self.next_generated;
            self.next_generated = self.next_generated.wrapping_add(1);
            let mut id = vec![0u8];
            id.extend_from_slice(&n.to_be_bytes());
            let id = Bytes::from(id);
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    fn forget(&mut self, id: PipeId) {
        let Some((pipe, rid)) = self.pipes.get_mut(&id).map(|(p, r)| (p.clone(), r.take())) else {
            return;
        };
        let Some(rid) = rid else { return };
        self.by_id.remove(&rid);
        self.departed.insert(id, rid.clone());
        // The departure is always queued (and dropped on receipt when STREAM_NOTIFY is
        // off): receiving it tells `recv` the id is no longer needed.
        let departure = Message::from_frames(vec![rid, Bytes::new(), Bytes::new()]);
        self.events.push((pipe, departure));
    }
}

impl Pattern for Stream {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.pipes
            .entry(pipe.id())
            .or_insert_with(|| (pipe.clone(), None));
    }

    fn ready(&mut self, pipe: &Arc<Pipe>, _peer: &PeerInfo) -> Result<(), String> {
        let rid = match self.connect_ids.get(&pipe.id()) {
            Some(id) if !self.by_id.contains_key(id) => id.clone(),
            _ => self.generate_id(),
        };
        self.by_id.insert(rid.clone(), pipe.id());
        self.pipes
            .insert(pipe.id(), (pipe.clone(), Some(rid.clone())));
        if self.notify {
            self.events
                .push((pipe.clone(), Message::from_frames(vec![rid, Bytes::new()])));
        }
        Ok(())
    }

    fn disconnected(&mut self, id: PipeId) {
        self.forget(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.forget(id);
        self.pipes.remove(&id);
        self.connect_ids.remove(&id);
    }

    fn send(&mut self, msg: Message, _options: &Options) -> Result<(), SendError> {
        let frames = msg.frames();
        let (Some(rid), Some(data)) = (frames.first(), frames.get(1)) else {
            return Err(SendError::Refused(Error::InvalidOption {
                option: "message",
                reason: "a STREAM message is [routing id][data]".into(),
            }));
        };
        let Some(pipe) = self
            .by_id
            .get(rid)
            .and_then(|id| self.pipes.get(id))
            .map(|(p, _)| p.clone())
        else {
            return Err(SendError::Refused(Error::HostUnreachable));
        };
        match pipe.try_push(Message::single(data.clone())) {
            Ok(()) => Ok(()),
            Err(_) => Err(SendError::WouldBlock(msg)),
        }
    }

    fn recv(&mut self, pipe: PipeId, mut msg: Message) -> Result<Option<Message>, Error> {
        // Notifications are queued already framed: arrivals as [id][empty], departures
        // as [id][empty][empty] (the third frame is internal and removed here). Data
        // arrives as one frame.
        if msg.len() == 2 {
            return Ok(Some(msg));
        }
        if msg.len() == 3 {
            msg.pop_back();
            if self.departed.get(&pipe).is_some_and(|rid| *rid == msg[0]) {
                self.departed.remove(&pipe);
            }
            return Ok(self.notify.then_some(msg));
        }
        let rid = match self.pipes.get(&pipe).and_then(|(_, rid)| rid.clone()) {
            Some(rid) => rid,
            None => match self.departed.get(&pipe) {
                Some(rid) => rid.clone(),
                None => return Ok(None),
            },
        };
        msg.push_front(rid);
        Ok(Some(msg))
    }

    fn options_changed(&mut self, options: &Options) {
        self.notify = options.stream_notify;
    }

    fn set_connect_routing_id(&mut self, pipe: PipeId, routing_id: Bytes) {
        self.connect_ids.insert(pipe, routing_id);
    }

    fn take_events(&mut self) -> Vec<(Arc<Pipe>, Message)> {
        std::mem::take(&mut self.events)
    }
}
