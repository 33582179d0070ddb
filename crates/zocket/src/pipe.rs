//! Pipes: the bounded queues between a socket and one peer connection.
//!
//! A pipe carries messages from the socket to the connection's engine (the
//! outbound queue, limited by SNDHWM) and accounts for the messages the engine has
//! handed up (limited by RCVHWM). Hand-off is batched: a sender pushes under a
//! short lock and wakes the engine only when the engine is parked, and the engine
//! drains many messages per wake-up. That keeps the cost per message to a lock and
//! a queue push instead of a task wake-up.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, TryLockError};
use std::task::{Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use tokio::sync::Notify;
use zocket_proto::session::ZERO_COPY_THRESHOLD;
use zocket_proto::{Message, frame};

use crate::transport::shared_write::DirectWrite;

/// Identifies a pipe within its socket.
pub(crate) type PipeId = u64;

/// A map keyed by pipe id, hashed by one multiplication: ids are handed out by a
/// counter, never chosen by a peer, so the DoS-resistant default hasher (SipHash,
/// two percent of a ROUTER's receive) buys nothing here. Maps keyed by what a
/// peer sends (routing ids) keep the default.
pub(crate) type PipeMap<V> =
    std::collections::HashMap<PipeId, V, std::hash::BuildHasherDefault<PipeIdHasher>>;

/// The hasher of [`PipeMap`] (Fibonacci hashing of the id).
#[derive(Default)]
pub(crate) struct PipeIdHasher(u64);

impl std::hash::Hasher for PipeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by `PipeId` keys; any other input still hashes.
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, id: u64) {
        self.0 = (self.0 ^ id).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// What a socket hands an engine: a message, or a control command that the session
/// encodes in the form the peer understands.
#[derive(Debug, Clone)]
pub(crate) enum Outbound {
    /// A whole message.
    Message(Message),
    /// SUBSCRIBE (or `0x01 topic` to a ZMTP 3.0 peer).
    Subscribe(Bytes),
    /// CANCEL (or `0x00 topic` to a ZMTP 3.0 peer).
    Cancel(Bytes),
    /// JOIN (DISH → RADIO): the group joined.
    Join(Bytes),
    /// LEAVE (DISH → RADIO): the group left.
    Leave(Bytes),
    /// Whole small messages, already encoded as ZMTP data frames by the sender
    /// (only on pipes made by [`Pipe::for_zmtp`]).
    Encoded {
        /// The frames, back to back.
        frames: BytesMut,
        /// How many messages they hold.
        messages: usize,
    },
}

impl Outbound {
    /// How many bytes the engine's session may copy to send this item: a
    /// message's frames below [`ZERO_COPY_THRESHOLD`] (larger ones are written by
    /// reference, so taking many at once costs no memory); an encoded run counts
    /// whole.
    pub(crate) fn copied_len(&self) -> usize {
        match self {
            Outbound::Message(m) => m
                .frames()
                .iter()
                .map(Bytes::len)
                .filter(|&n| n < ZERO_COPY_THRESHOLD)
                .sum(),
            Outbound::Encoded { frames, .. } => frames.len(),
            Outbound::Subscribe(t)
            | Outbound::Cancel(t)
            | Outbound::Join(t)
            | Outbound::Leave(t) => t.len(),
        }
    }

    /// How many queue slots this item stands for under the HWM.
    pub(crate) fn weight(&self) -> usize {
        match self {
            Outbound::Encoded { messages, .. } => *messages,
            _ => 1,
        }
    }
}

/// What a sender queues: a message it owns, or the bytes of a one-frame message it
/// lends, which are copied as they are queued (encoded straight into the
/// connection's batch when small, so that sending them costs no allocation and
/// no reference count).
pub(crate) trait Payload: Sized {
    /// Payloads of at most this many bytes are encoded into the pipe's run on
    /// ZMTP pipes (on inproc pipes, at most [`INPROC_ENCODE_MAX`]).
    const ENCODE_MAX: usize;
    /// Bytes over all frames.
    fn byte_len(&self) -> usize;
    /// Appends the payload as ZMTP data frames.
    fn encode(&self, out: &mut BytesMut);
    /// The payload as a message of its own (a copy, for lent bytes).
    fn into_message(self) -> Message;
}

impl Payload for Message {
    const ENCODE_MAX: usize = ENCODE_MAX;

    #[inline(always)]
    fn byte_len(&self) -> usize {
        Message::byte_len(self)
    }

    #[inline(always)]
    fn encode(&self, out: &mut BytesMut) {
        frame::encode_message(self, out);
    }

    #[inline(always)]
    fn into_message(self) -> Message {
        self
    }
}

/// A message offered to many pipes (fan-out): each pipe that admits it encodes
/// it or takes another reference to its frames; a full pipe takes nothing.
impl Payload for &Message {
    const ENCODE_MAX: usize = ENCODE_MAX;

    #[inline(always)]
    fn byte_len(&self) -> usize {
        Message::byte_len(self)
    }

    #[inline(always)]
    fn encode(&self, out: &mut BytesMut) {
        frame::encode_message(self, out);
    }

    fn into_message(self) -> Message {
        self.clone()
    }
}

impl Payload for &[u8] {
    /// Lent bytes must be copied anyway: into the run, up to [`DIRECT_MAX`], is
    /// one copy with no allocation, where a message of their own would cost an
    /// allocation and, below the engine's zero-copy threshold, a second copy
    /// (PUSH→PULL 4 KiB, `mt1`, alternating runs: 394k–506k msg/s with a message
    /// per send, 466k–631k copied into the run).
    const ENCODE_MAX: usize = DIRECT_MAX;

    #[inline(always)]
    fn byte_len(&self) -> usize {
        self.len()
    }

    #[inline(always)]
    fn encode(&self, out: &mut BytesMut) {
        frame::encode_frame(false, false, self, out);
    }

    fn into_message(self) -> Message {
        Message::single(Bytes::copy_from_slice(self))
    }
}

/// Messages of at most this many bytes (all frames) are encoded by the sender on
/// ZMTP pipes: the copy it makes replaces a queue slot, a reference count and the
/// engine's own copy, and many such messages reach the engine as one buffer.
const ENCODE_MAX: usize = 512;
/// Messages of at most this many bytes may be written by their sender when the
/// engine lent it the write half (copied once into one buffer, written in one
/// system call).
const DIRECT_MAX: usize = 16 * 1024;
/// Messages of at most this many bytes are encoded by the sender on inproc
/// pipes. A small message moved as it is costs the sending and the receiving
/// threads one reference count between them, whose cache line crosses cores
/// with every message (libzmq copies messages of up to 33 bytes into the
/// message itself for the same reason); larger ones are cheaper to move than
/// to copy (inproc 256 B, 2M messages: 5.8-7.7M msg/s moved, 2.9-4.1M when
/// encoded into runs, session 11).
const INPROC_ENCODE_MAX: usize = 32;
/// An encoded run stops growing at this size; the next message starts a new one.
const ENCODED_RUN: usize = 32 * 1024;
/// Room for a message's frame headers beyond its bytes when a run grows (a few
/// long headers; a message of more frames grows the run as it is encoded).
const RUN_HEADROOM: usize = 64;
/// Emptied run buffers kept for reuse. A run is allocated by the sending thread
/// and released by the engine's: without reuse, a fast engine that takes runs of a
/// few messages makes both threads contend for the allocator's lock.
const SPARE_RUNS: usize = 2;

/// The outbound queue and its count of messages (an encoded run holds many).
#[derive(Default)]
struct OutQueue {
    items: VecDeque<Outbound>,
    messages: usize,
    /// The connection's write half, lent by its idle engine: the next small message
    /// is written by the sender directly.
    direct: Option<Arc<dyn DirectWrite>>,
    /// Emptied run buffers, given back by the engine (see [`SPARE_RUNS`]).
    spare: Vec<BytesMut>,
}

impl std::fmt::Debug for OutQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutQueue")
            .field("items", &self.items.len())
            .field("messages", &self.messages)
            .field("lent", &self.direct.is_some())
            .finish()
    }
}

