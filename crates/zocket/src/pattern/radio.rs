//! Radio-dish (RFC 48) and DGRAM: grouped fan-out, and address-routed datagrams.
//!
//! A radio-dish message is two frames in this layer, `[group][body]`, exactly as it
//! travels over ZMTP (RFC 37 §The Radio-Dish Pattern); the udp:// engine turns it into
//! one datagram. Groups are matched exactly (not as prefixes) and are at most
//! [`GROUP_MAX`] bytes.
//!
//! - RADIO keeps, for each group, the pipes whose peers joined it (a JOIN per entry,
//!   so a peer that joined twice needs two LEAVEs; it still gets one copy), and sends
//!   every group to udp:// pipes, which carry no JOINs. A pipe at its HWM misses the
//!   message, unless XPUB_NODROP: then the send waits for room.
//! - DISH records its groups, sends JOIN/LEAVE to every RADIO (the whole set again
//!   on each new connection) and drops any message whose group it has not joined:
//!   over udp:// nothing is filtered before that. Where libzmq drops the connection
//!   of a RADIO that sends anything but `[group][body]`, zocket drops the message.
//! - DGRAM sends `[address][payload]` to the `ip:port` of the first frame, and
//!   receives datagrams as `[sender's ip:port][payload]`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::{Message, PeerInfo, SocketType};

use super::fanout::offer_all;
use super::{Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Outbound, Pipe, PipeId, PipeMap};
use crate::transport::udp::{MAX_DATAGRAM, parse_dgram_address};

/// The longest group name, in bytes (libzmq's `ZMQ_GROUP_MAX_LENGTH` since 4.3.3).
pub(crate) const GROUP_MAX: usize = 255;

/// Refuses a group longer than [`GROUP_MAX`] (libzmq: `EINVAL`).
pub(crate) fn check_group(group: &[u8]) -> Result<(), Error> {
    if group.len() > GROUP_MAX {
        return Err(Error::InvalidOption {
            option: "group",
            reason: format!(
                "a group of {} bytes; at most {GROUP_MAX} are allowed",
                group.len()
            ),
        });
    }
    Ok(())
}

fn not_supported(operation: &'static str, socket_type: SocketType) -> Error {
    Error::NotSupported {
        operation,
        socket_type,
    }
}

fn bad_message(reason: &str) -> SendError {
    SendError::Refused(Error::InvalidOption {
        option: "message",
        reason: reason.into(),
    })
}

/// RADIO: sends each `[group][body]` message to the peers that joined the group and
/// to every udp:// destination; cannot receive.
#[derive(Debug, Default)]
pub(crate) struct Radio {
    pipes: PipeMap<Arc<Pipe>>,
    /// Each group's joiners, one entry per JOIN.
    groups: HashMap<Bytes, Vec<PipeId>>,
    /// Scratch: the destinations of the message being sent.
    targets: Vec<Arc<Pipe>>,
    /// Scratch: the pipes that joined its group.
    joined: Vec<PipeId>,
}

impl Radio {
    /// Removes every group entry of pipe `id`.
    fn forget(&mut self, id: PipeId) {
        self.groups.retain(|_, joiners| {
            joiners.retain(|&p| p != id);
            !joiners.is_empty()
        });
    }
}

impl Pattern for Radio {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.pipes.insert(pipe.id(), pipe.clone());
    }

    /// A DISH sends nothing but JOIN and LEAVE, which arrive as subscription events.
    fn discards_inbound(&self) -> bool {
        true
    }

    fn check_recv(&self) -> Result<(), Error> {
        Err(not_supported("recv", SocketType::Radio))
    }

    /// The peer's groups go with its connection; it joins them again on reconnect.
    fn disconnected(&mut self, id: PipeId) {
        self.forget(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.pipes.remove(&id);
        self.forget(id);
    }

    fn send(&mut self, msg: Message, options: &Options) -> Result<(), SendError> {
        if msg.len() != 2 {
            return Err(bad_message(
                "a RADIO message is two frames, [group][body] (single-frame bodies only)",
            ));
        }
        let (group, body) = (&msg[0], &msg[1]);
        check_group(group).map_err(SendError::Refused)?;
        let Radio {
            pipes,
            groups,
            targets,
            joined,
        } = self;
        targets.clear();
        joined.clear();
        joined.extend(groups.get(group).into_iter().flatten().copied());
        joined.sort_unstable();
        joined.dedup();
        targets.extend(joined.iter().filter_map(|id| pipes.get(id)).cloned());
        targets.extend(pipes.values().filter(|p| p.is_datagram()).cloned());
        if targets.iter().any(|p| p.is_datagram()) {
            let size = 1 + group.len() + body.len();
            if size > MAX_DATAGRAM {
                targets.clear();
                return Err(SendError::Refused(Error::MessageTooLarge {
                    size,
                    limit: MAX_DATAGRAM,
                }));
            }
        }
        if options.xpub_nodrop && targets.iter().any(|p| !p.is_terminated() && !p.has_room()) {
            targets.clear();
            return Err(SendError::WouldBlock(msg));
        }
        offer_all(targets.iter().map(|p| &**p), msg);
        targets.clear();
        Ok(())
    }

    /// A JOIN adds an entry for the peer, a LEAVE removes one. Groups longer than
    /// [`GROUP_MAX`] can never match a message and are not recorded.
    fn subscription(&mut self, pipe: PipeId, join: bool, group: Bytes) -> Option<Message> {
        if !self.pipes.contains_key(&pipe) || group.len() > GROUP_MAX {
            return None;
        }
        if join {
            self.groups.entry(group).or_default().push(pipe);
        } else if let Some(joiners) = self.groups.get_mut(&group) {
            if let Some(i) = joiners.iter().position(|&p| p == pipe) {
                joiners.swap_remove(i);
            }
            if joiners.is_empty() {
                self.groups.remove(&group);
            }
        }
        None
    }
}

