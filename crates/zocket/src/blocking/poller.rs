//! Where a blocking receive sleeps: a poller of the calling thread's own.
//!
//! `Handle::block_on` parks the calling thread until a waker wakes it; on a
//! multi-thread runtime the waker of a receive is called by the worker whose
//! `epoll_wait` saw the bytes arrive, so a reply wakes two threads one after the
//! other. The poller instead runs the receive itself and sleeps in an epoll
//! instance (mio) that both the receive's wakers and the sockets of the
//! connections it reads itself (see [`crate::engine::drive`]) can end: a reply
//! then wakes the receiving thread directly, and the engine's read half reads
//! it at once (see [`crate::transport::hint`]).

use std::future::Future;
use std::io;
use std::os::fd::RawFd;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use mio::unix::SourceFd;
use mio::{Events, Interest, Token};

use crate::core::Core;
use crate::transport::hint::ReadHint;

/// The token of the poller's waker (a connection's token is its descriptor).
const WAKER: Token = Token(usize::MAX);

/// A waker that ends the poller's sleep.
struct EndSleep(mio::Waker);

impl Wake for EndSleep {
    fn wake(self: Arc<Self>) {
        let _ = self.0.wake();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let _ = self.0.wake();
    }
}

/// A blocking socket's poller (one receive at a time uses it).
pub(crate) struct Poller {
    poll: mio::Poll,
    events: Events,
    waker: Waker,
    /// The sockets registered with `poll`.
    registered: Vec<Arc<ReadHint>>,
    /// The sockets the current wait reads itself (reused between waits).
    wanted: Vec<Arc<ReadHint>>,
}

impl std::fmt::Debug for Poller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poller")
            .field("registered", &self.registered.len())
            .finish_non_exhaustive()
    }
}

impl Poller {
    pub(crate) fn new() -> io::Result<Poller> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER)?;
        Ok(Poller {
            poll,
            events: Events::with_capacity(16),
            waker: Waker::from(Arc::new(EndSleep(waker))),
            registered: Vec::new(),
            wanted: Vec::new(),
        })
    }

    /// Runs `fut`, a wait of `core`'s, to completion on the calling thread (which
    /// must not be inside a runtime), with `runtime` driving timers and the
    /// engines' own I/O.
    pub(crate) fn block_on<F: Future>(
        &mut self,
        runtime: &tokio::runtime::Handle,
        core: &Core,
        fut: F,
    ) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        let waker = self.waker.clone();
        let mut cx = Context::from_waker(&waker);
        loop {
            {
                let _entered = runtime.enter();
                if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
                    return out;
                }
            }
            core.read_hints(&mut self.wanted);
            self.register();
            match self.poll.poll(&mut self.events, None) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Sleep as `block_on` does (never seen: epoll_wait fails only
                // on bad arguments).
                Err(_) => return runtime.block_on(fut),
            }
            for event in self.events.iter() {
                if event.token() == WAKER {
                    continue;
                }
                if let Some(hint) = self
                    .registered
                    .iter()
                    .find(|h| token_of(h.fd()) == event.token())
                {
                    hint.mark_readable();
                }
            }
        }
    }

    /// Registers the sockets of `wanted` and forgets the others.
    fn register(&mut self) {
        let same = self.registered.len() == self.wanted.len()
            && self
                .registered
                .iter()
                .zip(&self.wanted)
                .all(|(a, b)| Arc::ptr_eq(a, b));
        if same {
            return;
        }
        let registry = self.poll.registry();
        for gone in &self.registered {
            if !self.wanted.iter().any(|w| Arc::ptr_eq(w, gone)) {
                // A closed socket left the epoll set by itself; an error then
                // means just that.
                let _ = registry.deregister(&mut SourceFd(&gone.fd()));
            }
        }
        for new in &self.wanted {
            if !self.registered.iter().any(|r| Arc::ptr_eq(r, new)) {
                let fd = new.fd();
                let source = &mut SourceFd(&fd);
                if registry
                    .register(source, token_of(fd), Interest::READABLE)
                    .is_err()
                {
                    let _ = registry.reregister(source, token_of(fd), Interest::READABLE);
                }
            }
        }
        self.registered.clone_from(&self.wanted);
    }
}

fn token_of(fd: RawFd) -> Token {
    Token(usize::try_from(fd).unwrap_or(0))
}
