//! The ZMTP engine: one task per connection, driving a `zocket_proto::Session`
//! over a byte stream.
//!
//! Reads are decoded into many messages at once and handed up in one batch; queued
//! outbound messages are drained from the pipe in batches and leave in vectored
//! writes. The engine stops reading while the pipe's inbound side is at RCVHWM, so
//! TCP flow control pushes back on the sender.

use std::collections::VecDeque;
use std::future::Future;
use std::io::IoSlice;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use zocket_proto::session::Delivery;
use zocket_proto::{Command, Event, Session, SocketType};

use super::read_size::ReadSize;
use super::{ConnInfo, EngineExit};
use crate::core::Core;
use crate::monitor::MonitorEvent;
use crate::pattern;
use crate::pipe::{Outbound, Pipe};
use crate::transport::shared_write::{DirectWrite, SharedWrite};

/// Stop taking messages from the pipe once this many bytes wait to be written.
const OUT_BATCH: usize = 256 * 1024;
/// [`OUT_BATCH`] of a fan-out's engines (PUB, XPUB, RADIO), one per subscriber.
const FAN_OUT_BATCH: usize = 64 * 1024;
/// Messages taken from the pipe per lock.
const DRAIN_BATCH: usize = 512;
/// Most slices per vectored write: 64 messages with bodies by reference (a
/// header and a body each), a full [`OUT_BATCH`] of 4 KiB messages.
const MAX_IOV: usize = 128;

fn apply(session: &mut Session, out: Outbound, spent: &mut Vec<BytesMut>) {
    // The session is ready whenever this is called, messages from the socket are
    // never empty and groups are at most 255 bytes (DISH checks on join), so these
    // cannot fail.
    let _ = match out {
        Outbound::Message(m) => session.send_message(&m),
        Outbound::Subscribe(t) => session.send_subscribe(&t),
        Outbound::Cancel(t) => session.send_cancel(&t),
        Outbound::Join(group) => session.send_command(&Command::Join { group }),
        Outbound::Leave(group) => session.send_command(&Command::Leave { group }),
        Outbound::Encoded { frames, .. } => session.send_encoded_reusing(frames).map(|back| {
            // A small run was copied: its buffer goes back to the pipe for reuse.
            spent.extend(back);
        }),
    };
}

async fn write_some<W: AsyncWrite + Unpin>(
    wr: &mut W,
    out: &VecDeque<Bytes>,
) -> std::io::Result<usize> {
    let slices: Vec<IoSlice<'_>> = out.iter().take(MAX_IOV).map(|c| IoSlice::new(c)).collect();
    if slices.len() == 1 {
        wr.write(&slices[0]).await
    } else {
        wr.write_vectored(&slices).await
    }
}

/// Accounts for a write of the engine's output: `Some` when the connection ends.
fn wrote(
    r: std::io::Result<usize>,
    out: &mut VecDeque<Bytes>,
    out_len: &mut usize,
    spent: &mut Vec<BytesMut>,
    streamed: &mut usize,
    yields: bool,
) -> Option<EngineExit> {
    match r {
        Ok(0) => Some(EngineExit::PeerClosed),
        Ok(n) => {
            advance(out, n, spent);
            *out_len -= n;
            if out.is_empty() {
                if yields && *streamed > 1 {
                    yield_after_stream();
                }
                *streamed = 0;
            }
            None
        }
        Err(e) => Some(EngineExit::Io(e)),
    }
}

/// Largest written buffer given back to the pipe for reuse as a run.
const REUSE_MAX: usize = 64 * 1024;

/// Drops the `n` bytes written from the front of `out`; buffers written whole
/// that nothing else holds (large runs queued by reference) go to `spent` for reuse.
fn advance(out: &mut VecDeque<Bytes>, mut n: usize, spent: &mut Vec<BytesMut>) {
    while n > 0 {
        let Some(front) = out.front_mut() else { return };
        if front.len() <= n {
            n -= front.len();
            if let Some(done) = out.pop_front() {
                if let Ok(buf) = done.try_into_mut() {
                    if buf.capacity() <= REUSE_MAX {
                        spent.push(buf);
                    }
                }
            }
        } else {
            front.advance(n);
            n = 0;
        }
    }
}