#[derive(Debug)]
struct RadioPeer {
    pipe: Arc<Pipe>,
    /// The handshake completed: JOIN/LEAVE go on the pipe, not in the greeting.
    ready: bool,
}

/// DISH: receives the `[group][body]` messages of the groups it joined; cannot send.
#[derive(Debug, Default)]
pub(crate) struct Dish {
    radios: Vec<RadioPeer>,
    groups: HashSet<Bytes>,
}

impl Dish {
    fn broadcast(&self, command: &Outbound) {
        for r in self.radios.iter().filter(|r| r.ready) {
            r.pipe.force_push(command.clone());
        }
    }
}

impl Pattern for Dish {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        if !self.radios.iter().any(|r| r.pipe.id() == pipe.id()) {
            self.radios.push(RadioPeer {
                pipe: pipe.clone(),
                ready: false,
            });
        }
    }

    fn ready(&mut self, pipe: &Arc<Pipe>, _peer: &PeerInfo) -> Result<(), String> {
        if let Some(r) = self.radios.iter_mut().find(|r| r.pipe.id() == pipe.id()) {
            r.ready = true;
        }
        Ok(())
    }

    /// What the pipe still queues is dropped: the next connection gets every group
    /// in its greeting.
    fn disconnected(&mut self, id: PipeId) {
        if let Some(r) = self.radios.iter_mut().find(|r| r.pipe.id() == id) {
            r.ready = false;
            r.pipe.clear();
        }
    }

    fn detach(&mut self, id: PipeId) {
        self.radios.retain(|r| r.pipe.id() != id);
    }

    fn send(&mut self, _msg: Message, _options: &Options) -> Result<(), SendError> {
        Err(SendError::Refused(not_supported("send", SocketType::Dish)))
    }

    /// Only `[group][body]` messages of a joined group reach the application.
    fn recv(&mut self, _pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        Ok((msg.len() == 2 && self.groups.contains(&msg[0])).then_some(msg))
    }

    /// Joins (`join`) or leaves a group. As in libzmq, joining a group twice or
    /// leaving one not joined is `EINVAL`, and so is a group over [`GROUP_MAX`] bytes.
    fn set_subscription(&mut self, join: bool, group: Bytes) -> Result<(), Error> {
        check_group(&group)?;
        let shown = || String::from_utf8_lossy(&group).into_owned();
        if join {
            if self.groups.contains(&group) {
                return Err(Error::InvalidOption {
                    option: "join",
                    reason: format!("already a member of group {:?}", shown()),
                });
            }
            self.groups.insert(group.clone());
            self.broadcast(&Outbound::Join(group));
        } else {
            if !self.groups.remove(&group) {
                return Err(Error::InvalidOption {
                    option: "leave",
                    reason: format!("not a member of group {:?}", shown()),
                });
            }
            self.broadcast(&Outbound::Leave(group));
        }
        Ok(())
    }

    fn greeting_traffic(&self) -> Vec<Outbound> {
        self.groups.iter().cloned().map(Outbound::Join).collect()
    }
}

/// DGRAM: `[address][payload]` messages over the one udp:// socket it binds.
#[derive(Debug, Default)]
pub(crate) struct Dgram {
    pipe: Option<Arc<Pipe>>,
}

