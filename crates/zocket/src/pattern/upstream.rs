//! The subscriber side of publish-subscribe: the application's subscriptions and
//! their propagation to every publisher, now and after each (re)connection.
//!
//! A subscription is sent on pipes whose handshake has completed; a pipe that is
//! still connecting gets the whole set as its greeting traffic instead, so nothing
//! is sent twice. When a connecter pipe loses its connection, whatever it still
//! queues is dropped (libzmq's pipe "hiccup"): the next connection starts with the
//! full, current set. Subscriptions are queued whatever the HWM (libzmq would drop
//! one at the mark), so the publisher's view never silently diverges.

use std::sync::Arc;

use bytes::Bytes;
use zocket_proto::Message;

use super::trie::PrefixTrie;
use crate::pipe::{Outbound, Pipe, PipeId};

#[derive(Debug)]
struct Publisher {
    pipe: Arc<Pipe>,
    /// The handshake completed: commands go on the pipe, not in the greeting.
    ready: bool,
}

/// Counted subscriptions and the publishers they are sent to.
#[derive(Debug, Default)]
pub(crate) struct Upstream {
    publishers: Vec<Publisher>,
    topics: PrefixTrie<u32>,
}

impl Upstream {
    /// Adds a pipe whose handshake has not completed yet.
    pub(crate) fn attach(&mut self, pipe: &Arc<Pipe>) {
        if !self.publishers.iter().any(|p| p.pipe.id() == pipe.id()) {
            self.publishers.push(Publisher {
                pipe: pipe.clone(),
                ready: false,
            });
        }
    }

    /// The handshake on pipe `id` completed; [`greeting`](Self::greeting) is sent
    /// on it now, and later changes as they happen.
    pub(crate) fn ready(&mut self, id: PipeId) {
        if let Some(p) = self.publishers.iter_mut().find(|p| p.pipe.id() == id) {
            p.ready = true;
        }
    }

    /// The connection of pipe `id` went away: what it still queues is dropped, and
    /// the next connection gets the whole set again.
    pub(crate) fn disconnected(&mut self, id: PipeId) {
        if let Some(p) = self.publishers.iter_mut().find(|p| p.pipe.id() == id) {
            p.ready = false;
            p.pipe.clear();
        }
    }

    /// Removes a pipe.
    pub(crate) fn detach(&mut self, id: PipeId) {
        self.publishers.retain(|p| p.pipe.id() != id);
    }

    fn broadcast(&self, command: &Outbound) {
        for p in self.publishers.iter().filter(|p| p.ready) {
            p.pipe.force_push(command.clone());
        }
    }

    /// Records one subscription to `topic` and sends it to the publishers if the
    /// topic is new, or every time with `always_send` (XSUB: a proxy forwards each
    /// subscription so that an XPUB_VERBOSE publisher sees them all).
    pub(crate) fn subscribe(&mut self, topic: Bytes, always_send: bool) {
        let first = self.topics.upsert(&topic, |n| {
            *n += 1;
            *n == 1
        });
        if first || always_send {
            self.broadcast(&Outbound::Subscribe(topic));
        }
    }

    /// Removes one subscription to `topic`, sending CANCEL when it was the last, or
    /// every time with `always_send` (XSUB_VERBOSE_UNSUBSCRIBE: even for a topic not
    /// subscribed to). Returns whether there was one (libzmq silently ignores the
    /// others).
    pub(crate) fn unsubscribe(&mut self, topic: Bytes, always_send: bool) -> bool {
        let last = self.topics.update(&topic, |n| {
            *n -= 1;
            *n == 0
        });
        if last == Some(true) || always_send {
            self.broadcast(&Outbound::Cancel(topic));
        }
        last.is_some()
    }

    /// Whether a subscription matches a message whose first frame is `first`.
    pub(crate) fn matches(&self, first: &[u8]) -> bool {
        self.topics.has_prefix_of(first)
    }

    /// Whether every message matches (the empty topic is subscribed).
    #[inline]
    pub(crate) fn matches_all(&self) -> bool {
        self.topics.has_empty_key()
    }

    /// Every subscribed topic once, to send first on a new connection.
    pub(crate) fn greeting(&self) -> Vec<Outbound> {
        let mut out = Vec::new();
        self.topics.for_each(|topic, _| {
            out.push(Outbound::Subscribe(Bytes::copy_from_slice(topic)));
        });
        out
    }