/// Whether the engines of a `socket_type` socket on this thread's runtime give up
/// their core after writing a stream out (see [`yield_after_stream`]): on a
/// multi-thread runtime, where the sender runs on another thread, and not for a
/// fan-out (PUB, XPUB, RADIO). On a current-thread runtime the sender cannot run
/// while the engine's thread is yielded. A publisher's sends never wait (a full
/// subscriber misses the message), so a yield after each write only lets it
/// produce more messages to drop, while its engines, which share a worker, take
/// turns less evenly: PUB→4 SUB at 256 B, 2M messages, 3 runs each, yielding:
/// the slowest subscriber got 45k–563k msg/s (25 % of the messages delivered in
/// the runner), not yielding: 520k–788k (42–51 %), the median subscriber the same
/// (1.0M).
fn yields_after_streams(socket_type: SocketType) -> bool {
    !pattern::fans_out(socket_type)
        && tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread)
}

/// Whether an engine on this thread's runtime lends its write half to the
/// sending thread after delivering messages (see
/// [`shared_write`](crate::transport::shared_write)): on a current-thread
/// runtime, and on a multi-thread one when this process may use one CPU only.
///
/// A direct write saves handing the message to the engine's thread, but the
/// sending thread then wakes the peer itself, and where threads are spread
/// over CPUs that makes each process's threads chase each other across them.
/// REQ↔REP on a 2-vCPU VM (one-worker runtime, bench runner, 10 repetitions,
/// p50 against libzmq's, two runs each): 0.87× / 0.88× and 0.89× / 0.89× (16 B
/// / 4 KiB) lending, 0.76× / 0.72× and 0.70× / 0.79× not; the REQ process
/// migrated 0.39 times per round trip lending and 0.001 times not. Where both
/// processes share one CPU, the hand-off is a context switch more per message:
/// 31 µs lending, 53 µs not.
/// On a current-thread runtime the engine's task shares the sender's thread
/// (72 against 75 µs, within noise), and lending is kept.
fn lends_write_half() -> bool {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() != tokio::runtime::RuntimeFlavor::CurrentThread => {
            std::thread::available_parallelism().map_or(true, |n| n.get() == 1)
        }
        _ => true,
    }
}

/// How many bytes an engine of a `socket_type` socket lets wait to be written
/// before it stops taking messages from its pipe.
fn out_batch(socket_type: SocketType) -> usize {
    if pattern::fans_out(socket_type) {
        FAN_OUT_BATCH
    } else {
        OUT_BATCH
    }
}

/// Gives the engine's core to whatever else is ready to run on it (one
/// `sched_yield`), after a write that took every message a streaming sender had
/// queued.
///
/// An engine that comes straight back to its pipe finds the few messages the
/// sender queued while it wrote, and writes them again: one system call (and on
/// loopback the receiver's whole receive path) per handful of messages, with the
/// sender's core shared with this thread. Yielding lets a sender that shares the
/// core queue a large batch first, as libzmq's I/O thread does by being woken
/// on the sender's core. When nothing else is ready the call returns at once.
///
/// Measured (PUSH process, 4M x 16 B, `mt1`, 3 alternating runs each): system
/// calls `sendto` 71k-99k -> 16k-29k, CPU 1.02-1.04 s -> 0.58-0.74 s, wall time
/// 0.75-0.79 s -> 0.47-0.60 s.
fn yield_after_stream() {
    std::thread::yield_now();
}

/// Ready once the socket is closing. It registers no waker: the engine's own
/// waker is woken by [`Core::begin_close`] after the flag is set, and the engine
/// is always polled with that waker (see [`drive`](super::drive)).
fn closed(core: &Core) -> impl Future<Output = ()> + '_ {
    std::future::poll_fn(move |_| {
        if core.is_closed() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
}

/// Takes the write half back from the pipe when the engine stops, however it stops.
struct Reclaim<'a>(&'a Pipe);

impl Drop for Reclaim<'_> {
    fn drop(&mut self) {
        self.0.reclaim();
    }
}

