//! Publish-subscribe: PUB, XPUB, SUB, XSUB (RFC 29, as libzmq 4.3 behaves).
//!
//! Publishers filter at the source, per subscriber ([`Fanout`]); subscribers record
//! their subscriptions and send them to every publisher ([`Upstream`]). Topics are
//! binary prefixes of a message's first frame; the empty topic matches everything.
//!
//! Where zocket differs from libzmq:
//! - SUB sends a topic's SUBSCRIBE only when it is new and its CANCEL only when its
//!   last subscription goes, so every publisher, counting (like zocket's) or not
//!   (like libzmq's), keeps exactly the set the application asked for.
//! - XPUB does not pass up a cancellation of a topic the subscriber never had
//!   (libzmq does), except with XPUB_MANUAL, which passes up everything.
//! - XPUB sends XPUB_WELCOME_MSG on each new connection, where libzmq sends it once
//!   per pipe (a connecting XPUB's pipe outlives reconnections there).
//! - Subscriptions are never dropped at SNDHWM.
//!
//! XSUB follows libzmq: it forwards every subscription (a proxy's downstream XPUB in
//! verbose mode relies on it) but a cancellation only when the topic's last
//! subscription goes, or every one with XSUB_VERBOSE_UNSUBSCRIBE. Without that option,
//! a publisher that counts subscriptions per subscriber, as zocket's do, keeps sending
//! a topic an XSUB subscribed to twice after it unsubscribed twice; a SUB does not
//! have that problem.

use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::command::subscription_message;
use zocket_proto::{Message, PeerInfo, SocketType};

use super::fanout::{Dropped, Fanout, Removed};
use super::upstream::Upstream;
use super::{Pattern, SendError};
use crate::error::Error;
use crate::options::Options;
use crate::pipe::{Outbound, Pipe, PipeId, PipeMap};

fn not_supported(operation: &'static str, socket_type: SocketType) -> Error {
    Error::NotSupported {
        operation,
        socket_type,
    }
}

fn publish(fanout: &mut Fanout, msg: Message, options: &Options) -> Result<(), SendError> {
    fanout
        .send(msg, options.xpub_nodrop, options.invert_matching)
        .map_err(SendError::WouldBlock)
}

/// PUB: sends each message to the subscribers whose subscriptions match it, never
/// blocking (a subscriber at its HWM misses it) unless `xpub_nodrop`; cannot receive.
#[derive(Debug, Default)]
pub(crate) struct Pub {
    fanout: Fanout,
}

impl Pattern for Pub {
    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.fanout.attach(pipe);
    }

    fn discards_inbound(&self) -> bool {
        true
    }

    fn disconnected(&mut self, id: PipeId) {
        self.fanout.forget(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.fanout.detach(id);
    }

    fn send(&mut self, msg: Message, options: &Options) -> Result<(), SendError> {
        publish(&mut self.fanout, msg, options)
    }

    /// Whatever a subscriber sends besides subscriptions is discarded.
    fn recv(&mut self, _pipe: PipeId, _msg: Message) -> Result<Option<Message>, Error> {
        Ok(None)
    }

    fn check_recv(&self) -> Result<(), Error> {
        Err(not_supported("recv", SocketType::Pub))
    }

    fn subscription(&mut self, pipe: PipeId, subscribe: bool, topic: Bytes) -> Option<Message> {
        if subscribe {
            self.fanout.subscribe(pipe, &topic);
        } else {
            self.fanout.unsubscribe(pipe, &topic);
        }
        None
    }
}

/// Subscription messages of one pipe that the application has not received yet
/// (XPUB_MANUAL's bookkeeping of which subscriber the next `subscribe` applies to).
#[derive(Debug, Default, Clone, Copy)]
struct Unread {
    /// From the pipe's current connection.
    live: usize,
    /// From a connection that has gone since: receiving them names no subscriber.
    stale: usize,
}

