//! Who polls an engine: its own task, or a receive that would otherwise wait.
//!
//! An engine future lives in an [`EngineCell`]. Its task polls it whenever the
//! engine is woken. But while the application waits in a receive on a socket with
//! a few connections, the engines' wake-ups go to that receive instead, which
//! polls the woken engine on its own thread: the bytes that arrive are read,
//! decoded and handed up there, without a run of the engine's task in between (on
//! a multi-thread runtime the I/O worker only wakes the application; the raw-TCP
//! peer's layout). The engine is the same state machine whoever polls it, and a
//! panic in it (a bug) is raised in the engine's task whoever polled it, as when
//! the task alone polled it.
//!
//! Whoever polls holds the cell's lock. A wake-up that comes while another holds it
//! is not lost: every wake-up sets `woken`, each poll clears it first, and the
//! holder polls again when it finds it set after letting go.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use crate::core::Core;
use crate::transport::hint::ReadHint;

/// A connection's engine, boxed so that any thread may poll it. Its result is
/// handed out by [`drive`].
pub(crate) type BoxEngine = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Polls in a row by one holder while wake-ups keep coming, before it hands the
/// engine to whoever its next wake-up goes to (a bound, so that an engine that
/// wakes itself, e.g. out of cooperative budget, cannot hold a receive for ever).
const MAX_POLLS_IN_A_ROW: usize = 4;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// One connection's engine and who to wake when it has work.
pub(crate) struct EngineCell {
    /// The engine, until it ends.
    engine: Mutex<Option<BoxEngine>>,
    /// Whether a poll holds `engine` (a receive does not wait for it to let go).
    polling: AtomicBool,
    /// Whether the engine ended, for its task.
    done: AtomicBool,
    /// A panic of the engine while a receive polled it, for its task to raise.
    panic: Mutex<Option<Box<dyn Any + Send>>>,
    /// Set by every wake-up of the engine, cleared before each poll.
    woken: AtomicBool,
    /// Whether `receiver` holds the waker of a receive waiting on this engine.
    receiver_waiting: AtomicBool,
    receiver: Mutex<Option<Waker>>,
    /// The engine's own task.
    task: Mutex<Option<Waker>>,
    /// The runtime the engine's I/O and timers belong to, entered by a receive
    /// that polls it from elsewhere.
    runtime: tokio::runtime::Handle,
    /// The connection's socket, for a blocking receive to sleep on.
    hint: Option<Arc<ReadHint>>,
}

impl std::fmt::Debug for EngineCell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineCell")
            .field("polling", &self.polling.load(Ordering::Relaxed))
            .field("woken", &self.woken.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Wake for EngineCell {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::SeqCst);
        let receiver = if self.receiver_waiting.load(Ordering::SeqCst) {
            lock(&self.receiver).clone()
        } else {
            None
        };
        match receiver {
            Some(w) => w.wake(),
            None => {
                if let Some(w) = lock(&self.task).as_ref() {
                    w.wake_by_ref();
                }
            }
        }
    }
}

impl EngineCell {
    /// A cell for `engine`, on the current runtime (call it from one); `hint` is
    /// its connection's socket, when a blocking receive may sleep on it.
    pub(crate) fn new(engine: BoxEngine, hint: Option<Arc<ReadHint>>) -> Arc<EngineCell> {
        Arc::new(EngineCell {
            engine: Mutex::new(Some(engine)),
            polling: AtomicBool::new(false),
            done: AtomicBool::new(false),
            panic: Mutex::new(None),
            woken: AtomicBool::new(false),
            receiver_waiting: AtomicBool::new(false),
            receiver: Mutex::new(None),
            task: Mutex::new(None),
            runtime: tokio::runtime::Handle::current(),
            hint,
        })
    }

    /// The connection's socket, if a blocking receive may sleep on it.
    pub(crate) fn hint(&self) -> Option<&Arc<ReadHint>> {
        self.hint.as_ref()
    }

