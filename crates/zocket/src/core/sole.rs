//! A thread's shortcut to the only pipe of a socket that sends to one pipe at
//! a time (PUSH, DEALER, PAIR), which skips the socket's lock.
//!
//! A send goes through the socket's lock so that the pattern can choose a
//! pipe, and then through the pipe's lock to queue. When the pattern has one
//! pipe to choose from, the first lock decides nothing, yet on a 2-vCPU Intel
//! Xeon its lock and unlock (two atomic read-modify-writes, which also wait for
//! the message's copy to leave the store buffer) took a quarter of the sending
//! thread's time at 16 B. So a send that went through the pattern to its only
//! pipe leaves that pipe in a per-thread slot, marked with the socket and the
//! socket's [`Gate`] generation; the thread's next send to the same socket
//! queues straight into the pipe while the generation stands. Every change to
//! the pattern's pipes (or to the options) moves the generation on, under the
//! socket's lock, so a slot that was filled before the change is not used
//! after it.
//!
//! A send that read the generation just before a change and queues just after
//! it is a send made before the change: its message is queued to the pipe it
//! had, as it would have been a moment earlier, and meets the fate of the
//! messages already there (a pipe being torn down refuses it, and the send
//! takes the socket's path). Sockets with IMMEDIATE set never take the shortcut:
//! there a pipe that lost its connection must not queue.
//!
//! A thread holds a reference to a pipe it remembered until it sends through
//! the shortcut of another socket that takes the same slot (one of
//! [`SLOTS`]), finds the pipe torn down, or exits: the pipe's queue (empty
//! once its engine has written it out, with a few reusable buffers) outlives
//! the socket on that thread for that long.

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::pipe::{Payload, Pipe};

/// Tells the sending threads whether the pipe they remember for a socket is
/// still its only one.
#[derive(Debug)]
pub(crate) struct Gate {
    /// Distinguishes this socket from every other of the process (an address
    /// can be reused once a socket is gone; this cannot).
    socket: u64,
    /// Moved on by every change to the pattern's pipes or the options.
    generation: AtomicU64,
}

/// A thread's remembered pipe: the only pipe of `socket`'s pattern while its
/// gate stood at `generation`.
struct Remembered {
    socket: u64,
    generation: u64,
    pipe: Arc<Pipe>,
}

/// Sockets a thread remembers a pipe for at once: socket `n` uses slot
/// `n % SLOTS`, so a thread that takes turns sending to a few such sockets
/// (sockets made one after another get slots of their own) keeps each one's
/// pipe instead of replacing one with the other at every send.
const SLOTS: usize = 4;

thread_local! {
    /// The pipes this thread last sent into through patterns that had only them.
    static REMEMBERED: [Cell<Option<Remembered>>; SLOTS] =
        const { [const { Cell::new(None) }; SLOTS] };
}

impl Remembered {
    /// Whether this is the pipe of `socket` at `generation`.
    fn is_for(&self, socket: u64, generation: u64) -> bool {
        self.socket == socket && self.generation == generation
    }
}

static NEXT_SOCKET: AtomicU64 = AtomicU64::new(1);

impl Default for Gate {
    fn default() -> Gate {
        Gate {
            socket: NEXT_SOCKET.fetch_add(1, Ordering::Relaxed),
            generation: AtomicU64::new(0),
        }
    }
}