/// XPUB: a PUB whose application also receives the subscriptions (`01‖topic`,
/// `00‖topic`) and any message the subscribers send.
///
/// With XPUB_MANUAL it applies no subscription by itself: every subscription and
/// cancellation is passed up, and the application applies what it wants with
/// `subscribe`/`unsubscribe`, which act on the pipe of the subscription message it
/// received last (libzmq's "last pipe"). When a subscriber goes, its applied
/// subscriptions go silently and a cancellation is passed up for every topic it had
/// asked for. With XPUB_WELCOME_MSG, each new connection first receives the welcome
/// message (on each connection, where libzmq sends it once per pipe).
#[derive(Debug, Default)]
pub(crate) struct XPub {
    fanout: Fanout,
    /// Report every subscription, not just a topic's first.
    verbose: bool,
    /// Report every cancellation, not just a topic's last.
    verboser: bool,
    /// XPUB_MANUAL: subscriptions are applied by the application.
    manual: bool,
    /// XPUB_MANUAL: what each subscriber asked for, to cancel when it goes.
    requested: Fanout,
    /// XPUB_MANUAL: the pipe of the last subscription message the application
    /// received, while that pipe's connection lasts.
    last_pipe: Option<PipeId>,
    /// XPUB_MANUAL: subscription messages not received yet, by pipe.
    unread: PipeMap<Unread>,
    /// XPUB_WELCOME_MSG, if set and not empty.
    welcome: Option<Bytes>,
    /// Cancellations generated by departing subscribers, not yet delivered.
    events: Vec<(Arc<Pipe>, Message)>,
}

impl XPub {
    fn event(subscribe: bool, topic: &[u8]) -> Message {
        Message::single(subscription_message(subscribe, topic))
    }

    /// A subscriber's connection went: queues the cancellations to pass up (the
    /// topics it asked for in manual mode; otherwise those no subscriber has any
    /// more, or all of them with `verboser`), and forgets it as the last pipe.
    fn departed(&mut self, pipe: Arc<Pipe>, applied: Vec<Dropped>, requested: Vec<Dropped>) {
        let id = pipe.id();
        if let Some(u) = self.unread.get_mut(&id) {
            u.stale += std::mem::take(&mut u.live);
        }
        if self.last_pipe == Some(id) {
            self.last_pipe = None;
        }
        let reported: Vec<Dropped> = if self.manual {
            requested
        } else {
            applied
                .into_iter()
                .filter(|d| d.last || self.verboser)
                .collect()
        };
        for d in reported {
            self.events
                .push((pipe.clone(), XPub::event(false, &d.topic)));
        }
    }

    /// The application receives a subscription message from pipe `id`.
    fn received_subscription(&mut self, id: PipeId) {
        let Some(u) = self.unread.get_mut(&id) else {
            return;
        };
        if u.stale > 0 {
            u.stale -= 1;
            self.last_pipe = None;
        } else if u.live > 0 {
            u.live -= 1;
            self.last_pipe = Some(id);
        }
        if u.live == 0 && u.stale == 0 {
            self.unread.remove(&id);
        }
    }

    /// Manual mode: records what the peer on `pipe` asked for and passes it up.
    fn pass_up(&mut self, pipe: PipeId, subscribe: bool, topic: &[u8]) -> Option<Message> {
        if subscribe {
            self.requested.subscribe(pipe, topic)?;
        } else {
            self.requested.pipe(pipe)?;
            self.requested.unsubscribe(pipe, topic);
        }
        self.unread.entry(pipe).or_default().live += 1;
        Some(XPub::event(subscribe, topic))
    }
}