/// Runs one connection until it ends. The write half is lent to the pipe while
/// the engine is idle (see [`shared_write`](crate::transport::shared_write)).
pub(crate) async fn run<R>(
    core: &Arc<Core>,
    mut rd: R,
    shared: Arc<dyn DirectWrite>,
    pipe: &Arc<Pipe>,
    info: &ConnInfo,
) -> EngineExit
where
    R: AsyncRead + Unpin,
{
    // The write half twice: for the write branch polled before the read and
    // for the one polled after it (see the loop's `select!`).
    let mut wr = SharedWrite(shared.clone());
    let mut wr_first = SharedWrite(shared.clone());
    let mut write_first = false;
    let _reclaim = Reclaim(pipe);
    let options = core.options();
    let linger = options.linger;
    let mut session = match Session::new(
        options.session_config(core.socket_type),
        Instant::now().into_std(),
    ) {
        Ok(s) => s,
        Err(e) => return EngineExit::Refused(e.to_string()),
    };
    // The wait for outbound messages lives across the loop's turns, re-armed only
    // when it fires: made afresh at each turn, it registered and unregistered with
    // its `Notify` (a lock each) every time the engine read or wrote anything.
    // The socket's close is a flag read whenever the engine is polled: closing
    // wakes every engine (`Core::begin_close`), and a watch channel's wait for
    // it cost a lock and a budget check at each poll.
    let mut is_closing = false;
    let mut outbound = std::pin::pin!(pipe.wait_outbound());
    // The session's next timer (and LINGER's end), armed only when a deadline
    // changes (a sleep made afresh at each turn read the clock and took the
    // runtime's handle every time the engine read or wrote anything), and
    // dropped when there is none (a sleep left armed for a deadline gone, such
    // as the handshake's, weighs on every park of the runtime's timer wheel).
    let mut timer: Option<Pin<Box<tokio::time::Sleep>>> = None;
    let mut timer_at: Option<Instant> = None;
    let mut linger_deadline: Option<Instant> = None;
    let mut out: VecDeque<Bytes> = VecDeque::new();
    let mut out_len = 0usize;
    let mut drained = Vec::with_capacity(DRAIN_BATCH);
    // Run buffers written out, to give back to the pipe at the next drain.
    let mut spent = Vec::new();
    let mut inbound = VecDeque::new();
    let mut read_size = ReadSize::default();
    let mut handshake_done = false;
    // Whether to lend the write half when idle: after delivering messages, whose
    // answer (a reply, the next request) is best written by its sender, until the
    // application's messages come through the pipe again. A stream of messages is
    // best written by the engine, hundreds per system call. (Only where it
    // pays: see `lends_write_half` and `Core::set_direct_writes`.)
    let mut lend = false;
    // Messages taken from the pipe since the output was last written out (see
    // `yield_after_stream`).
    let mut streamed = 0usize;
    let yields = yields_after_streams(core.socket_type);
    let lends = lends_write_half();
    let out_batch = out_batch(core.socket_type);
    loop {
        if pipe.is_terminated() {
            return EngineExit::Terminated;
        }
        // Take queued messages while the write backlog is small.
        if session.is_ready() {
            while out_len + session.pending_transmit() < out_batch {
                drained.clear();
                let budget = out_batch - out_len - session.pending_transmit();
                match pipe.try_drain_and_recycle(&mut drained, DRAIN_BATCH, budget, &mut spent) {
                    // The sender is queueing: write what there is and come back.
                    None => break,
                    Some(true) => core.notify_send_ready(),
                    Some(false) => {}
                }
                if drained.is_empty() {
                    break;
                }
                // The application's messages go through the pipe again.
                lend = false;
                for o in drained.drain(..) {
                    streamed += o.weight();
                    apply(&mut session, o, &mut spent);
                }
            }
        }
        while let Some(chunk) = session.poll_transmit() {
            out_len += chunk.len();
            out.push_back(chunk);
        }
        if is_closing {
            let idle = out.is_empty() && pipe.queued() == 0;
            if idle || linger == Some(std::time::Duration::ZERO) {
                return EngineExit::Closed;
            }
            if linger_deadline.is_none() {
                linger_deadline = linger.map(|l| Instant::now() + l);
            }
        }
        let deadline = [
            session.poll_timeout().map(Instant::from_std),
            linger_deadline,
        ]
        .into_iter()
        .flatten()
        .min();
        match (deadline, timer.as_mut()) {
            (None, _) => {
                timer = None;
                timer_at = None;
            }
            (Some(d), Some(t)) if timer_at != Some(d) => {
                t.as_mut().reset(d);
                timer_at = Some(d);
            }
            (Some(d), None) => {
                timer = Some(Box::pin(tokio::time::sleep_until(d)));
                timer_at = Some(d);
            }
            (Some(_), Some(_)) => {}
        }
        let can_read = !pipe.inbound_full();
        let want_outbound = session.is_ready() && out_len < out_batch;
        // Grows with the data received, never by a declared size; a large body
        // gets a buffer of its own.
        session.reserve_input(read_size.next());
        let offered = {
            let buf = session.input_buffer();
            buf.capacity() - buf.len()
        };
        let lent =
            lend && lends && core.direct_writes() && want_outbound && out.is_empty() && !is_closing;
        if lent {
            pipe.lend(&shared);
        }
        // Branches in a fixed order (tokio's random start costs a thread-local
        // look-up and a random number per turn: ~100 instructions, twice per
        // round trip of a request and its reply), with reads and writes taking
        // turns at going first so that neither starves the other when both are
        // ready turn after turn (a duplex stream). The close flag, timers and
        // the read pause are checked first: they are rare and must not wait
        // behind a stream.
        write_first = !write_first;
        tokio::select! {
            biased;
            () = closed(core), if !is_closing => {
                is_closing = true;
            }
            () = std::future::poll_fn(|cx| match timer.as_mut() {
                Some(t) => t.as_mut().poll(cx),
                None => Poll::Pending,
            }), if deadline.is_some() => {
                // Fired: whatever the deadline is next, it is armed anew.
                timer_at = None;
                let now = Instant::now();
                if linger_deadline.is_some_and(|d| d <= now) {
                    return EngineExit::Closed;
                }
                if let Err(error) = session.handle_timeout(now.into_std()) {
                    return EngineExit::Protocol { error, after_handshake: handshake_done };
                }
            }
            () = pipe.wait_read_resume(), if !can_read => {}
            r = write_some(&mut wr_first, &out), if write_first && !out.is_empty() => {
                if let Some(exit) = wrote(r, &mut out, &mut out_len, &mut spent, &mut streamed, yields) {
                    return exit;
                }
            }
            r = rd.read_buf(session.input_buffer()), if can_read => {
                match r {
                    Ok(0) => return EngineExit::PeerClosed,
                    Ok(n) => read_size.record(n, offered),
                    Err(e) => return EngineExit::Io(e),
                }
                let result = session.handle_buffered_input(Instant::now().into_std());
                // Deliver what arrived whole before any error.
                session.take_deliveries(&mut inbound);
                lend |= !inbound.is_empty();
                while let Some(event) = session.poll_event() {
                    match event {
                        Event::Message(m) => {
                            lend = true;
                            inbound.push_back(Delivery::Message(m));
                        }
                        Event::HandshakeSucceeded(peer) => {
                            handshake_done = true;
                            match core.ready(pipe, &peer) {
                                Ok(first) => first.into_iter().for_each(|o| apply(&mut session, o, &mut spent)),
                                Err(why) => return EngineExit::Refused(why),
                            }
                            // Reported once the pipe is attached, so a program that waits
                            // for this event can rely on the peer being routable.
                            core.emit(MonitorEvent::HandshakeSucceeded {
                                endpoint: info.endpoint.clone(),
                                peer: info.peer,
                            });
                        }
                        Event::Subscribe(t) | Event::Join(t) => {
                            core.deliver(pipe, &mut inbound);
                            core.subscription(pipe, &mut VecDeque::new(), true, t);
                        }
                        Event::Cancel(t) | Event::Leave(t) => {
                            core.deliver(pipe, &mut inbound);
                            core.subscription(pipe, &mut VecDeque::new(), false, t);
                        }
                        _ => {}
                    }
                }
                core.deliver(pipe, &mut inbound);
                if let Err(error) = result {
                    return EngineExit::Protocol { error, after_handshake: handshake_done };
                }
            }
            r = write_some(&mut wr, &out), if !write_first && !out.is_empty() => {
                if let Some(exit) = wrote(r, &mut out, &mut out_len, &mut spent, &mut streamed, yields) {
                    return exit;
                }
            }
            () = &mut outbound, if want_outbound && !is_closing => {
                outbound.set(pipe.wait_outbound());
            }
        }
        if lent {
            pipe.reclaim();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{lends_write_half, yields_after_streams};
    use zocket_proto::SocketType;

    fn multi_thread() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap()
    }

    #[test]
    fn engines_yield_after_streams_on_multi_thread_runtimes_only() {
        let ct = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(!ct.block_on(async { yields_after_streams(SocketType::Push) }));
        let mt = multi_thread();
        for t in [SocketType::Push, SocketType::Dealer, SocketType::Router] {
            assert!(mt.block_on(async { yields_after_streams(t) }), "{t:?}");
        }
        // Outside any runtime (an engine always runs in one): no.
        assert!(!yields_after_streams(SocketType::Push));
    }

    #[test]
    fn engines_lend_on_current_thread_runtimes_and_on_one_cpu_only() {
        let ct = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert!(ct.block_on(async { lends_write_half() }));
        let one_cpu = std::thread::available_parallelism().map_or(true, |n| n.get() == 1);
        assert_eq!(
            multi_thread().block_on(async { lends_write_half() }),
            one_cpu
        );
    }

    #[test]
    fn fan_out_engines_never_yield_after_streams() {
        let mt = multi_thread();
        for t in [SocketType::Pub, SocketType::XPub, SocketType::Radio] {
            assert!(!mt.block_on(async { yields_after_streams(t) }), "{t:?}");
        }
    }
}
