//! A wake-up for the sends or receives that wait on a socket, which costs its
//! notifier one fence and one load while none waits.
//!
//! A [`tokio::sync::Notify`] takes its lock on every `notify_waiters`, waiter or
//! not: once per batch an engine hands up, and once per round trip for a receive
//! that polls its connection's engine itself (the delivery it makes on its own
//! thread then wakes nobody but itself, and its next wait starts with a spurious
//! turn). A [`Signal`] counts its waiters and skips the `Notify` when there are
//! none.

use std::sync::atomic::{AtomicUsize, Ordering, fence};

use tokio::sync::{Notify, futures::Notified};

/// Wakes the waits registered with [`waiter`](Signal::waiter) when something they
/// wait for happened.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    notify: Notify,
    waiters: AtomicUsize,
    /// Moved on by every [`notify`](Signal::notify) and [`changed`](Signal::changed):
    /// a wait that sees the same count before its last check and after its
    /// registration knows that nothing changed in between (see
    /// [`notices`](Signal::notices)).
    notices: AtomicUsize,
}

/// A registered wait: while it lives, [`Signal::notify`] wakes the
/// [`notified`](Waiter::notified) futures made from it.
///
/// Register first, then check the condition, then wait: the notifier changes
/// the state first and then looks for waiters, so either the check sees the
/// change or the notifier sees the waiter.
#[derive(Debug)]
pub(crate) struct Waiter<'a> {
    signal: &'a Signal,
}

impl Signal {
    /// Wakes every wait registered now. Call it after the change it announces.
    pub(crate) fn notify(&self) {
        self.notices.fetch_add(1, Ordering::Relaxed);
        // Orders the change (made under a lock whose release does not order it
        // with the load below) before the look for waiters; pairs with the fence
        // in `waiter`.
        fence(Ordering::SeqCst);
        if self.waiters.load(Ordering::Relaxed) > 0 {
            self.notify.notify_waiters();
        }
    }

    /// Counts a change that wakes nobody (a wait registered now would not be
    /// woken for it) but that a wait's check may see: see
    /// [`notices`](Signal::notices).
    pub(crate) fn changed(&self) {
        self.notices.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::SeqCst);
    }

    /// How many changes were announced so far. A wait that read this before it
    /// last checked its condition, then registered (a [`waiter`](Signal::waiter)
    /// and its [`notified`](Waiter::notified) future, enabled) and reads the
    /// same count again, may skip checking the condition again: a change made
    /// after that check was announced after it, so either it moved the count
    /// that this second read sees (the two fences order it), or its
    /// notification came after the registration and wakes the wait.
    pub(crate) fn notices(&self) -> usize {
        fence(Ordering::SeqCst);
        self.notices.load(Ordering::Relaxed)
    }

    /// Registers a wait.
    pub(crate) fn waiter(&self) -> Waiter<'_> {
        self.waiters.fetch_add(1, Ordering::Relaxed);
        // Pairs with the fence in `notify`: either the notifier's look for
        // waiters sees this one, or the check that follows sees the change.
        fence(Ordering::SeqCst);
        Waiter { signal: self }
    }
}

impl<'a> Waiter<'a> {
    /// A future that completes at the next [`Signal::notify`] (made before the
    /// condition is checked: it sees every notification from its making on).
    ///
    /// It need not be enabled or polled first: a `Notify`'s `notify_waiters`,
    /// the only notification a `Signal` makes, reaches every `Notified` made
    /// before it (enabling it took the `Notify`'s lock once more per wait, and
    /// its first poll takes it anyway).
    pub(crate) fn notified(&self) -> Notified<'a> {
        self.signal.notify.notified()
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        self.signal.waiters.fetch_sub(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    #[tokio::test]
    async fn a_notification_without_waiters_is_skipped_and_a_registered_wait_is_woken() {
        let signal = Arc::new(Signal::default());
        // Nobody waits: nothing is stored for later (Notify::notify_waiters
        // semantics).
        signal.notify();
        let waiter = signal.waiter();
        let notified = waiter.notified();
        tokio::pin!(notified);
        assert!(
            tokio::time::timeout(Duration::from_millis(20), notified.as_mut())
                .await
                .is_err()
        );
        signal.notify();
        tokio::time::timeout(Duration::from_secs(5), notified)
            .await
            .expect("woken");
        drop(waiter);
        assert_eq!(signal.waiters.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_change_made_before_the_notification_is_never_missed() {
        // The register-check-wait order against change-then-notify, raced on two
        // threads many times: the waiter either sees the flag or is woken.
        for _ in 0..2000 {
            let signal = Arc::new(Signal::default());
            let flag = Arc::new(AtomicBool::new(false));
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .unwrap();
            let (s, f) = (signal.clone(), flag.clone());
            let notifier = std::thread::spawn(move || {
                f.store(true, Ordering::Relaxed);
                s.notify();
            });
            rt.block_on(async {
                let waiter = signal.waiter();
                let notified = waiter.notified();
                tokio::pin!(notified);
                // Not enabled: the making registers it (see `Waiter::notified`).
                if !flag.load(Ordering::Relaxed) {
                    tokio::time::timeout(Duration::from_secs(5), notified)
                        .await
                        .expect("a change is either seen or announced");
                }
            });
            notifier.join().unwrap();
        }
    }
}