impl Pattern for XPub {
    fn options_changed(&mut self, options: &Options) {
        self.verboser = options.xpub_verboser;
        self.verbose = options.xpub_verbose || options.xpub_verboser;
        self.manual = options.xpub_manual;
        self.welcome = options.xpub_welcome_msg.clone().filter(|w| !w.is_empty());
    }

    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.fanout.attach(pipe);
        self.requested.attach(pipe);
    }

    fn disconnected(&mut self, id: PipeId) {
        if let Some(pipe) = self.fanout.pipe(id).cloned() {
            let applied = self.fanout.forget(id);
            let requested = self.requested.forget(id);
            self.departed(pipe, applied, requested);
        }
    }

    fn detach(&mut self, id: PipeId) {
        let requested = self
            .requested
            .detach(id)
            .map(|(_, topics)| topics)
            .unwrap_or_default();
        if let Some((pipe, applied)) = self.fanout.detach(id) {
            self.departed(pipe, applied, requested);
        }
    }

    fn send(&mut self, msg: Message, options: &Options) -> Result<(), SendError> {
        publish(&mut self.fanout, msg, options)
    }

    /// Subscriptions reach the application as single frames starting with `01` or
    /// `00` (a peer's message of that shape is always taken as a subscription); in
    /// manual mode, receiving one names the pipe the next `subscribe` applies to.
    fn recv(&mut self, pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        if msg.len() == 1 && matches!(msg[0].first(), Some(0 | 1)) {
            self.received_subscription(pipe);
        }
        Ok(Some(msg))
    }

    /// A cancellation for a departed subscriber: as in libzmq, receiving it leaves
    /// manual mode with no last pipe.
    fn recv_event(&mut self, _pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        self.last_pipe = None;
        Ok(Some(msg))
    }

    fn subscription(&mut self, pipe: PipeId, subscribe: bool, topic: Bytes) -> Option<Message> {
        if self.manual {
            return self.pass_up(pipe, subscribe, &topic);
        }
        let report = if subscribe {
            self.fanout.subscribe(pipe, &topic)? || self.verbose
        } else {
            match self.fanout.unsubscribe(pipe, &topic) {
                Removed::Last => true,
                Removed::Remaining => self.verboser,
                Removed::NotFound => false,
            }
        };
        report.then(|| XPub::event(subscribe, &topic))
    }

    /// XPUB_MANUAL: applies a subscription to the last pipe (none: nothing happens,
    /// as in libzmq). Without it an XPUB takes no subscription from its application.
    fn set_subscription(&mut self, subscribe: bool, topic: Bytes) -> Result<(), Error> {
        if !self.manual {
            return Err(Error::InvalidOption {
                option: "subscribe",
                reason: "an XPUB takes subscriptions only with xpub_manual".into(),
            });
        }
        if let Some(pipe) = self.last_pipe {
            if subscribe {
                self.fanout.subscribe(pipe, &topic);
            } else {
                self.fanout.unsubscribe(pipe, &topic);
            }
        }
        Ok(())
    }

    fn greeting_traffic(&self) -> Vec<Outbound> {
        self.welcome
            .iter()
            .map(|w| Outbound::Message(Message::single(w.clone())))
            .collect()
    }

    fn take_events(&mut self) -> Vec<(Arc<Pipe>, Message)> {
        std::mem::take(&mut self.events)
    }
}

/// SUB: receives the messages matching its subscriptions; cannot send.
#[derive(Debug, Default)]
pub(crate) struct Sub {
    upstream: Upstream,
    /// `invert_matching`: deliver what matches no subscription.
    invert: bool,
}

impl Pattern for Sub {
    /// Subscribed to everything (the empty topic, not inverted), a SUB passes
    /// every message as it is: a run then waits undecoded until the application
    /// takes its messages, instead of being decoded and filtered under the
    /// socket's lock (PUB→4 SUB at 256 B on two cores: 761–896k → 973k–1028k
    /// messages per second per subscriber).
    fn plain_recv(&self) -> bool {
        !self.invert && self.upstream.matches_all()
    }

    fn filters_recv(&self) -> bool {
        true
    }

    fn options_changed(&mut self, options: &Options) {
        self.invert = options.invert_matching;
    }

    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.upstream.attach(pipe);
    }

    fn ready(&mut self, pipe: &Arc<Pipe>, _peer: &PeerInfo) -> Result<(), String> {
        self.upstream.ready(pipe.id());
        Ok(())
    }

    fn disconnected(&mut self, id: PipeId) {
        self.upstream.disconnected(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.upstream.detach(id);
    }

    fn send(&mut self, _msg: Message, _options: &Options) -> Result<(), SendError> {
        Err(SendError::Refused(not_supported("send", SocketType::Sub)))
    }

    /// Publishers filter already; this check covers messages sent before a
    /// cancellation reached them, and publishers that do not filter.
    fn recv(&mut self, _pipe: PipeId, msg: Message) -> Result<Option<Message>, Error> {
        Ok(self.passes(&msg).then_some(msg))
    }

    fn passes(&self, msg: &Message) -> bool {
        let first = msg.first().map_or(&[][..], |f| &f[..]);
        self.upstream.matches(first) != self.invert
    }

    fn set_subscription(&mut self, subscribe: bool, topic: Bytes) -> Result<(), Error> {
        if subscribe {
            self.upstream.subscribe(topic, false);
        } else {
            self.upstream.unsubscribe(topic, false);
        }
        Ok(())
    }

    fn greeting_traffic(&self) -> Vec<Outbound> {
        self.upstream.greeting()
    }
}