    /// Queues a message on every publisher's pipe (connected or not); a pipe at its
    /// HWM misses it.
    pub(crate) fn send_all(&self, msg: &Message) {
        for p in &self.publishers {
            p.pipe.try_push_copy(msg);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commands(p: &Pipe) -> Vec<String> {
        let mut out = Vec::new();
        p.drain(&mut out, usize::MAX);
        out.into_iter()
            .map(|o| match o {
                Outbound::Subscribe(t) => format!("+{}", String::from_utf8_lossy(&t)),
                Outbound::Cancel(t) => format!("-{}", String::from_utf8_lossy(&t)),
                Outbound::Message(m) => format!("m{}", String::from_utf8_lossy(&m[0])),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    fn greeting(u: &Upstream) -> Vec<String> {
        u.greeting()
            .into_iter()
            .map(|o| match o {
                Outbound::Subscribe(t) => String::from_utf8_lossy(&t).into_owned(),
                other => panic!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn sends_to_ready_pipes_and_greets_the_others() {
        let (a, b) = (Arc::new(Pipe::new(1, 0)), Arc::new(Pipe::new(1, 0)));
        let mut u = Upstream::default();
        u.attach(&a);
        u.attach(&b);
        u.ready(a.id());
        u.subscribe(Bytes::from_static(b"x"), false);
        u.subscribe(Bytes::from_static(b"x"), false);
        u.subscribe(Bytes::from_static(b"y"), false);
        // At and past the HWM of 1: subscriptions are never dropped.
        assert_eq!(commands(&a), ["+x", "+y"]);
        assert!(commands(&b).is_empty());
        assert_eq!(greeting(&u), ["x", "y"]);
        assert!(u.unsubscribe(Bytes::from_static(b"x"), false));
        assert!(commands(&a).is_empty(), "x still counted once");
        assert!(u.unsubscribe(Bytes::from_static(b"x"), false));
        assert!(!u.unsubscribe(Bytes::from_static(b"x"), false));
        assert_eq!(commands(&a), ["-x"]);
        assert_eq!(greeting(&u), ["y"]);
        assert!(u.matches(b"yes") && !u.matches(b"x"));
    }

    #[test]
    fn always_send_forwards_duplicates() {
        let a = Arc::new(Pipe::new(0, 0));
        let mut u = Upstream::default();
        u.attach(&a);
        u.ready(a.id());
        u.subscribe(Bytes::from_static(b"x"), true);
        u.subscribe(Bytes::from_static(b"x"), true);
        u.unsubscribe(Bytes::from_static(b"x"), false);
        u.unsubscribe(Bytes::from_static(b"x"), false);
        assert_eq!(commands(&a), ["+x", "+x", "-x"]);
        // Verbose cancellations: each one, known topic or not.
        u.subscribe(Bytes::from_static(b"y"), true);
        u.subscribe(Bytes::from_static(b"y"), true);
        assert!(u.unsubscribe(Bytes::from_static(b"y"), true));
        assert!(!u.unsubscribe(Bytes::from_static(b"never"), true));
        assert!(u.unsubscribe(Bytes::from_static(b"y"), true));
        assert!(!u.unsubscribe(Bytes::from_static(b"y"), true));
        assert_eq!(commands(&a), ["+y", "+y", "-y", "-never", "-y", "-y"]);
        assert!(u.greeting().is_empty());
    }

    #[test]
    fn disconnection_drops_queued_traffic_until_the_next_handshake() {
        let a = Arc::new(Pipe::new(0, 0));
        let mut u = Upstream::default();
        u.attach(&a);
        u.ready(a.id());
        u.subscribe(Bytes::from_static(b"x"), false);
        u.send_all(&Message::from("up"));
        u.disconnected(a.id());
        assert!(commands(&a).is_empty());
        u.subscribe(Bytes::from_static(b"z"), false);
        assert!(commands(&a).is_empty(), "the greeting carries it");
        u.ready(a.id());
        u.unsubscribe(Bytes::from_static(b"x"), false);
        assert_eq!(commands(&a), ["-x"]);
        u.detach(a.id());
        u.send_all(&Message::from("lost"));
        assert!(commands(&a).is_empty());
    }
}
