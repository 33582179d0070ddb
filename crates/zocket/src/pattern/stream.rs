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
use crate::pipe::{Outbound, Pipe, PipeId};

/// STREAM socket state.
#[derive(Debug)]
pub(crate) struct Stream {
    pipes: HashMap<PipeId, (Arc<Pipe>, Option<Bytes>)>,
    by_id: HashMap<Bytes, PipeId>,
    connect_ids: HashMap<PipeId, Bytes>,
    next_generated: u32,
    notify: bool,
    events: Vec<(Arc<Pipe>, Message)>,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            pipes: HashMap::new(),
            by_id: HashMap::new(),
            connect_ids: HashMap::new(),
            next_generated: random_u32(),
            notify: true,
            events: Vec::new(),
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
        if let Some((pipe, Some(rid))) = self.pipes.get_mut(&id).map(|(p, r)| (p.clone(), r.take()))
        {
            self.by_id.remove(&rid);
            if self.notify {
                self.events
                    .push((pipe, Message::from_frames(vec![rid, Bytes::new()])));
            }
        }
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
        match pipe.try_push(Outbound::Message(Message::single(data.clone()))) {
            Ok(()) => Ok(()),
            Err(_) => Err(SendError::WouldBlock(msg)),
        }
    }

    fn recv(&mut self, pipe: PipeId, mut msg: Message) -> Result<Option<Message>, Error> {
        // Notifications are queued already framed; data arrives as one frame.
        if msg.len() == 2 {
            return Ok(Some(msg));
        }
        match self.pipes.get(&pipe).and_then(|(_, rid)| rid.clone()) {
            Some(rid) => {
                msg.push_front(rid);
                Ok(Some(msg))
            }
            None => Ok(None),
        }
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