/// XSUB: receives everything its publishers send; sending `01‖topic` subscribes,
/// `00‖topic` unsubscribes, and any other message goes to every publisher.
#[derive(Debug, Default)]
pub(crate) struct XSub {
    upstream: Upstream,
    /// XSUB_VERBOSE_UNSUBSCRIBE: forward every cancellation.
    verbose_unsubscribe: bool,
}

impl XSub {
    /// A subscription (or cancellation) from the application, as libzmq's XSUB
    /// handles it: every subscription is forwarded, a cancellation only when it
    /// removes the topic's last one, or always with XSUB_VERBOSE_UNSUBSCRIBE.
    fn apply(&mut self, subscribe: bool, topic: Bytes) {
        if subscribe {
            self.upstream.subscribe(topic, true);
        } else {
            self.upstream.unsubscribe(topic, self.verbose_unsubscribe);
        }
    }
}

impl Pattern for XSub {
    fn options_changed(&mut self, options: &Options) {
        self.verbose_unsubscribe = options.xsub_verbose_unsubscribe;
    }

    fn attach(&mut self, pipe: &Arc<Pipe>) {
        self.upstream.attach(pipe);
    }

    fn ready(&mut self, pipe: &Arc<Pipe>, _peer: &PeerInfo) -> Result<(), String> {
        self.upstream.ready(pipe.id());
        Ok(())
    }

    fn disconnected(&mut self, id: PipeId) {
        self.upstream.disconnected(id);
    }

    fn detach(&mut self, id: PipeId) {
        self.upstream.detach(id);
    }

    /// A message whose first frame starts with `01` or `00` is a batch of
    /// subscriptions, one per frame (as in libzmq, each frame by its own first byte;
    /// frames starting otherwise are ignored). Anything else goes upstream.
    fn send(&mut self, msg: Message, _options: &Options) -> Result<(), SendError> {
        if !matches!(msg.first().and_then(|f| f.first()), Some(0 | 1)) {
            self.upstream.send_all(&msg);
            return Ok(());
        }
        for frame in msg {
            match frame.first() {
                Some(&1) => self.apply(true, frame.slice(1..)),
                Some(&0) => self.apply(false, frame.slice(1..)),
                _ => {}
            }
        }
        Ok(())
    }

    /// The same as sending `01‖topic` / `00‖topic`.
    fn set_subscription(&mut self, subscribe: bool, topic: Bytes) -> Result<(), Error> {
        self.apply(subscribe, topic);
        Ok(())
    }

    fn greeting_traffic(&self) -> Vec<Outbound> {
        self.upstream.greeting()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manual_xpub() -> XPub {
        let mut x = XPub::default();
        let mut o = Options::for_type(SocketType::XPub);
        o.xpub_manual = true;
        x.options_changed(&o);
        x
    }

    /// Receives everything `x` passed up for `pipe`, as the socket would.
    fn receive(x: &mut XPub, pipe: PipeId, up: Option<Message>) {
        let msg = up.expect("manual mode passes everything up");
        assert_eq!(x.recv(pipe, msg).unwrap().map(|m| m.len()), Some(1));
    }

    /// Publishes `topic` and returns how many messages `pipe` holds.
    fn publish_to(x: &mut XPub, topic: &'static str, pipe: &Pipe) -> usize {
        let options = Options::for_type(SocketType::XPub);
        x.send(Message::from(topic), &options).unwrap();
        pipe.queued()
    }

    #[test]
    fn manual_mode_applies_to_the_last_pipe_of_a_live_connection() {
        let mut x = manual_xpub();
        let a = Arc::new(Pipe::new(0, 0));
        x.attach(&a);
        let before = x.subscription(a.id(), true, Bytes::from_static(b"t"));
        // The connection goes before the application receives its subscription.
        x.disconnected(a.id());
        let events = x.take_events();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].1, Message::from(&b"\x00t"[..]));
        receive(&mut x, a.id(), before);
        x.set_subscription(true, Bytes::from_static(b"t")).unwrap();
        assert_eq!(
            publish_to(&mut x, "t1", &a),
            0,
            "applied to a gone connection"
        );

        // The next connection's subscription names the pipe again.
        let after = x.subscription(a.id(), true, Bytes::from_static(b"t"));
        receive(&mut x, a.id(), after);
        x.set_subscription(true, Bytes::from_static(b"t")).unwrap();
        assert_eq!(publish_to(&mut x, "t2", &a), 1);
        assert!(x.unread.is_empty());
    }
}