impl OutQueue {
    /// Moves up to `max` items into `into`, stopping after the item that brings
    /// their copied bytes ([`Outbound::copied_len`]) to `max_bytes`; returns
    /// whether the queue was at `sndhwm` before.
    fn take(
        &mut self,
        sndhwm: usize,
        into: &mut Vec<Outbound>,
        max: usize,
        max_bytes: usize,
    ) -> bool {
        let was_full = sndhwm != 0 && self.messages >= sndhwm;
        let (mut items, mut bytes) = (0, 0);
        while items < max && bytes < max_bytes {
            let Some(item) = self.items.pop_front() else {
                break;
            };
            items += 1;
            bytes += item.copied_len();
            self.messages -= item.weight();
            into.push(item);
        }
        was_full
    }

    /// Appends `m`, encoded, to the run at the back of the queue (or a new one, in
    /// a spare buffer if there is one).
    fn push_encoded(&mut self, m: &impl Payload) {
        if let Some(Outbound::Encoded { frames, messages }) = self.items.back_mut() {
            if frames.len() < ENCODED_RUN {
                // A run that must grow goes straight to its full size (one move
                // of what it holds), not through 16, 32 and 64 KiB by doubling.
                let need = m.byte_len() + RUN_HEADROOM;
                if frames.capacity() - frames.len() < need {
                    frames.reserve(
                        (ENCODED_RUN + ENCODE_MAX + RUN_HEADROOM - frames.len()).max(need),
                    );
                }
                m.encode(frames);
                *messages += 1;
                return;
            }
        }
        let mut frames = self
            .spare
            .pop()
            .unwrap_or_else(|| BytesMut::with_capacity(ENCODED_RUN / 4));
        m.encode(&mut frames);
        self.items.push_back(Outbound::Encoded {
            frames,
            messages: 1,
        });
    }
}

/// Whether taking `n` from `before` goes below half of `hwm` (0 = no limit).
fn crosses_half(hwm: usize, before: usize, n: usize) -> bool {
    let low_water = hwm.div_ceil(2);
    hwm != 0 && before >= low_water && before.saturating_sub(n) < low_water
}

static NEXT_PIPE_ID: AtomicU64 = AtomicU64::new(1);