    /// Runs the engine from its own task until it ends; a receive may poll it in
    /// between.
    pub(crate) async fn run(self: &Arc<Self>) {
        std::future::poll_fn(|cx| {
            {
                let mut task = lock(&self.task);
                if !task.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    *task = Some(cx.waker().clone());
                }
            }
            self.poll_engine(false);
            if self.done.load(Ordering::SeqCst) {
                if let Some(panic) = lock(&self.panic).take() {
                    std::panic::resume_unwind(panic);
                }
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await
    }

    /// Drops the engine (its task was aborted): the connection closes.
    pub(crate) fn stop(&self) {
        let engine = lock(&self.engine).take();
        drop(engine);
    }

    /// Polls the engine unless another poll holds it (that one polls again if a
    /// wake-up came meanwhile). Returns whether this call polled.
    pub(crate) fn poll_engine(self: &Arc<Self>, from_receiver: bool) -> bool {
        let mut polled = false;
        for _ in 0..MAX_POLLS_IN_A_ROW {
            let Ok(mut engine) = self.engine.try_lock() else {
                return polled;
            };
            let Some(fut) = engine.as_mut() else {
                return polled;
            };
            self.polling.store(true, Ordering::SeqCst);
            self.woken.store(false, Ordering::SeqCst);
            let waker = Waker::from(self.clone());
            let result = if from_receiver {
                let _entered = self.runtime.enter();
                std::panic::catch_unwind(AssertUnwindSafe(|| {
                    fut.as_mut().poll(&mut Context::from_waker(&waker))
                }))
                .unwrap_or_else(|panic| {
                    *lock(&self.panic) = Some(panic);
                    Poll::Ready(())
                })
            } else {
                fut.as_mut().poll(&mut Context::from_waker(&waker))
            };
            polled = true;
            if result.is_ready() {
                *engine = None;
                self.polling.store(false, Ordering::SeqCst);
                drop(engine);
                self.done.store(true, Ordering::SeqCst);
                if let Some(task) = lock(&self.task).as_ref() {
                    task.wake_by_ref();
                }
                return true;
            }
            self.polling.store(false, Ordering::SeqCst);
            drop(engine);
            // Pairs with the fence in a wake-up's path (the SeqCst store of
            // `woken` before its waker is looked up): either that wake-up finds
            // the lock free, or this load sees its flag.
            fence(Ordering::SeqCst);
            if !self.woken.load(Ordering::SeqCst) {
                return true;
            }
        }
        // Still woken after as many polls: whoever the wake-up goes to now polls
        // next.
        self.wake_by_ref();
        polled
    }

    /// Whether a wake-up came that no poll has taken yet, with nobody polling now.
    pub(crate) fn needs_poll(&self) -> bool {
        (self.woken.load(Ordering::SeqCst) || self.hint.as_ref().is_some_and(|h| h.is_marked()))
            && !self.polling.load(Ordering::SeqCst)
    }

    /// A receive waits on this engine: its wake-ups go to `waker` from now on.
    pub(crate) fn receiver_waits(&self, waker: &Waker) {
        let mut receiver = lock(&self.receiver);
        if !receiver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *receiver = Some(waker.clone());
        }
        self.receiver_waiting.store(true, Ordering::SeqCst);
    }

    /// The receive that registered `waker` stops waiting: wake-ups go to the
    /// engine's task again, and one that came meanwhile and was not taken is
    /// passed on to it.
    pub(crate) fn receiver_leaves(self: &Arc<Self>, waker: &Waker) {
        {
            let mut receiver = lock(&self.receiver);
            if !receiver.as_ref().is_some_and(|w| w.will_wake(waker)) {
                return;
            }
            *receiver = None;
            self.receiver_waiting.store(false, Ordering::SeqCst);
        }
        fence(Ordering::SeqCst);
        if self.needs_poll() {
            if let Some(task) = lock(&self.task).as_ref() {
                task.wake_by_ref();
            }
        }
    }
}

/// Runs `engine` in a cell from the calling task until it ends, listed with
/// `core` (the socket whose receives may poll it) meanwhile; `hint` is its
/// connection's socket, when a blocking receive may sleep on it (see
/// [`transport::hint`](crate::transport::hint)).
pub(crate) async fn drive<T: Send + 'static>(
    core: &Core,
    hint: Option<Arc<ReadHint>>,
    engine: impl Future<Output = T> + Send + 'static,
) -> T {
    let out = Arc::new(Mutex::new(None));
    let slot = out.clone();
    let engine = Box::pin(async move {
        let result = engine.await;
        *lock(&slot) = Some(result);
    });
    let cell = EngineCell::new(engine, hint);
    let _listed = core.register_engine(&cell);
    cell.run().await;
    let result = lock(&out).take();
    result.expect("an engine that ended left its result")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A waker that counts its wake-ups.
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Count>, Waker) {
        let c = Arc::new(Count(AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    /// An engine that stays pending and keeps the waker it was polled with.
    fn pending_engine(seen: Arc<Mutex<Option<Waker>>>) -> BoxEngine {
        Box::pin(std::future::poll_fn(move |cx| {
            *lock(&seen) = Some(cx.waker().clone());
            Poll::Pending
        }))
    }

    #[tokio::test]
    async fn a_wake_up_goes_to_the_waiting_receiver_and_back_to_the_task_when_it_leaves() {
        let seen = Arc::new(Mutex::new(None));
        let cell = EngineCell::new(pending_engine(seen.clone()), None);
        let (task_count, task) = counter();
        *lock(&cell.task) = Some(task);
        assert!(cell.poll_engine(false));
        let engine_waker = lock(&seen).clone().expect("polled");

        let (recv_count, receiver) = counter();
        cell.receiver_waits(&receiver);
        engine_waker.wake_by_ref();
        assert_eq!(recv_count.0.load(Ordering::SeqCst), 1);
        assert_eq!(task_count.0.load(Ordering::SeqCst), 0);
        assert!(cell.needs_poll());

        // The receive leaves without polling: its wake-up is passed to the task.
        cell.receiver_leaves(&receiver);
        assert_eq!(task_count.0.load(Ordering::SeqCst), 1);
        engine_waker.wake_by_ref();
        assert_eq!(task_count.0.load(Ordering::SeqCst), 2);
        assert_eq!(recv_count.0.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_wake_up_during_a_poll_is_polled_again_by_the_holder() {
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        // Wakes itself on its first poll only, as a wake-up from another thread
        // arriving mid-poll would.
        let engine: BoxEngine = Box::pin(std::future::poll_fn(move |cx| {
            if p.fetch_add(1, Ordering::SeqCst) == 0 {
                cx.waker().wake_by_ref();
            }
            Poll::Pending
        }));
        let cell = EngineCell::new(engine, None);
        assert!(cell.poll_engine(true));
        assert_eq!(polls.load(Ordering::SeqCst), 2);
        assert!(!cell.needs_poll());
    }

    #[tokio::test]
    async fn an_engine_that_keeps_waking_itself_is_handed_on_after_a_bounded_number_of_polls() {
        let polls = Arc::new(AtomicUsize::new(0));
        let p = polls.clone();
        let engine: BoxEngine = Box::pin(std::future::poll_fn(move |cx| {
            p.fetch_add(1, Ordering::SeqCst);
            cx.waker().wake_by_ref();
            Poll::Pending
        }));
        let cell = EngineCell::new(engine, None);
        let (task_count, task) = counter();
        *lock(&cell.task) = Some(task);
        cell.poll_engine(true);
        assert_eq!(polls.load(Ordering::SeqCst), MAX_POLLS_IN_A_ROW);
        assert!(task_count.0.load(Ordering::SeqCst) >= 1);
    }

    #[tokio::test]
    async fn a_panic_while_a_receiver_polls_is_raised_in_the_engines_task() {
        let cell = EngineCell::new(Box::pin(async { panic!("engine bug") }), None);
        // The receive is not hurt...
        assert!(cell.poll_engine(true));
        // ...the engine's task raises it, where tokio reports it as before.
        let task = tokio::spawn({
            let cell = cell.clone();
            async move { cell.run().await }
        });
        let err = task.await.expect_err("the task panics");
        assert!(err.is_panic());
    }

    #[tokio::test]
    async fn the_task_ends_even_when_a_receiver_polled_the_engine_to_its_end() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let cell = EngineCell::new(
            Box::pin(async move { r.store(true, Ordering::SeqCst) }),
            None,
        );
        assert!(cell.poll_engine(true));
        assert!(ran.load(Ordering::SeqCst));
        cell.run().await;
        // Nothing is left to poll.
        assert!(!cell.poll_engine(true));
    }
}