impl Gate {
    /// This socket's slot among a thread's remembered pipes.
    fn slot<'a>(
        &self,
        slots: &'a [Cell<Option<Remembered>>; SLOTS],
    ) -> &'a Cell<Option<Remembered>> {
        &slots[(self.socket % SLOTS as u64) as usize]
    }

    /// The pattern's pipes or the options changed: no remembered pipe of this
    /// socket is used any more. Call it under the socket's lock, after the
    /// change.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Queues `msg` into the pipe this thread remembers for this socket, if the
    /// generation still stands; gives it back otherwise, or when the pipe is
    /// full or torn down (the caller then takes the socket's path).
    #[inline]
    pub(crate) fn try_push<P: Payload>(&self, msg: P) -> Result<(), P> {
        let generation = self.generation.load(Ordering::Acquire);
        // Taken out and put back, so that a send made from within the push (a
        // waker that runs code) finds the slot empty instead of borrowed, and
        // takes the socket's path. (No slot: the thread is exiting.)
        let Ok(remembered) = REMEMBERED.try_with(|slots| self.slot(slots).take()) else {
            return Err(msg);
        };
        let result = match &remembered {
            Some(r) if r.is_for(self.socket, generation) => r.pipe.try_push_payload(msg),
            _ => Err(msg),
        };
        // A pipe torn down is forgotten at once, and what it still holds with it.
        if remembered.as_ref().is_some_and(|r| !r.pipe.is_terminated()) {
            let _ = REMEMBERED.try_with(|slots| self.slot(slots).set(remembered));
        }
        result
    }

    /// A send went through the pattern, which has only `pipe`: this thread's
    /// next sends to the socket go straight to it. Call it under the socket's
    /// lock (where the generation cannot move).
    pub(crate) fn remember(&self, pipe: &Arc<Pipe>) {
        let generation = self.generation.load(Ordering::Acquire);
        let _ = REMEMBERED.try_with(|slots| {
            let slot = self.slot(slots);
            let old = slot.take();
            let same = old
                .as_ref()
                .is_some_and(|r| r.is_for(self.socket, generation) && r.pipe.id() == pipe.id());
            slot.set(if same {
                old
            } else {
                Some(Remembered {
                    socket: self.socket,
                    generation,
                    pipe: pipe.clone(),
                })
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use zocket_proto::{Message, SocketType};

    use super::*;
    use crate::core::Core;

    /// Whether this thread remembers a pipe of `core` that it would use.
    fn remembers(core: &Core) -> bool {
        let generation = core.sole.generation.load(Ordering::Acquire);
        REMEMBERED.with(|slots| {
            let slot = core.sole.slot(slots);
            let r = slot.take();
            let found = r
                .as_ref()
                .is_some_and(|r| r.is_for(core.sole.socket, generation));
            slot.set(r);
            found
        })
    }

    fn push_with(pipes: &[&Arc<Pipe>]) -> Arc<Core> {
        let core = Core::new(SocketType::Push).unwrap();
        for p in pipes {
            core.attach(p);
        }
        core
    }

    #[test]
    fn a_push_with_one_pipe_sends_without_the_socket_lock() {
        let pipe = Arc::new(Pipe::new(0, 0));
        let core = push_with(&[&pipe]);
        let (remembered_tx, remembered_rx) = mpsc::channel();
        let (locked_tx, locked_rx) = mpsc::channel();
        let (release_tx, release_rx) = mpsc::channel::<()>();
        let (sent_tx, sent_rx) = mpsc::channel();
        let core = &core;
        std::thread::scope(|s| {
            s.spawn(move || {
                // The first send takes the socket's path and remembers the pipe.
                assert_eq!(core.try_send_slice_once(b"m1").unwrap(), None);
                assert!(remembers(core));
                remembered_tx.send(()).unwrap();
                locked_rx.recv().unwrap();
                assert_eq!(core.try_send_slice_once(b"m2").unwrap(), None);
                sent_tx.send(()).unwrap();
            });
            s.spawn(move || {
                remembered_rx.recv().unwrap();
                let _st = core.state();
                locked_tx.send(()).unwrap();
                // Held until the second send is done (or the test has failed).
                let _ = release_rx.recv_timeout(Duration::from_secs(30));
            });
            let sent = sent_rx.recv_timeout(Duration::from_secs(10));
            release_tx.send(()).unwrap();
            assert!(sent.is_ok(), "the send waited for the socket's lock");
        });
        assert_eq!(pipe.queued(), 2);
    }

    #[test]
    fn a_second_pipe_ends_the_shortcut_and_sends_are_balanced_again() {
        let (a, b) = (Arc::new(Pipe::new(0, 0)), Arc::new(Pipe::new(0, 0)));
        let core = push_with(&[&a]);
        core.try_send_slice_once(b"m1").unwrap();
        assert!(remembers(&core));
        core.attach(&b);
        core.try_send_once(Message::from("m2")).unwrap();
        core.try_send_slice_once(b"m3").unwrap();
        assert_eq!((a.queued(), b.queued()), (2, 1));
        assert!(!remembers(&core), "two pipes: nothing to remember");
    }

    #[test]
    fn a_detached_pipe_gets_nothing_more_and_is_forgotten() {
        let pipe = Arc::new(Pipe::new(0, 0));
        let core = push_with(&[&pipe]);
        core.try_send_slice_once(b"m1").unwrap();
        core.detach(&pipe);
        assert_eq!(core.try_send_slice_once(b"m2").unwrap(), Some(&b"m2"[..]));
        assert_eq!(pipe.queued(), 1);
        assert!(!remembers(&core));
    }

    #[test]
    fn a_full_pipe_sends_the_message_back() {
        let pipe = Arc::new(Pipe::new(1, 0));
        let core = push_with(&[&pipe]);
        core.try_send_slice_once(b"m1").unwrap();
        assert!(remembers(&core));
        let back = core.try_send_once(Message::from("m2")).unwrap();
        assert_eq!(back.map(|m| m[0].clone()), Some(bytes::Bytes::from("m2")));
        assert_eq!(pipe.queued(), 1);
    }

    #[test]
    fn immediate_sockets_never_remember_a_pipe() {
        let pipe = Arc::new(Pipe::new(0, 0));
        let core = Core::new(SocketType::Push).unwrap();
        let mut o = core.options();
        o.immediate = true;
        core.set_options(o);
        core.attach(&pipe);
        core.try_send_slice_once(b"m1").unwrap();
        assert!(!remembers(&core));
        core.suspend(&pipe);
        assert!(core.try_send_slice_once(b"m2").unwrap().is_some());
        assert_eq!(pipe.queued(), 0, "cleared when suspended, nothing since");
    }

    #[test]
    fn an_options_change_ends_the_shortcut() {
        let pipe = Arc::new(Pipe::new(0, 0));
        let core = push_with(&[&pipe]);
        core.try_send_slice_once(b"m1").unwrap();
        assert!(remembers(&core));
        core.set_options(core.options());
        let before = core.sole.generation.load(Ordering::Acquire);
        core.try_send_slice_once(b"m2").unwrap();
        // Taken through the socket's path again, which remembers anew.
        assert!(remembers(&core));
        assert_eq!(core.sole.generation.load(Ordering::Acquire), before);
        assert_eq!(pipe.queued(), 2);
    }

    #[test]
    fn sockets_taking_turns_on_one_thread_keep_their_own_pipes() {
        let (a, b) = (Arc::new(Pipe::new(0, 0)), Arc::new(Pipe::new(0, 0)));
        let ca = push_with(&[&a]);
        // Other tests make sockets meanwhile: take one whose slot differs.
        let cb = std::iter::repeat_with(|| push_with(&[&b]))
            .take(64)
            .find(|cb| cb.sole.socket % SLOTS as u64 != ca.sole.socket % SLOTS as u64)
            .expect("a socket in another slot");
        for _ in 0..3 {
            ca.try_send_slice_once(b"a").unwrap();
            cb.try_send_slice_once(b"b").unwrap();
            // Each is still remembered after the other's send.
            assert!(remembers(&ca) && remembers(&cb));
        }
        assert_eq!((a.queued(), b.queued()), (3, 3));
    }

    #[test]
    fn pair_and_dealer_take_the_shortcut_req_does_not() {
        for (t, shortcut) in [
            (SocketType::Pair, true),
            (SocketType::Dealer, true),
            (SocketType::Req, false),
        ] {
            let pipe = Arc::new(Pipe::new(0, 0));
            let core = Core::new(t).unwrap();
            core.attach(&pipe);
            core.try_send_once(Message::from("m1")).unwrap();
            assert_eq!(remembers(&core), shortcut, "{t:?}");
        }
    }
}