/// One peer's queues. Shared by the socket (producer of outbound messages, consumer
/// of inbound ones) and the engine of the connection currently attached, if any.
#[derive(Debug)]
pub(crate) struct Pipe {
    id: PipeId,
    sndhwm: usize,
    rcvhwm: usize,
    /// Bytes of inbound messages waiting before the connection stops being read
    /// (0 = no byte limit).
    rcvhwm_bytes: usize,
    out: Mutex<OutQueue>,
    /// Set by the engine before it waits for outbound messages.
    engine_parked: AtomicBool,
    engine_wake: Notify,
    /// Messages handed up by the engine and not yet received by the application.
    inbound: AtomicUsize,
    /// Their bytes (all frames), counted only under a byte limit.
    inbound_bytes: AtomicUsize,
    read_resume: Notify,
    /// The pipe is being torn down; nothing more is queued.
    terminated: AtomicBool,
    /// CONFLATE: the outbound queue keeps only the newest message.
    conflate: bool,
    /// Leads to a udp:// destination, which filters nothing: a RADIO sends it every
    /// group.
    datagram: bool,
    /// Feeds a ZMTP engine or an inproc link: messages of at most this many
    /// bytes (all frames, and within the payload's own [`Payload::ENCODE_MAX`])
    /// are encoded as they are queued. `None`: none is.
    encode_max: Option<usize>,
}

impl Pipe {
    /// A pipe with the given high-water marks (0 = unlimited).
    pub(crate) fn new(sndhwm: usize, rcvhwm: usize) -> Pipe {
        Pipe {
            id: NEXT_PIPE_ID.fetch_add(1, Ordering::Relaxed),
            sndhwm,
            rcvhwm,
            rcvhwm_bytes: 0,
            out: Mutex::new(OutQueue::default()),
            engine_parked: AtomicBool::new(false),
            engine_wake: Notify::new(),
            inbound: AtomicUsize::new(0),
            inbound_bytes: AtomicUsize::new(0),
            read_resume: Notify::new(),
            terminated: AtomicBool::new(false),
            conflate: false,
            datagram: false,
            encode_max: None,
        }
    }

    /// A pipe with the HWMs (in messages and in bytes) and CONFLATE setting of
    /// `options`.
    pub(crate) fn for_options(options: &crate::options::Options) -> Pipe {
        let mut pipe = Pipe::new(options.sndhwm, options.rcvhwm);
        pipe.rcvhwm_bytes = options.rcvhwm_bytes.unwrap_or(0);
        pipe.conflate = options.conflate;
        pipe
    }

    /// A pipe feeding a ZMTP engine (tcp://, ipc://), with the HWMs and CONFLATE
    /// setting of `options`: unless conflated, small messages are encoded by the
    /// sender as they are queued.
    pub(crate) fn for_zmtp(options: &crate::options::Options) -> Pipe {
        let mut pipe = Pipe::for_options(options);
        pipe.encode_max = (!options.conflate).then_some(usize::MAX);
        pipe
    }

    /// A pipe joining two sockets of one process (inproc://), with the HWMs and
    /// CONFLATE setting of `options`: unless conflated, messages of at most
    /// [`INPROC_ENCODE_MAX`] bytes are encoded by the sender as they are queued,
    /// and the link hands the runs to the receiving socket as they are.
    pub(crate) fn for_inproc(options: &crate::options::Options) -> Pipe {
        let mut pipe = Pipe::for_options(options);
        pipe.encode_max = (!options.conflate).then_some(INPROC_ENCODE_MAX);
        pipe
    }

    /// A pipe to a udp:// destination, with the HWMs of `options` (never conflated).
    pub(crate) fn for_datagrams(options: &crate::options::Options) -> Pipe {
        let mut pipe = Pipe::for_options(options);
        pipe.conflate = false;
        pipe.datagram = true;
        pipe
    }

    /// Whether the pipe leads to a udp:// destination (see [`for_datagrams`](Self::for_datagrams)).
    pub(crate) fn is_datagram(&self) -> bool {
        self.datagram
    }

    pub(crate) fn id(&self) -> PipeId {
        self.id
    }

    fn out_queue(&self) -> std::sync::MutexGuard<'_, OutQueue> {
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether one more outbound message fits under SNDHWM.
    pub(crate) fn has_room(&self) -> bool {
        self.sndhwm == 0 || self.out_queue().messages < self.sndhwm
    }

    /// Queues `msg` for the engine, or gives it back if the pipe is at SNDHWM or
    /// terminated.
    #[inline]
    pub(crate) fn try_push(&self, msg: Message) -> Result<(), Message> {
        self.try_push_payload(msg)
    }

    /// Queues a message for the engine (see [`Payload`]), or gives it back if the
    /// pipe is at SNDHWM or terminated.
    pub(crate) fn try_push_payload<P: Payload>(&self, msg: P) -> Result<(), P> {
        if self.terminated.load(Ordering::Acquire) {
            return Err(msg);
        }
        let queued = {
            let mut q = self.out_queue();
            if !self.admit(&mut q) {
                return Err(msg);
            }
            self.queue(&mut q, msg)
        };
        if queued {
            self.wake_engine();
        }
        Ok(())
    }