impl Pattern for Dgram {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        if self.pipe.is_none() {
            self.pipe = Some(pipe.clone());
        }
    }

    fn detach(&mut self, id: PipeId) {
        if self.pipe.as_ref().is_some_and(|p| p.id() == id) {
            self.pipe = None;
        }
    }

    /// Checks the address and the payload size, then queues the message; with no
    /// bound socket yet, or a full queue, the send waits.
    fn send(&mut self, msg: Message, _options: &Options) -> Result<(), SendError> {
        if msg.len() != 2 {
            return Err(bad_message(
                "a DGRAM message is two frames, [\"ip:port\"][payload]",
            ));
        }
        if parse_dgram_address(&msg[0]).is_none() {
            return Err(SendError::Refused(Error::InvalidEndpoint {
                endpoint: String::from_utf8_lossy(&msg[0]).into_owned(),
                reason: "a DGRAM address frame is \"ip:port\" (\"[ipv6]:port\")",
            }));
        }
        if msg[1].len() > MAX_DATAGRAM {
            return Err(SendError::Refused(Error::MessageTooLarge {
                size: msg[1].len(),
                limit: MAX_DATAGRAM,
            }));
        }
        match &self.pipe {
            Some(pipe) if pipe.has_room() => {
                // Only a pipe being torn down refuses now; the message goes with it.
                let _ = pipe.try_push(msg);
                Ok(())
            }
            _ => Err(SendError::WouldBlock(msg)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> Options {
        Options::for_type(SocketType::Radio)
    }

    fn grouped(group: &'static str, body: &'static str) -> Message {
        let mut m = Message::single(group);
        m.push_back(body);
        m
    }

    fn queued(p: &Pipe) -> Vec<Outbound> {
        let mut out = Vec::new();
        p.drain(&mut out, usize::MAX);
        out
    }

    fn bodies(p: &Pipe) -> Vec<String> {
        queued(p)
            .into_iter()
            .map(|o| match o {
                Outbound::Message(m) => String::from_utf8_lossy(&m[1]).into_owned(),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn radio_sends_to_joiners_once_and_to_datagram_pipes_always() {
        let o = Options::for_type(SocketType::Radio);
        let (a, b) = (Arc::new(Pipe::new(0, 0)), Arc::new(Pipe::new(0, 0)));
        let udp = Arc::new(Pipe::for_datagrams(&o));
        let mut r = Radio::default();
        for p in [&a, &b, &udp] {
            r.attach(p);
        }
        r.subscription(a.id(), true, Bytes::from_static(b"g"));
        r.subscription(a.id(), true, Bytes::from_static(b"g"));
        r.subscription(b.id(), true, Bytes::from_static(b"gg"));
        r.send(grouped("g", "1"), &o).unwrap();
        r.send(grouped("gg", "2"), &o).unwrap();
        r.send(grouped("", "3"), &o).unwrap();
        assert_eq!(bodies(&a), ["1"], "exact match, one copy per pipe");
        assert_eq!(bodies(&b), ["2"]);
        assert_eq!(bodies(&udp), ["1", "2", "3"]);
        // Two joins need two leaves.
        r.subscription(a.id(), false, Bytes::from_static(b"g"));
        r.send(grouped("g", "4"), &o).unwrap();
        r.subscription(a.id(), false, Bytes::from_static(b"g"));
        r.send(grouped("g", "5"), &o).unwrap();
        assert_eq!(bodies(&a), ["4"]);
        r.disconnected(b.id());
        r.send(grouped("gg", "6"), &o).unwrap();
        assert!(bodies(&b).is_empty(), "groups go with the connection");
    }

    #[test]
    fn radio_checks_shape_group_and_datagram_size() {
        let o = options();
        let mut r = Radio::default();
        let refused = |r: &mut Radio, m: Message| match r.send(m, &o) {
            Err(SendError::Refused(e)) => e.errno_name(),
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(refused(&mut r, Message::from("one frame")), "EINVAL");
        let mut three = grouped("g", "a");
        three.push_back("b");
        assert_eq!(refused(&mut r, three), "EINVAL");
        let mut long = Message::single(vec![b'x'; 256]);
        long.push_back("b");
        assert_eq!(refused(&mut r, long), "EINVAL");
        // Without a udp:// pipe there is no datagram limit.
        let mut big = Message::single(vec![b'x'; 255]);
        big.push_back(vec![0u8; 10_000]);
        r.send(big.clone(), &o).unwrap();
        let udp = Arc::new(Pipe::for_datagrams(&o));
        r.attach(&udp);
        assert_eq!(refused(&mut r, big), "EMSGSIZE");
        let mut fits = Message::single(vec![b'x'; 255]);
        fits.push_back(vec![0u8; MAX_DATAGRAM - 256]);
        r.send(fits, &o).unwrap();
        assert_eq!(udp.queued(), 1);
    }

    #[test]
    fn radio_drops_at_hwm_or_waits_with_nodrop() {
        let mut o = options();
        let (slow, fast) = (Arc::new(Pipe::new(1, 0)), Arc::new(Pipe::new(0, 0)));
        let mut r = Radio::default();
        r.attach(&slow);
        r.attach(&fast);
        for p in [&slow, &fast] {
            r.subscription(p.id(), true, Bytes::from_static(b"g"));
        }
        r.send(grouped("g", "1"), &o).unwrap();
        r.send(grouped("g", "2"), &o).unwrap();
        assert_eq!((slow.queued(), fast.queued()), (1, 2));
        o.xpub_nodrop = true;
        assert!(matches!(
            r.send(grouped("g", "3"), &o),
            Err(SendError::WouldBlock(_))
        ));
        assert_eq!(fast.queued(), 2, "nothing queued when one joiner is full");
        // A group nobody joined is dropped, never waits.
        r.send(grouped("other", "4"), &o).unwrap();
    }

    #[test]
    fn dish_joins_leaves_and_filters() {
        let mut d = Dish::default();
        let p = Arc::new(Pipe::new(0, 0));
        d.attach(&p);
        d.set_subscription(true, Bytes::from_static(b"early"))
            .unwrap();
        assert!(
            p.queued() == 0,
            "the greeting carries joins made before ready"
        );
        let greeting: Vec<_> = d.greeting_traffic();
        assert!(matches!(&greeting[..], [Outbound::Join(g)] if &g[..] == b"early"));
        let peer = PeerInfo {
            version: zocket_proto::Version::V3_1,
            socket_type: Some(SocketType::Radio),
            identity: Bytes::new(),
            metadata: zocket_proto::Metadata::new(),
        };
        d.ready(&p, &peer).unwrap();
        d.set_subscription(true, Bytes::from_static(b"g")).unwrap();
        let e = d
            .set_subscription(true, Bytes::from_static(b"g"))
            .unwrap_err();
        assert_eq!(e.errno_name(), "EINVAL");
        d.set_subscription(false, Bytes::from_static(b"g")).unwrap();
        let e = d
            .set_subscription(false, Bytes::from_static(b"g"))
            .unwrap_err();
        assert_eq!(e.errno_name(), "EINVAL");
        let e = d
            .set_subscription(true, Bytes::from(vec![b'x'; 256]))
            .unwrap_err();
        assert_eq!(e.errno_name(), "EINVAL");
        d.set_subscription(true, Bytes::from(vec![b'x'; 255]))
            .unwrap();
        let sent: Vec<String> = queued(&p)
            .into_iter()
            .map(|o| match o {
                Outbound::Join(g) => format!("+{}", g.len()),
                Outbound::Leave(g) => format!("-{}", g.len()),
                other => panic!("unexpected {other:?}"),
            })
            .collect();
        assert_eq!(sent, ["+1", "-1", "+255"]);
        assert!(d.recv(p.id(), grouped("early", "x")).unwrap().is_some());
        assert!(d.recv(p.id(), grouped("g", "x")).unwrap().is_none());
        assert!(d.recv(p.id(), grouped("earl", "x")).unwrap().is_none());
        assert!(d.recv(p.id(), Message::from("early")).unwrap().is_none());
    }

    #[test]
    fn dgram_checks_address_and_size() {
        let o = Options::for_type(SocketType::Dgram);
        let mut d = Dgram::default();
        let mut m = Message::single("127.0.0.1:5555");
        m.push_back("x");
        assert!(matches!(
            d.send(m.clone(), &o),
            Err(SendError::WouldBlock(_))
        ));
        let p = Arc::new(Pipe::for_datagrams(&o));
        d.attach(&p);
        d.send(m, &o).unwrap();
        let mut v6 = Message::single("[::1]:5555");
        v6.push_back("x");
        d.send(v6, &o).unwrap();
        for bad in ["127.0.0.1", "host:1", "1.2.3.4:99999", ""] {
            let mut m = Message::single(bad);
            m.push_back("x");
            match d.send(m, &o) {
                Err(SendError::Refused(e)) => assert_eq!(e.errno_name(), "EINVAL", "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        let mut big = Message::single("127.0.0.1:5555");
        big.push_back(vec![0u8; MAX_DATAGRAM + 1]);
        assert!(matches!(
            d.send(big, &o),
            Err(SendError::Refused(Error::MessageTooLarge { .. }))
        ));
        assert_eq!(p.queued(), 2);
    }
}