    /// Queues a copy of `msg` (another reference to its frames) unless the pipe is
    /// at SNDHWM or terminated; returns whether it did. A fan-out (PUB, XPUB,
    /// RADIO) offers each message to every pipe: a full pipe then costs no
    /// reference count, whose cache line the engines' threads share.
    pub(crate) fn try_push_copy(&self, msg: &Message) -> bool {
        self.try_push_payload(msg).is_ok()
    }

    /// Whether one more message fits: under SNDHWM, or always on a CONFLATE pipe,
    /// which then drops the messages it holds (control traffic stays queued).
    #[inline(always)]
    fn admit(&self, q: &mut OutQueue) -> bool {
        if self.conflate {
            q.items.retain(|o| !matches!(o, Outbound::Message(_)));
            q.messages = q.items.len();
            true
        } else {
            self.sndhwm == 0 || q.messages < self.sndhwm
        }
    }

    /// Queues an admitted message: written at once if the engine lent its write
    /// half, appended to the encoded run if small, else queued as it is. Returns
    /// whether anything was queued for the engine: a message written whole leaves
    /// nothing to do, and waking the engine for it would cost a thread wake-up per
    /// request or reply on a multi-thread runtime.
    ///
    /// Inlined, as `admit`, and given the bare `Message` rather than an
    /// `Outbound`: each call out of line, and each wrapping in `Outbound` (whose
    /// tag moves the message 8 bytes along), copied the message once more with
    /// loads that straddle the stores that wrote it (PUSH process, 200k x 256 B,
    /// callgrind: 809 instructions per message out of line, 672 inlined).
    #[inline(always)]
    fn queue<P: Payload>(&self, q: &mut OutQueue, m: P) -> bool {
        if q.direct.is_some() && m.byte_len() <= DIRECT_MAX {
            // Lent only while the queue is empty and the engine idle.
            let writer = q.direct.take().expect("checked just above");
            // Encoded in a spare run buffer, which goes back when written whole.
            let mut frames = q.spare.pop().unwrap_or_default();
            m.encode(&mut frames);
            match writer.try_write(&frames) {
                Ok(n) if n == frames.len() => {
                    frames.clear();
                    q.spare.push(frames);
                    return false;
                }
                // What the kernel did not take (or the error, which the
                // engine meets on its own write) goes to the engine.
                Ok(n) => frames.advance(n),
                Err(_) => {}
            }
            q.items.push_back(Outbound::Encoded {
                frames,
                messages: 1,
            });
        } else if self
            .encode_max
            .is_some_and(|max| m.byte_len() <= P::ENCODE_MAX.min(max))
        {
            q.push_encoded(&m);
        } else {
            // Whatever is queued must leave before any direct write.
            q.direct = None;
            q.items.push_back(Outbound::Message(m.into_message()));
        }
        q.messages += 1;
        true
    }

    /// The engine has nothing to write: lends it the write half for the next small
    /// message, if nothing is queued.
    pub(crate) fn lend(&self, writer: &Arc<dyn DirectWrite>) {
        let mut q = self.out_queue();
        if q.items.is_empty() {
            q.direct = Some(writer.clone());
        }
    }

    /// The engine takes its write half back (before it writes itself, and when it
    /// stops).
    pub(crate) fn reclaim(&self) {
        // Dropped after the lock: the last reference closes the write side.
        let lent = self.out_queue().direct.take();
        drop(lent);
    }

    /// Queues `msg` whatever the HWM (used for subscriptions and other control
    /// traffic that libzmq never drops at the mark).
    pub(crate) fn force_push(&self, msg: Outbound) {
        {
            let mut q = self.out_queue();
            q.direct = None;
            q.messages += msg.weight();
            q.items.push_back(msg);
        }
        self.wake_engine();
    }

    fn wake_engine(&self) {
        // A plain load first: the flag is rarely set while messages flow, and a
        // read-modify-write on every push would bounce its cache line between the
        // sender and the engine. The queue lock orders this load after the engine's
        // store (see `wait_outbound`).
        if self.engine_parked.load(Ordering::Acquire)
            && self.engine_parked.swap(false, Ordering::AcqRel)
        {
            self.engine_wake.notify_one();
        }
    }

    /// Moves queued items holding up to `max` messages into `into` (an encoded
    /// run holding more is cut at a message boundary); returns whether the queue
    /// was at its HWM before (so blocked senders should be told there is room
    /// now).
    pub(crate) fn drain(&self, into: &mut Vec<Outbound>, max: usize) -> bool {
        let mut q = self.out_queue();
        let was_full = self.sndhwm != 0 && q.messages >= self.sndhwm;
        let mut taken = 0;
        while taken < max {
            let room = max - taken;
            let item = match q.items.front_mut() {
                None => break,
                // A run holding more than there is room for is cut in two.
                Some(Outbound::Encoded { frames, messages }) if *messages > room => {
                    let head = frames.split_to(frame::messages_len(frames, room));
                    *messages -= room;
                    Outbound::Encoded {
                        frames: head,
                        messages: room,
                    }
                }
                Some(_) => q.items.pop_front().expect("a front item"),
            };
            taken += item.weight();
            q.messages -= item.weight();
            into.push(item);
        }
        was_full
    }

    /// The engine's [`drain`](Self::drain): stops after the item that brings the
    /// bytes its session will copy to `max_bytes` (what the engine copies is
    /// bounded by its batch, not by the queue's length times the message size;
    /// large messages, written by reference, are taken many at a time), gives
    /// back emptied run buffers for reuse under the same lock (at most
    /// [`SPARE_RUNS`] are kept; `spent` is left empty), and takes nothing,
    /// returning `None`, while the sender holds the lock.
    ///
    /// An engine that drains faster than the application sends would otherwise
    /// come back every few messages and wait for the lock each time; on two cores,
    /// with the holder often descheduled, both threads spun for it (a quarter of
    /// the sending process's time at 16 B). Coming back after its write instead
    /// costs nothing: whatever the sender queued meanwhile is still there.
    pub(crate) fn try_drain_and_recycle(
        &self,
        into: &mut Vec<Outbound>,
        max: usize,
        max_bytes: usize,
        spent: &mut Vec<BytesMut>,
    ) -> Option<bool> {
        let mut q = match self.out.try_lock() {
            Ok(q) => q,
            Err(TryLockError::Poisoned(e)) => e.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        let keep = spent.len().min(SPARE_RUNS.saturating_sub(q.spare.len()));
        q.spare.extend(spent.drain(..keep).map(|mut buf| {
            buf.clear();
            buf
        }));
        let was_full = q.take(self.sndhwm, into, max, max_bytes);
        drop(q);
        // The buffers beyond the spares are freed outside the lock.
        spent.clear();
        Some(was_full)
    }

    /// Number of outbound messages waiting.
    pub(crate) fn queued(&self) -> usize {
        self.out_queue().messages
    }

    /// Drops every queued outbound message (pipe discarded, or IMMEDIATE).
    pub(crate) fn clear(&self) {
        let mut q = self.out_queue();
        q.items.clear();
        q.messages = 0;
    }

    /// Waits until outbound messages may be available. The engine calls this after
    /// finding the queue empty; a push in between is not missed because the parked
    /// flag is set before the final check.
    ///
    /// An engine polls this wait at every turn of its loop, most of them for a
    /// read or a write while nothing was queued. Polled again with the waker it
    /// registered while the parked flag is still set, it returns at once without
    /// taking the `Notify`'s lock: every notification of `engine_wake` clears the
    /// flag first, so none has come yet, and the one that comes wakes that
    /// waker. (A REQ↔REP round trip polls it twice per process: ~180
    /// instructions each through the lock, callgrind.)
    pub(crate) async fn wait_outbound(&self) {
        let notified = self.engine_wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        self.engine_parked.store(true, Ordering::Release);
        if !self.out_queue().items.is_empty() || self.terminated.load(Ordering::Acquire) {
            self.engine_parked.store(false, Ordering::Release);
            return;
        }
        let mut registered: Option<Waker> = None;
        std::future::poll_fn(|cx| {
            if self.engine_parked.load(Ordering::Acquire)
                && registered.as_ref().is_some_and(|w| w.will_wake(cx.waker()))
            {
                return Poll::Pending;
            }
            let polled = notified.as_mut().poll(cx);
            if polled.is_pending() && !registered.as_ref().is_some_and(|w| w.will_wake(cx.waker()))
            {
                registered = Some(cx.waker().clone());
            }
            polled
        })
        .await
    }

    /// Wakes the engine without a message (close, linger, terminate).
    pub(crate) fn poke(&self) {
        self.engine_parked.store(false, Ordering::Release);
        self.engine_wake.notify_one();
    }

    /// The engine handed `n` messages of `bytes` bytes up.
    pub(crate) fn add_inbound(&self, n: usize, bytes: usize) {
        self.inbound.fetch_add(n, Ordering::AcqRel);
        if self.rcvhwm_bytes != 0 {
            self.inbound_bytes.fetch_add(bytes, Ordering::AcqRel);
        }
    }

    /// The application took (or discarded) `n` messages of `bytes` bytes of this
    /// pipe.
    pub(crate) fn take_inbound(&self, n: usize, bytes: usize) {
        if n == 0 {
            return;
        }
        // Resume reading at the low-water marks (half the HWMs), as libzmq does.
        let before = self.inbound.fetch_sub(n, Ordering::AcqRel);
        let mut resume = crosses_half(self.rcvhwm, before, n);
        if self.rcvhwm_bytes != 0 {
            let before = self.inbound_bytes.fetch_sub(bytes, Ordering::AcqRel);
            resume |= crosses_half(self.rcvhwm_bytes, before, bytes);
        }
        if resume {
            self.read_resume.notify_one();
        }
    }

    /// How many more messages may be handed up before RCVHWM is reached (none
    /// once the byte limit is).
    pub(crate) fn inbound_room(&self) -> usize {
        if self.bytes_full() {
            return 0;
        }
        if self.rcvhwm == 0 {
            return usize::MAX;
        }
        self.rcvhwm
            .saturating_sub(self.inbound.load(Ordering::Acquire))
    }

    /// Whether the engine must stop reading: RCVHWM messages, or the byte limit's
    /// worth of them, are waiting.
    pub(crate) fn inbound_full(&self) -> bool {
        (self.rcvhwm != 0 && self.inbound.load(Ordering::Acquire) >= self.rcvhwm)
            || self.bytes_full()
    }

    fn bytes_full(&self) -> bool {
        self.rcvhwm_bytes != 0 && self.inbound_bytes.load(Ordering::Acquire) >= self.rcvhwm_bytes
    }

    /// Waits until the application has taken enough messages to read again.
    pub(crate) async fn wait_read_resume(&self) {
        let notified = self.read_resume.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if !self.inbound_full() || self.is_terminated() {
            return;
        }
        notified.await;
    }

    /// Marks the pipe dead and wakes its engine.
    pub(crate) fn terminate(&self) {
        self.terminated.store(true, Ordering::Release);
        self.poke();
        self.read_resume.notify_one();
    }

    pub(crate) fn is_terminated(&self) -> bool {
        self.terminated.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{self, IoSlice};
    use std::task::{Context, Poll};

    use super::*;

    /// A write half that takes at most `room` bytes per write.
    struct Partial {
        room: usize,
        written: Mutex<Vec<u8>>,
    }

    impl DirectWrite for Partial {
        fn poll_write_ready(&self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }

        fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(self.room);
            self.written.lock().unwrap().extend_from_slice(&buf[..n]);
            Ok(n)
        }

        fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            self.try_write(bufs.first().map_or(&[][..], |b| &b[..]))
        }
    }

    /// Lends `pipe` a write half that takes at most `room` bytes per write;
    /// returns it to inspect what was written, and as the half to lend again.
    fn lend_partial(pipe: &Pipe, room: usize) -> (Arc<Partial>, Arc<dyn DirectWrite>) {
        let w = Arc::new(Partial {
            room,
            written: Mutex::new(Vec::new()),
        });
        let lent: Arc<dyn DirectWrite> = w.clone();
        pipe.lend(&lent);
        (w, lent)
    }

    fn zmtp_pipe(sndhwm: usize) -> Pipe {
        let mut o = crate::options::Options::for_type(zocket_proto::SocketType::Dealer);
        o.sndhwm = sndhwm;
        Pipe::for_zmtp(&o)
    }

    /// Encoded bytes of everything the engine would take from the pipe.
    fn drained_bytes(pipe: &Pipe) -> Vec<u8> {
        let mut items = Vec::new();
        pipe.drain(&mut items, usize::MAX);
        let mut out = Vec::new();
        for item in items {
            match item {
                Outbound::Encoded { frames, .. } => out.extend_from_slice(&frames),
                Outbound::Message(m) => {
                    let mut b = BytesMut::new();
                    frame::encode_message(&m, &mut b);
                    out.extend_from_slice(&b);
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        out
    }

    #[test]
    fn lent_bytes_are_encoded_into_the_run_up_to_direct_max_and_count_against_sndhwm() {
        let pipe = zmtp_pipe(3);
        let big = vec![7u8; DIRECT_MAX + 1];
        assert!(pipe.try_push_payload(&b"ab"[..]).is_ok());
        assert!(pipe.try_push_payload(&[1u8; DIRECT_MAX][..]).is_ok());
        assert!(pipe.try_push_payload(&big[..]).is_ok());
        assert!(pipe.try_push_payload(&b"full"[..]).is_err(), "at SNDHWM");
        let mut items = Vec::new();
        pipe.drain(&mut items, usize::MAX);
        // Both small payloads in one run, then the large one as a message of its own.
        let [
            Outbound::Encoded {
                frames,
                messages: 2,
            },
            Outbound::Message(m),
        ] = &items[..]
        else {
            panic!("{items:?}")
        };
        let mut want = BytesMut::new();
        frame::encode_frame(false, false, b"ab", &mut want);
        frame::encode_frame(false, false, &[1u8; DIRECT_MAX], &mut want);
        assert_eq!(&frames[..], &want[..]);
        assert_eq!((m.len(), &m[0][..]), (1, &big[..]));
        // A pipe that does not encode (a PUB's, a STREAM's) gets a message of its own.
        let plain = Pipe::new(0, 0);
        assert!(plain.try_push_payload(&b"ab"[..]).is_ok());
        let mut items = Vec::new();
        plain.drain(&mut items, usize::MAX);
        assert!(matches!(&items[..], [Outbound::Message(m)] if &m[0][..] == b"ab"));
    }

    #[test]
    fn a_run_grows_once_to_its_full_size() {
        let pipe = zmtp_pipe(0);
        let body = [7u8; 200]; // a short header: 202 bytes a message
        let per_run = ENCODED_RUN.div_ceil(body.len() + 2);
        for _ in 0..per_run {
            pipe.try_push_payload(&body[..]).unwrap();
        }
        let mut items = Vec::new();
        pipe.drain(&mut items, usize::MAX);
        let [Outbound::Encoded { frames, messages }] = &items[..] else {
            panic!("{} items, not one run", items.len())
        };
        assert_eq!(*messages, per_run);
        assert!(frames.len() >= ENCODED_RUN);
        // Not doubled past it (to 64 KiB): the full size is the run's plus room
        // for its last message.
        assert!(frames.capacity() <= ENCODED_RUN + ENCODE_MAX + RUN_HEADROOM);
    }

    fn inproc_pipe() -> Pipe {
        Pipe::for_inproc(&crate::options::Options::for_type(
            zocket_proto::SocketType::Dealer,
        ))
    }

    #[test]
    fn an_inproc_pipe_encodes_only_the_smallest_messages() {
        let pipe = inproc_pipe();
        pipe.try_push(Message::from(vec![1u8; INPROC_ENCODE_MAX]))
            .unwrap();
        assert!(pipe.try_push_payload(&[2u8; INPROC_ENCODE_MAX][..]).is_ok());
        pipe.try_push(Message::from(vec![3u8; INPROC_ENCODE_MAX + 1]))
            .unwrap();
        assert!(
            pipe.try_push_payload(&[4u8; INPROC_ENCODE_MAX + 1][..])
                .is_ok()
        );
        let mut items = Vec::new();
        pipe.drain(&mut items, usize::MAX);
        let [
            Outbound::Encoded { messages: 2, .. },
            Outbound::Message(a),
            Outbound::Message(b),
        ] = &items[..]
        else {
            panic!("{items:?}")
        };
        assert_eq!((a[0][0], b[0][0]), (3, 4));
    }

    #[test]
    fn drain_cuts_an_encoded_run_at_the_room_left() {
        let pipe = inproc_pipe();
        pipe.try_push(Message::from("first")).unwrap();
        pipe.try_push(Message::from_frames(vec!["a".into(), "b".into()]))
            .unwrap();
        pipe.try_push(Message::from("c")).unwrap();
        let mut items = Vec::new();
        pipe.drain(&mut items, 2);
        let [
            Outbound::Encoded {
                frames,
                messages: 2,
            },
        ] = &items[..]
        else {
            panic!("{items:?}")
        };
        let mut want = BytesMut::new();
        frame::encode_message(&Message::from("first"), &mut want);
        frame::encode_message(
            &Message::from_frames(vec!["a".into(), "b".into()]),
            &mut want,
        );
        assert_eq!(&frames[..], &want[..]);
        assert_eq!(pipe.queued(), 1);
        let mut rest = Vec::new();
        pipe.drain(&mut rest, 2);
        assert!(
            matches!(&rest[..], [Outbound::Encoded { frames, messages: 1 }] if &frames[..] == b"\x00\x01c")
        );
        assert_eq!(pipe.queued(), 0);
    }

    #[test]
    fn emptied_run_buffers_are_reused_and_bounded() {
        let pipe = zmtp_pipe(0);
        let mut spent: Vec<BytesMut> = (0..SPARE_RUNS + 1)
            .map(|_| BytesMut::with_capacity(100_000))
            .collect();
        let mut items = Vec::new();
        pipe.try_drain_and_recycle(&mut items, usize::MAX, usize::MAX, &mut spent)
            .unwrap();
        assert!(spent.is_empty());
        assert_eq!(pipe.out_queue().spare.len(), SPARE_RUNS);
        pipe.try_push(Message::from("x")).unwrap();
        pipe.drain(&mut items, usize::MAX);
        let [
            Outbound::Encoded {
                frames,
                messages: 1,
            },
        ] = &items[..]
        else {
            panic!("{items:?}")
        };
        assert_eq!(&frames[..], b"\x00\x01x");
        assert!(
            frames.capacity() >= 100_000,
            "the run was encoded into a spare buffer"
        );
    }

    #[test]
    fn the_engine_takes_nothing_while_the_sender_holds_the_queue() {
        let pipe = zmtp_pipe(0);
        pipe.try_push(Message::from("x")).unwrap();
        let mut items = Vec::new();
        let mut spent = vec![BytesMut::with_capacity(64)];
        {
            let _sender = pipe.out_queue();
            assert!(
                pipe.try_drain_and_recycle(&mut items, usize::MAX, usize::MAX, &mut spent)
                    .is_none()
            );
        }
        assert!(items.is_empty());
        assert_eq!(spent.len(), 1, "kept for the next drain");
        assert_eq!(
            pipe.try_drain_and_recycle(&mut items, usize::MAX, usize::MAX, &mut spent),
            Some(false)
        );
        assert_eq!(items.len(), 1);
        assert!(spent.is_empty());
        assert_eq!(pipe.queued(), 0);
    }

    #[test]
    fn the_engine_takes_a_bounded_number_of_bytes() {
        let pipe = zmtp_pipe(0);
        // Bodies the engine's session copies.
        const SMALL: usize = ZERO_COPY_THRESHOLD / 2;
        for _ in 0..10 {
            pipe.try_push(Message::from(vec![1u8; SMALL])).unwrap();
        }
        let mut items = Vec::new();
        let taken = |items: &Vec<Outbound>| items.iter().map(Outbound::copied_len).sum::<usize>();
        // Stops after the item that reaches the budget.
        pipe.try_drain_and_recycle(&mut items, usize::MAX, 3 * SMALL + 1, &mut Vec::new())
            .unwrap();
        assert_eq!(taken(&items), 4 * SMALL);
        assert_eq!(pipe.queued(), 6);
        // At least one item, however small the budget.
        items.clear();
        pipe.try_drain_and_recycle(&mut items, usize::MAX, 1, &mut Vec::new())
            .unwrap();
        assert_eq!(items.len(), 1);
        assert_eq!(pipe.queued(), 5);
        // Messages written by reference cost the batch nothing: all are taken.
        pipe.clear();
        for _ in 0..10 {
            pipe.try_push(Message::from(vec![1u8; ZERO_COPY_THRESHOLD]))
                .unwrap();
        }
        items.clear();
        pipe.try_drain_and_recycle(&mut items, usize::MAX, 1, &mut Vec::new())
            .unwrap();
        assert_eq!(items.len(), 10);
    }

    #[test]
    fn a_direct_write_leaves_the_pipe_at_once() {
        let pipe = zmtp_pipe(1);
        let (w, _) = lend_partial(&pipe, usize::MAX);
        pipe.try_push(Message::from("hi")).unwrap();
        assert_eq!(&w.written.lock().unwrap()[..], b"\x00\x02hi");
        assert_eq!(pipe.queued(), 0);
        // The half is lent for one message: the next one is queued (up to SNDHWM).
        pipe.try_push(Message::from("b")).unwrap();
        assert_eq!(pipe.queued(), 1);
        assert!(pipe.try_push(Message::from("c")).is_err());
        assert_eq!(drained_bytes(&pipe), b"\x00\x01b");
    }

    #[test]
    fn a_direct_write_encodes_into_a_spare_buffer_and_gives_it_back() {
        let pipe = zmtp_pipe(0);
        let mut spent = vec![BytesMut::with_capacity(100_000)];
        pipe.try_drain_and_recycle(&mut Vec::new(), usize::MAX, usize::MAX, &mut spent)
            .unwrap();
        let (w, _) = lend_partial(&pipe, usize::MAX);
        pipe.try_push(Message::from("hi")).unwrap();
        assert_eq!(&w.written.lock().unwrap()[..], b"\x00\x02hi");
        let q = pipe.out_queue();
        assert_eq!(q.spare.len(), 1, "the buffer is back among the spares");
        assert!(q.spare[0].is_empty() && q.spare[0].capacity() >= 100_000);
    }

    #[test]
    fn a_partial_direct_write_queues_the_rest_first() {
        let pipe = zmtp_pipe(0);
        let (w, _) = lend_partial(&pipe, 3);
        pipe.try_push(Message::from("hello")).unwrap();
        pipe.try_push(Message::from("next")).unwrap();
        assert_eq!(pipe.queued(), 2);
        let mut wire = w.written.lock().unwrap().clone();
        wire.extend(drained_bytes(&pipe));
        assert_eq!(wire, b"\x00\x05hello\x00\x04next");
    }

    #[test]
    fn a_refused_direct_write_queues_the_whole_message() {
        let pipe = zmtp_pipe(0);
        lend_partial(&pipe, 0);
        pipe.try_push(Message::from("x")).unwrap();
        assert_eq!(drained_bytes(&pipe), b"\x00\x01x");
    }

    #[test]
    fn nothing_overtakes_queued_traffic() {
        let pipe = zmtp_pipe(0);
        // A large message is queued while the half is lent: the lend ends.
        let (w, lent) = lend_partial(&pipe, usize::MAX);
        let big = Message::from(vec![7u8; DIRECT_MAX + 1]);
        pipe.try_push(big).unwrap();
        pipe.try_push(Message::from("s")).unwrap();
        assert!(w.written.lock().unwrap().is_empty());
        // Lending with a non-empty queue does nothing.
        pipe.lend(&lent);
        pipe.try_push(Message::from("t")).unwrap();
        assert!(w.written.lock().unwrap().is_empty());
        assert_eq!(pipe.queued(), 3);
        // Control traffic also ends a lend.
        pipe.clear();
        pipe.lend(&lent);
        pipe.force_push(Outbound::Subscribe(Bytes::from_static(b"a")));
        pipe.try_push(Message::from("u")).unwrap();
        assert!(w.written.lock().unwrap().is_empty());
        // And a reclaimed half is not written.
        pipe.clear();
        pipe.lend(&lent);
        pipe.reclaim();
        pipe.try_push(Message::from("v")).unwrap();
        assert!(w.written.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn reading_resumes_below_half_of_the_byte_limit() {
        let mut o = crate::options::Options::for_type(zocket_proto::SocketType::Pull);
        o.rcvhwm_bytes = Some(1000);
        let pipe = Pipe::for_options(&o);
        pipe.add_inbound(4, 1200);
        assert!(pipe.inbound_full());
        let resumed = pipe.wait_read_resume();
        tokio::pin!(resumed);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(resumed.as_mut().poll(&mut cx).is_pending());
        // 700 bytes left: below the limit, above its half; the waiting engine
        // sleeps on (one that checks again may read).
        pipe.take_inbound(1, 500);
        assert!(!pipe.inbound_full());
        assert!(resumed.as_mut().poll(&mut cx).is_pending());
        pipe.take_inbound(1, 300);
        assert!(resumed.as_mut().poll(&mut cx).is_ready(), "400 bytes left");
        // Without a byte limit, bytes are not counted.
        let unlimited = Pipe::new(0, 0);
        unlimited.add_inbound(1, usize::MAX);
        assert!(!unlimited.inbound_full());
        unlimited.take_inbound(1, usize::MAX);
    }
}
