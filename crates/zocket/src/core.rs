//! The socket core: state shared by a socket handle and its connection tasks.

mod signal;
mod sole;

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use zocket_proto::session::Delivery;
use zocket_proto::{Message, PeerInfo, SocketType, WireRun};

use crate::engine::drive::EngineCell;
use crate::error::Error;
use crate::monitor::{Monitor, MonitorEvent, MonitorHub};
use crate::options::Options;
use crate::pattern::{self, Pattern, SendError};
use crate::pipe::{Outbound, Pipe, PipeId};
use crate::transport::hint::ReadHint;
use signal::Signal;
use sole::Gate;

/// Messages in arrival order: decoded ones, then a run still in wire form,
/// decoded by the receiving side as it takes them.
#[derive(Default)]
struct Queued {
    msgs: VecDeque<Message>,
    wire: WireRun,
}

impl Queued {
    /// Messages left.
    fn len(&self) -> usize {
        self.msgs.len() + self.wire.len()
    }

    fn is_empty(&self) -> bool {
        self.msgs.is_empty() && self.wire.is_empty()
    }

    /// The bytes left, as the pipes' byte limit counts them.
    fn byte_len(&self) -> usize {
        bytes_of(&self.msgs) + self.wire.payload_len()
    }

    fn pop_front(&mut self) -> Option<Message> {
        self.msgs.pop_front().or_else(|| self.wire.pop_front())
    }

    /// Appends decoded messages (the run in wire form, if any, is decoded first to
    /// keep the order).
    fn extend(&mut self, batch: impl Iterator<Item = Message>) {
        if !self.wire.is_empty() {
            let wire = std::mem::take(&mut self.wire);
            self.msgs.extend(wire);
        }
        self.msgs.extend(batch);
    }

    /// Appends a run, kept in wire form when nothing else waits.
    fn extend_wire(&mut self, wire: WireRun) {
        if self.is_empty() {
            self.wire = wire;
        } else {
            self.extend(wire);
        }
    }

    /// Keeps the messages `keep` accepts.
    fn retain(&mut self, keep: impl FnMut(&Message) -> bool) {
        self.extend(std::iter::empty());
        self.msgs.retain(keep);
    }
}

/// Messages the application has not received yet, from one pipe, in arrival order.
/// The socket keeps a queue of these runs: consecutive batches from the same pipe
/// share one run, so a message costs no reference count of its own.
struct InboundRun {
    pipe: Arc<Pipe>,
    /// Its messages (a run in wire form ends it: later batches start a new run).
    queued: Queued,
    /// Produced by the pattern itself (`take_events`), not received from the peer.
    own: bool,
}

struct State {
    pattern: Box<dyn Pattern>,
    /// A copy of the options, read under the lock the send path takes anyway.
    options: Options,
    inbound: VecDeque<InboundRun>,
    /// Emptied run queues, handed back to the engines for their next batch: a
    /// batch then costs no allocation on the engine's thread and no free on the
    /// application's.
    spare: Vec<VecDeque<Message>>,
    attached: Vec<PipeId>,
}

impl State {
    /// Routes one outgoing message; a REQ's successful send also discards what was
    /// waiting to be received.
    fn send(&mut self, msg: Message) -> Result<(), SendError> {
        let sent = self.pattern.send(msg, &self.options);
        if sent.is_ok() && !self.inbound.is_empty() {
            self.discard_stale();
        }
        sent
    }

    /// [`send`](Self::send) of a one-frame message holding a copy of `data`.
    fn send_slice(&mut self, data: &[u8]) -> Result<(), SendError> {
        let sent = self.pattern.send_slice(data, &self.options);
        if sent.is_ok() && !self.inbound.is_empty() {
            self.discard_stale();
        }
        sent
    }

    /// After a send, with messages waiting: a pattern that answers only the
    /// latest request (REQ) drops the replies to earlier ones. (Checked after the
    /// queue: a sender's messages mostly find it empty, and then pay neither this
    /// call nor the pattern's.)
    #[cold]
    fn discard_stale(&mut self) {
        if self.pattern.discards_inbound_on_send() {
            while let Some(stale) = self.inbound.front() {
                stale
                    .pipe
                    .take_inbound(stale.queued.len(), stale.queued.byte_len());
                self.pop_run();
            }
        }
    }

    /// Moves the messages of `batch` (already counted on `pipe`) to the queue,
    /// leaving `batch` empty, with a spare queue's room when it had to give its own.
    fn push_inbound(&mut self, pipe: &Arc<Pipe>, batch: &mut VecDeque<Message>, own: bool) {
        if let Some(last) = self.inbound.back_mut() {
            if !own && !last.own && last.pipe.id() == pipe.id() && last.queued.wire.is_empty() {
                last.queued.msgs.append(batch);
                return;
            }
        }
        let msgs = std::mem::replace(batch, self.spare.pop().unwrap_or_default());
        self.inbound.push_back(InboundRun {
            pipe: pipe.clone(),
            queued: Queued {
                msgs,
                wire: WireRun::default(),
            },
            own,
        });
    }

    /// Queues a run of messages in wire form (already counted on `pipe`): it ends
    /// the pipe's last run, or starts one of its own.
    fn push_wire(&mut self, pipe: &Arc<Pipe>, wire: WireRun) {
        if let Some(last) = self.inbound.back_mut() {
            if !last.own && last.pipe.id() == pipe.id() && last.queued.wire.is_empty() {
                last.queued.wire = wire;
                return;
            }
        }
        self.inbound.push_back(InboundRun {
            pipe: pipe.clone(),
            queued: Queued {
                msgs: VecDeque::new(),
                wire,
            },
            own: false,
        });
    }

    /// Removes the oldest run, keeping its emptied queue for reuse.
    fn pop_run(&mut self) {
        if let Some(run) = self.inbound.pop_front() {
            self.recycle(run.queued.msgs);
        }
    }

    /// Keeps an emptied queue for the next batch, unless enough are kept or it
    /// grew large (a burst's room is not held for ever).
    fn recycle(&mut self, mut msgs: VecDeque<Message>) {
        // (A run that came in wire form never had a queue: nothing to keep.)
        if msgs.capacity() > 0
            && self.spare.len() < MAX_SPARE_RUNS
            && msgs.capacity() <= MAX_SPARE_RUN_CAPACITY
        {
            msgs.clear();
            self.spare.push(msgs);
        }
    }
}

/// Emptied run queues kept for reuse.
const MAX_SPARE_RUNS: usize = 4;
/// Largest emptied run queue kept for reuse, in messages.
const MAX_SPARE_RUN_CAPACITY: usize = 1024;

/// A bound or connected endpoint, for unbind/disconnect.
#[derive(Debug)]
pub(crate) struct EndpointEntry {
    pub(crate) endpoint: String,
    pub(crate) bound: bool,
    pub(crate) task: tokio::task::AbortHandle,
    /// The connecter's pipe, which outlives its connections.
    pub(crate) pipe: Option<Arc<Pipe>>,
}

/// Shared by the socket handle and all its tasks.
pub(crate) struct Core {
    pub(crate) socket_type: SocketType,
    options: Mutex<Options>,
    sndtimeo: AtomicU64,
    rcvtimeo: AtomicU64,
    state: Mutex<State>,
    /// Messages the receiving side already took from the shared queue in one go
    /// (patterns whose receive is a plain hand-over, see
    /// [`Pattern::plain_recv`]): receiving them takes this lock, which engines
    /// never touch, instead of the socket's.
    taken: Mutex<Queued>,
    /// Messages arrived (or the socket closed): waiting receives look again.
    recv_ready: Signal,
    /// A pipe has room again (or came or went): waiting sends try again.
    send_ready: Signal,
    pub(crate) monitor: MonitorHub,
    closing_tx: watch::Sender<bool>,
    closed: AtomicBool,
    pub(crate) tasks: Mutex<JoinSet<()>>,
    pub(crate) endpoints: Mutex<Vec<EndpointEntry>>,
    last_endpoint: Mutex<Option<String>>,
    /// The engines of this socket's connections, which a waiting receive may
    /// poll itself (see [`engine::drive`](crate::engine::drive)); replaced, not
    /// changed, when an engine comes or goes, so that a wait takes the list with
    /// one reference count.
    engines: Mutex<Arc<Vec<Arc<EngineCell>>>>,
    /// Whether the last wait of a receive ended on a stream (more waiting after
    /// the message, or a large message): the next wait then leaves the engine to
    /// its own task, so that reading overlaps with the application's work.
    recv_streaming: AtomicBool,
    /// Whether an idle connection's engine lends its write half to the senders
    /// (see [`shared_write`](crate::transport::shared_write)); not for a
    /// blocking socket (see [`Core::set_direct_writes`]).
    direct_writes: AtomicBool,
    /// Lets a thread send straight into the pattern's only pipe (see
    /// [`sole`]).
    sole: Gate,
}

/// Keeps an engine in its socket's list while it runs; stops it when dropped.
pub(crate) struct EngineRegistration<'a> {
    core: &'a Core,
    cell: Arc<EngineCell>,
}

impl Drop for EngineRegistration<'_> {
    fn drop(&mut self) {
        {
            let mut engines = lock(&self.core.engines);
            let kept = engines
                .iter()
                .filter(|c| !Arc::ptr_eq(c, &self.cell))
                .cloned()
                .collect();
            *engines = Arc::new(kept);
        }
        self.cell.stop();
    }
}

/// A receive waiting on engines; passes their wake-ups back to their tasks when
/// the receive ends, however it ends.
struct Receiving {
    cells: Arc<Vec<Arc<EngineCell>>>,
    waker: Option<std::task::Waker>,
}

impl Receiving {
    /// Registers `waker` with the engines, unless it is registered already. (A
    /// registration another receive replaced, or dropped on leaving with a waker
    /// of the same task, is not renewed: the engines' wake-ups then go elsewhere,
    /// and what they deliver is announced to this receive by the socket's
    /// `recv_ready`, with which it is registered whenever it waits.)
    fn wait(&mut self, waker: &std::task::Waker) {
        if self.waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            return;
        }
        self.leave();
        self.waker = Some(waker.clone());
        for cell in self.cells.iter() {
            cell.receiver_waits(waker);
        }
    }

    fn leave(&mut self) {
        if let Some(w) = self.waker.take() {
            for cell in self.cells.iter() {
                cell.receiver_leaves(&w);
            }
        }
    }

    /// Polls the engines that a wake-up came for (all of them when there is one
    /// only: polling an idle engine costs less than the check).
    fn poll_engines(&self) {
        let all = self.cells.len() == 1;
        for cell in self.cells.iter() {
            if all || cell.needs_poll() {
                cell.poll_engine(true);
            }
        }
    }

    fn needs_poll(&self) -> bool {
        self.cells.iter().any(|c| c.needs_poll())
    }
}

impl Drop for Receiving {
    fn drop(&mut self) {
        self.leave();
    }
}

const NO_TIMEOUT: u64 = u64::MAX;

/// Most connections whose engines a waiting receive polls itself; a socket with
/// more leaves them to their tasks (registering with each costs the wait a lock
/// per connection).
const MAX_DRIVEN_ENGINES: usize = 8;

/// A message this large ends a receive's wait as part of a stream (see
/// [`Core::note_wait_end`]).
const STREAM_MESSAGE_BYTES: usize = 16 * 1024;

/// Messages a plain receive takes from the shared queue under one lock.
const TAKE_BATCH: usize = 64;
/// Largest number of bytes taken ahead in one batch (unless one message is larger).
const TAKE_BYTES: usize = 64 * 1024;

/// The bytes (all frames) of `msgs`, as the pipes' byte limit counts them.
fn bytes_of(msgs: &VecDeque<Message>) -> usize {
    msgs.iter().map(Message::byte_len).sum()
}

/// Whether sockets of type `t` drop what they cannot queue rather than wait (at
/// the HWM, or for want of a route): a loop of their sends may never wait.
fn sends_never_wait(t: SocketType) -> bool {
    use SocketType::*;
    matches!(
        t,
        Pub | XPub | Radio | Router | Server | Peer | Stream | Dgram
    )
}

fn encode_timeout(t: Option<Duration>) -> u64 {
    t.map_or(NO_TIMEOUT, |d| {
        u64::try_from(d.as_nanos()).unwrap_or(NO_TIMEOUT - 1)
    })
}

fn decode_timeout(v: u64) -> Option<Duration> {
    (v != NO_TIMEOUT).then(|| Duration::from_nanos(v))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Core {
    pub(crate) fn new(socket_type: SocketType) -> Result<Arc<Core>, Error> {
        let mut pattern = pattern::for_type(socket_type)?;
        let options = Options::for_type(socket_type);
        pattern.options_changed(&options);
        Ok(Arc::new(Core {
            socket_type,
            sndtimeo: AtomicU64::new(encode_timeout(options.sndtimeo)),
            rcvtimeo: AtomicU64::new(encode_timeout(options.rcvtimeo)),
            options: Mutex::new(options.clone()),
            state: Mutex::new(State {
                pattern,
                options,
                inbound: VecDeque::new(),
                spare: Vec::new(),
                attached: Vec::new(),
            }),
            taken: Mutex::new(Queued::default()),
            recv_ready: Signal::default(),
            send_ready: Signal::default(),
            monitor: MonitorHub::default(),
            closing_tx: watch::channel(false).0,
            closed: AtomicBool::new(false),
            tasks: Mutex::new(JoinSet::new()),
            endpoints: Mutex::new(Vec::new()),
            last_endpoint: Mutex::new(None),
            engines: Mutex::new(Arc::new(Vec::new())),
            recv_streaming: AtomicBool::new(false),
            direct_writes: AtomicBool::new(true),
            sole: Gate::default(),
        }))
    }

    /// Runs `task` as one of the socket's tasks (aborted or awaited on close).
    pub(crate) fn spawn(
        &self,
        task: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> tokio::task::AbortHandle {
        lock(&self.tasks).spawn(task)
    }

    /// Records a bound or connected endpoint for unbind/disconnect; `task` is the
    /// listener or connecter, `pipe` a connecter's pipe.
    pub(crate) fn add_endpoint(
        &self,
        endpoint: String,
        bound: bool,
        task: tokio::task::AbortHandle,
        pipe: Option<Arc<Pipe>>,
    ) {
        lock(&self.endpoints).push(EndpointEntry {
            endpoint,
            bound,
            task,
            pipe,
        });
    }

    pub(crate) fn options(&self) -> Options {
        lock(&self.options).clone()
    }

    pub(crate) fn set_options(&self, options: Options) {
        self.sndtimeo
            .store(encode_timeout(options.sndtimeo), Ordering::Relaxed);
        self.rcvtimeo
            .store(encode_timeout(options.rcvtimeo), Ordering::Relaxed);
        {
            let mut st = self.state();
            st.pattern.options_changed(&options);
            st.options = options.clone();
            self.sole.changed();
            self.refilter_taken(&st);
        }
        *lock(&self.options) = options;
    }

    /// Hands the pending `ZMQ_CONNECT_ROUTING_ID`, if any, to the pattern for a new
    /// connecter's `pipe`: each connect consumes it.
    pub(crate) fn take_connect_routing_id(&self, pipe: &Arc<Pipe>) {
        let routing_id = lock(&self.options).connect_routing_id.take();
        let mut st = self.state();
        st.options.connect_routing_id = None;
        if let Some(id) = routing_id {
            st.pattern.set_connect_routing_id(pipe.id(), id);
        }
    }

    pub(crate) fn last_endpoint(&self) -> Option<String> {
        lock(&self.last_endpoint).clone()
    }

    pub(crate) fn set_last_endpoint(&self, endpoint: String) {
        *lock(&self.last_endpoint) = Some(endpoint);
    }

    pub(crate) fn monitor(&self) -> Monitor {
        self.monitor.subscribe()
    }

    pub(crate) fn emit(&self, event: MonitorEvent) {
        self.monitor.emit(event);
    }

    /// Whether the engines may lend their write half to the senders when idle.
    pub(crate) fn direct_writes(&self) -> bool {
        self.direct_writes.load(Ordering::Relaxed)
    }

    /// Lets the engines lend their write half to the senders (the default,
    /// where the runtime allows it: see `engine::zmtp::lends_write_half`), or
    /// not: a blocking socket's requests and replies go through the pipe and
    /// are written by the connection's worker, whatever the CPUs.
    ///
    /// A blocking receive sleeps on its connections' sockets itself (see
    /// [`transport::hint`](crate::transport::hint)); on a 2-vCPU VM a
    /// REQ↔REP round trip between blocking sockets took 27 µs of p50 with the
    /// worker writing and 67 µs with the sending thread writing (peers
    /// started by hand, alternating); in the bench runner 0.37–0.40× libzmq's
    /// against 0.68×.
    pub(crate) fn set_direct_writes(&self, on: bool) {
        self.direct_writes.store(on, Ordering::Relaxed);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    pub(crate) fn closing(&self) -> watch::Receiver<bool> {
        self.closing_tx.subscribe()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Adds a pipe to the pattern.
    pub(crate) fn attach(&self, pipe: &Arc<Pipe>) {
        let mut st = self.state();
        if !st.attached.contains(&pipe.id()) {
            st.attached.push(pipe.id());
            st.pattern.attach(pipe);
            self.sole.changed();
        }
        drop(st);
        self.send_ready.notify();
    }

    /// The handshake on `pipe` completed; attaches it if needed. Returns the control
    /// traffic to send first, or the reason the peer is refused.
    pub(crate) fn ready(&self, pipe: &Arc<Pipe>, peer: &PeerInfo) -> Result<Vec<Outbound>, String> {
        let mut st = self.state();
        if !st.attached.contains(&pipe.id()) {
            st.attached.push(pipe.id());
            st.pattern.attach(pipe);
        }
        let result = st.pattern.ready(pipe, peer);
        let greeting = st.pattern.greeting_traffic();
        self.after_pipe_change(st);
        result.map(|()| greeting)
    }

    pub(crate) fn disconnected(&self, id: PipeId) {
        let mut st = self.state();
        st.pattern.disconnected(id);
        self.after_pipe_change(st);
    }

    /// After a pipe became ready, left or lost its connection: ends the threads'
    /// shortcuts to the pattern's only pipe, hands the pattern's own
    /// messages (XPUB's cancellations, ROUTER's and STREAM's notifications) to the
    /// application, and lets blocked senders retry (a full pipe that went away no
    /// longer holds back an XPUB_NODROP send).
    fn after_pipe_change(&self, mut st: MutexGuard<'_, State>) {
        // A pipe a thread remembers as the pattern's only one may not be so any
        // more (see `sole`).
        self.sole.changed();
        let events = st.pattern.take_events();
        let delivered = !events.is_empty();
        for (pipe, msg) in events {
            pipe.add_inbound(1, msg.byte_len());
            st.push_inbound(&pipe, &mut VecDeque::from([msg]), true);
        }
        drop(st);
        if delivered {
            self.recv_ready.notify();
        }
        self.send_ready.notify();
    }

    /// Changes the application's subscriptions (SUB, XSUB, DISH; XPUB with
    /// XPUB_MANUAL).
    pub(crate) fn set_subscription(&self, subscribe: bool, topic: Bytes) -> Result<(), Error> {
        let mut st = self.state();
        st.pattern.set_subscription(subscribe, topic)?;
        self.refilter_taken(&st);
        Ok(())
    }

    /// A filtering pattern's subscriptions or options changed: messages taken
    /// ahead in a batch are filtered again, so none is delivered that the new
    /// filter would drop.
    fn refilter_taken(&self, st: &State) {
        if st.pattern.filters_recv() {
            lock(&self.taken).retain(|m| st.pattern.passes(m));
        }
    }

    /// The routing id the pattern gave `pipe` (SERVER, PEER), if any.
    pub(crate) fn routing_id(&self, pipe: PipeId) -> Option<Bytes> {
        self.state().pattern.routing_id(pipe)
    }

    /// Takes a connecter's pipe out of the pattern while its connection is down
    /// (IMMEDIATE): queued messages are dropped, the pipe stays usable for the next
    /// connection.
    pub(crate) fn suspend(&self, pipe: &Arc<Pipe>) {
        let mut st = self.state();
        if let Some(i) = st.attached.iter().position(|&id| id == pipe.id()) {
            st.attached.swap_remove(i);
            st.pattern.detach(pipe.id());
        }
        self.after_pipe_change(st);
        pipe.clear();
    }

    /// Removes a pipe for good; its undelivered inbound messages stay receivable.
    pub(crate) fn detach(&self, pipe: &Arc<Pipe>) {
        pipe.terminate();
        let mut st = self.state();
        if let Some(i) = st.attached.iter().position(|&id| id == pipe.id()) {
            st.attached.swap_remove(i);
            st.pattern.detach(pipe.id());
        }
        self.after_pipe_change(st);
    }

    /// Hands a batch of messages from one pipe to the application; `batch` is left
    /// empty (the batch itself moves into the socket's queue).
    pub(crate) fn push_inbound(&self, pipe: &Arc<Pipe>, batch: &mut VecDeque<Message>) {
        if batch.is_empty() {
            return;
        }
        {
            let mut st = self.state();
            if st.pattern.discards_inbound() {
                batch.clear();
                return;
            }
            if st.options.conflate {
                // Keep only the newest message from this pipe.
                let newest = batch.pop_back();
                batch.clear();
                batch.extend(newest);
                let (mut dropped, mut dropped_bytes) = (0, 0);
                st.inbound.retain(|run| {
                    let same = run.pipe.id() == pipe.id();
                    if same {
                        dropped += run.queued.len();
                        dropped_bytes += run.queued.byte_len();
                    }
                    !same
                });
                pipe.take_inbound(dropped, dropped_bytes);
            }
            pipe.add_inbound(batch.len(), bytes_of(batch));
            st.push_inbound(pipe, batch, false);
        }
        self.recv_ready.notify();
    }

    /// Hands what a ZMTP session delivered, from one pipe, to the application;
    /// `batch` is left empty. Runs in wire form stay so, to be decoded by the
    /// receiving side.
    pub(crate) fn deliver(&self, pipe: &Arc<Pipe>, batch: &mut VecDeque<Delivery>) {
        if batch.is_empty() {
            return;
        }
        let conflate = {
            let mut st = self.state();
            if st.pattern.discards_inbound() {
                batch.clear();
                return;
            }
            if !st.options.conflate {
                // A spare queue (a fresh one here was allocated per read, and the
                // spare that `push_inbound` swapped in for it was dropped).
                let mut msgs = st.spare.pop().unwrap_or_default();
                for delivery in batch.drain(..) {
                    match delivery {
                        Delivery::Run(wire) => {
                            if !msgs.is_empty() {
                                pipe.add_inbound(msgs.len(), bytes_of(&msgs));
                                st.push_inbound(pipe, &mut msgs, false);
                            }
                            pipe.add_inbound(wire.len(), wire.payload_len());
                            st.push_wire(pipe, wire);
                        }
                        Delivery::Message(m) => msgs.push_back(m),
                        _ => {}
                    }
                }
                if !msgs.is_empty() {
                    pipe.add_inbound(msgs.len(), bytes_of(&msgs));
                    st.push_inbound(pipe, &mut msgs, false);
                }
                st.recycle(msgs);
            }
            st.options.conflate
        };
        if conflate {
            // Decoded, so that any message of the pipe can be dropped.
            let mut msgs = VecDeque::new();
            for delivery in batch.drain(..) {
                match delivery {
                    Delivery::Run(wire) => msgs.extend(wire),
                    Delivery::Message(m) => msgs.push_back(m),
                    _ => {}
                }
            }
            self.push_inbound(pipe, &mut msgs);
        } else {
            self.recv_ready.notify();
        }
    }

    /// A peer subscribed or cancelled (or joined or left a group), after the
    /// messages in `before` (handed up first, so that messages and subscriptions
    /// keep the order they arrived in; left empty).
    pub(crate) fn subscription(
        &self,
        pipe: &Arc<Pipe>,
        before: &mut VecDeque<Message>,
        subscribe: bool,
        topic: Bytes,
    ) {
        self.push_inbound(pipe, before);
        let mut st = self.state();
        let Some(msg) = st.pattern.subscription(pipe.id(), subscribe, topic) else {
            return;
        };
        // Delivered like any message of this pipe (and accounted like one).
        pipe.add_inbound(1, msg.byte_len());
        st.push_inbound(pipe, &mut VecDeque::from([msg]), false);
        drop(st);
        self.recv_ready.notify();
    }

    /// An engine drained a pipe that was at its HWM: blocked senders may retry.
    pub(crate) fn notify_send_ready(&self) {
        self.send_ready.notify();
    }

    /// One attempt at sending: `Ok(None)` when queued, `Ok(Some(msg))` when no pipe
    /// has room.
    pub(crate) fn try_send_once(&self, msg: Message) -> Result<Option<Message>, Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        if msg.is_empty() {
            return Err(Error::InvalidOption {
                option: "message",
                reason: "a message needs at least one frame".into(),
            });
        }
        let Err(msg) = self.sole.try_push(msg) else {
            return Ok(None);
        };
        match self.send_through_pattern(|st| st.send(msg)) {
            Ok(()) => Ok(None),
            Err(SendError::Refused(e)) => Err(e),
            Err(SendError::WouldBlock(back)) => Ok(Some(back)),
        }
    }

    /// A send by the socket's path: `send` under the socket's lock. If it
    /// queued and the pattern has only one pipe to send to, this thread's next
    /// sends go straight to that pipe (see [`sole`]); never under IMMEDIATE,
    /// where a pipe without a connection must not queue.
    #[inline]
    fn send_through_pattern(
        &self,
        send: impl FnOnce(&mut State) -> Result<(), SendError>,
    ) -> Result<(), SendError> {
        let mut st = self.state();
        let sent = send(&mut st);
        if sent.is_ok() && !st.options.immediate {
            if let Some(pipe) = st.pattern.sole_pipe() {
                self.sole.remember(pipe);
            }
        }
        sent
    }

    /// [`try_send_once`](Self::try_send_once) of a one-frame message holding a
    /// copy of `data`: `Ok(Some(data))` when no pipe has room.
    pub(crate) fn try_send_slice_once<'d>(
        &self,
        data: &'d [u8],
    ) -> Result<Option<&'d [u8]>, Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let Err(data) = self.sole.try_push(data) else {
            return Ok(None);
        };
        match self.send_through_pattern(|st| st.send_slice(data)) {
            Ok(()) => Ok(None),
            Err(SendError::Refused(e)) => Err(e),
            Err(SendError::WouldBlock(_)) => Ok(Some(data)),
        }
    }

    /// Sends one message, waiting for room up to `timeout` (`None` = forever,
    /// zero = not at all). The first poll tries at once, under one lock, and
    /// registers no waiter; only a send that must wait builds (and boxes) the
    /// waiting future.
    #[inline]
    pub(crate) fn send(
        &self,
        msg: Message,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        self.send_with(msg, timeout, Core::try_send_once)
    }

    /// [`send`](Self::send) of a one-frame message holding a copy of `data`
    /// (copied when queued: small messages to a tcp or ipc peer go straight into
    /// its encoded batch, with no allocation).
    #[inline]
    pub(crate) fn send_slice<'a>(
        &'a self,
        data: &'a [u8],
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        self.send_with(data, timeout, Core::try_send_slice_once)
    }

    /// The future of [`send`](Self::send) and [`send_slice`](Self::send_slice):
    /// `try_once` queues `payload` or hands it back to retry once there is room.
    #[inline]
    fn send_with<'a, P: Send + Unpin + 'a>(
        &'a self,
        payload: P,
        timeout: Option<Duration>,
        try_once: fn(&Core, P) -> Result<Option<P>, Error>,
    ) -> impl Future<Output = Result<(), Error>> + Send + 'a {
        let attempt = move || match try_once(self, payload) {
            Err(e) => Attempt::Done(Err(e)),
            Ok(None) => Attempt::Done(Ok(())),
            Ok(Some(_)) if timeout == Some(Duration::ZERO) => Attempt::Done(Err(Error::WouldBlock)),
            Ok(Some(back)) => {
                let mut payload = Some(back);
                Attempt::Wait(Box::pin(self.wait_for(
                    &self.send_ready,
                    timeout,
                    move || {
                        let p = payload.take().expect("kept between attempts");
                        match try_once(self, p)? {
                            None => Ok(Some(())),
                            Some(back) => {
                                payload = Some(back);
                                Ok(None)
                            }
                        }
                    },
                )))
            }
        };
        if sends_never_wait(self.socket_type) {
            FirstTry::cooperative(attempt)
        } else {
            FirstTry::new(attempt)
        }
    }

    /// Retries `attempt` each time `ready` is notified until it gives a value, for
    /// up to `timeout` (`None` = forever). Each retry follows the registration, so a
    /// notification in between is not missed.
    async fn wait_for<T>(
        &self,
        ready: &Signal,
        timeout: Option<Duration>,
        mut attempt: impl FnMut() -> Result<Option<T>, Error>,
    ) -> Result<T, Error> {
        let deadline = timeout.map(|t| Instant::now() + t);
        loop {
            let waiter = ready.waiter();
            // Registered by its making (see `Waiter::notified`).
            let notified = waiter.notified();
            tokio::pin!(notified);
            if let Some(value) = attempt()? {
                return Ok(value);
            }
            match deadline {
                Some(d) if d <= Instant::now() => return Err(Error::Timeout),
                Some(d) => {
                    let _ = tokio::time::timeout_at(d, notified).await;
                }
                None => notified.await,
            }
        }
    }

    /// Returns the first message of a batch taken at once and leaves the rest in
    /// `taken`, for the next receives.
    fn hand_over(&self, mut batch: impl Iterator<Item = Message>) -> Option<Message> {
        let first = batch.next();
        self.leave_taken(|taken| taken.extend(batch));
        first
    }

    /// Puts the rest of a batch in `taken` with `put`; if anything waits
    /// there then, counts it as a change: another receive that is about to
    /// wait may skip its last check only if it sees it (see
    /// `Signal::notices`).
    fn leave_taken(&self, put: impl FnOnce(&mut Queued)) {
        let mut taken = lock(&self.taken);
        put(&mut taken);
        if !taken.is_empty() {
            drop(taken);
            self.recv_ready.changed();
        }
    }

    /// [`hand_over`](Self::hand_over) of a batch the pattern maps (ROUTER:
    /// `maps`) or filters (SUB).
    fn hand_over_through(
        &self,
        pattern: &mut dyn Pattern,
        maps: bool,
        pipe: PipeId,
        batch: impl Iterator<Item = Message>,
    ) -> Option<Message> {
        if maps {
            self.hand_over(batch.filter_map(|m| pattern.map_recv(pipe, m)))
        } else {
            self.hand_over(batch.filter(|m| pattern.passes(m)))
        }
    }

    /// [`hand_over`](Self::hand_over) of a run in wire form: the rest stays
    /// undecoded in `taken` (when nothing else waits there).
    fn hand_over_wire(&self, mut wire: WireRun) -> Option<Message> {
        let first = wire.pop_front();
        self.leave_taken(|taken| taken.extend_wire(wire));
        first
    }

    /// One attempt at receiving.
    pub(crate) fn try_recv_once(&self) -> Result<Option<Message>, Error> {
        if let Some(msg) = lock(&self.taken).pop_front() {
            return Ok(Some(msg));
        }
        let mut guard = self.state();
        let st = &mut *guard;
        st.pattern.check_recv()?;
        let plain = st.pattern.plain_recv();
        let maps = !plain && st.pattern.maps_recv();
        if (plain || maps || st.pattern.filters_recv()) && !st.options.conflate {
            // Take up to a batch of the oldest run at once (filtered, for a SUB;
            // mapped, for a ROUTER); the rest of the batch is received from `taken`.
            // (Never under CONFLATE, which must be able to drop any waiting message
            // of a pipe.)
            let State {
                pattern, inbound, ..
            } = st;
            if let Some(run) = inbound.front_mut().filter(|run| !run.own) {
                let pipe = run.pipe.id();
                let first = if run.queued.msgs.is_empty() {
                    // A run in wire form is taken whole (it holds about one read)
                    // and decoded here, on the receiving side.
                    let wire = std::mem::take(&mut run.queued.wire);
                    run.pipe.take_inbound(wire.len(), wire.payload_len());
                    if plain {
                        self.hand_over_wire(wire)
                    } else {
                        self.hand_over_through(&mut **pattern, maps, pipe, wire)
                    }
                } else {
                    // At most TAKE_BATCH messages and TAKE_BYTES bytes (but at
                    // least one message): what waits in `taken` escapes the byte
                    // limit.
                    let (mut k, mut bytes) = (0, 0);
                    for n in run
                        .queued
                        .msgs
                        .iter()
                        .take(TAKE_BATCH)
                        .map(Message::byte_len)
                    {
                        if k > 0 && bytes + n > TAKE_BYTES {
                            break;
                        }
                        k += 1;
                        bytes += n;
                    }
                    run.pipe.take_inbound(k, bytes);
                    let batch = run.queued.msgs.drain(..k);
                    if plain {
                        self.hand_over(batch)
                    } else {
                        self.hand_over_through(&mut **pattern, maps, pipe, batch)
                    }
                };
                if run.queued.is_empty() {
                    st.pop_run();
                }
                if first.is_some() {
                    return Ok(first);
                }
            }
        }
        let splits = st.pattern.splits_recv();
        while let Some(run) = st.inbound.front_mut() {
            if splits && !run.own && run.queued.msgs.is_empty() {
                // A message in wire form, to a pattern that strips its first
                // frame (see `Pattern::splits_recv`).
                let Some((first, rest)) = run.queued.wire.pop_front_split() else {
                    st.pop_run();
                    continue;
                };
                let bytes = first.len() + rest.as_ref().map_or(0, Message::byte_len);
                run.pipe.take_inbound(1, bytes);
                let pipe = run.pipe.id();
                if run.queued.is_empty() {
                    st.pop_run();
                }
                if let Some(msg) = st.pattern.recv_split(pipe, first, rest)? {
                    return Ok(Some(msg));
                }
                continue;
            }
            let Some(msg) = run.queued.pop_front() else {
                st.pop_run();
                continue;
            };
            run.pipe.take_inbound(1, msg.byte_len());
            let (pipe, own) = (run.pipe.id(), run.own);
            if run.queued.is_empty() {
                st.pop_run();
            }
            let msg = if own {
                st.pattern.recv_event(pipe, msg)?
            } else {
                st.pattern.recv(pipe, msg)?
            };
            if let Some(msg) = msg {
                return Ok(Some(msg));
            }
        }
        drop(guard);
        if self.is_closed() {
            return Err(Error::Closed);
        }
        Ok(None)
    }

    /// Receives one message, waiting up to `timeout` (`None` = forever, zero = not at
    /// all). Like [`send`](Self::send), the first poll takes one lock and registers
    /// no waiter.
    #[inline]
    pub(crate) fn recv(
        &self,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<Message, Error>> + Send + '_ {
        FirstTry::new(move || {
            let seen = self.recv_ready.notices();
            match self.try_recv_once() {
                Err(e) => Attempt::Done(Err(e)),
                Ok(Some(msg)) => Attempt::Done(Ok(msg)),
                Ok(None) if timeout == Some(Duration::ZERO) => {
                    Attempt::Done(Err(Error::WouldBlock))
                }
                Ok(None) => Attempt::Wait(Box::pin(self.wait_recv(timeout, seen))),
            }
        })
    }

    /// Lists a running engine, which a receive may poll while it waits.
    pub(crate) fn register_engine(&self, cell: &Arc<EngineCell>) -> EngineRegistration<'_> {
        {
            let mut engines = lock(&self.engines);
            let mut more = Vec::with_capacity(engines.len() + 1);
            more.extend(engines.iter().cloned());
            more.push(cell.clone());
            *engines = Arc::new(more);
        }
        EngineRegistration {
            core: self,
            cell: cell.clone(),
        }
    }

    /// The sockets of the connections a waiting receive reads itself now (see
    /// [`wait_recv`](Self::wait_recv)), for a blocking receive to sleep on; none
    /// while messages stream in.
    pub(crate) fn read_hints(&self, into: &mut Vec<Arc<ReadHint>>) {
        into.clear();
        if self.recv_streaming.load(Ordering::Relaxed) {
            return;
        }
        if let Some(cells) = self.engines_to_drive() {
            into.extend(cells.iter().filter_map(|c| c.hint().cloned()));
        }
    }

    /// The engines of the socket's connections, if it has some and at most
    /// [`MAX_DRIVEN_ENGINES`].
    fn engines_to_drive(&self) -> Option<Arc<Vec<Arc<EngineCell>>>> {
        let engines = lock(&self.engines);
        (1..=MAX_DRIVEN_ENGINES)
            .contains(&engines.len())
            .then(|| engines.clone())
    }

    /// A receive that found nothing waits up to `timeout`. With a few
    /// connections (up to [`MAX_DRIVEN_ENGINES`]), it polls their engines itself
    /// while it waits, and their wake-ups come to it rather than to the engines'
    /// tasks: what arrives is read and received on this thread (see
    /// [`engine::drive`](crate::engine::drive)).
    ///
    /// Not while messages stream in (see [`note_wait_end`](Self::note_wait_end)):
    /// then the engine's task reads while the application works, which a receive
    /// that reads for itself cannot overlap (64 KiB PUSH→PULL on a one-worker
    /// runtime, 5 alternating runs: 13-23k msg/s read by the receive, 20-26k by
    /// the engine's task).
    ///
    /// `seen` is the socket's count of announced changes read before the receive's
    /// first try (see [`Signal::notices`]).
    async fn wait_recv(&self, timeout: Option<Duration>, seen: usize) -> Result<Message, Error> {
        let driven = if self.recv_streaming.load(Ordering::Relaxed) {
            None
        } else {
            self.engines_to_drive()
        };
        let Some(cells) = driven else {
            let msg = self
                .wait_for(&self.recv_ready, timeout, || self.try_recv_once())
                .await?;
            self.note_wait_end(&msg);
            return Ok(msg);
        };
        let deadline = timeout.map(|t| Instant::now() + t);
        let mut receiving = Receiving { cells, waker: None };
        // The receive's first try has just failed: the engines are polled before
        // the wait only if a wake-up for them came meanwhile.
        let mut poll_first = false;
        // The count of announced changes before the last try.
        let mut seen = seen;
        loop {
            std::future::poll_fn(|cx| {
                receiving.wait(cx.waker());
                Poll::Ready(())
            })
            .await;
            if poll_first || receiving.needs_poll() {
                // Polled while this receive has no wait registered: what the
                // engine delivers on this thread announces itself to nobody, or
                // to other receives only (see `Signal`).
                receiving.poll_engines();
                seen = self.recv_ready.notices();
                if let Some(msg) = self.try_recv_once()? {
                    self.note_wait_end(&msg);
                    return Ok(msg);
                }
            }
            poll_first = true;
            let waiter = self.recv_ready.waiter();
            let notified = waiter.notified();
            tokio::pin!(notified);
            // Messages that came another way before the wait was registered (an
            // engine's own task, a connection newer than `cells`, inproc); not
            // looked for again when nothing was announced since the last try (a
            // lock of the socket fewer: ~250 instructions of a REQ's round trip).
            let now = self.recv_ready.notices();
            if now != seen {
                seen = now;
                if let Some(msg) = self.try_recv_once()? {
                    self.note_wait_end(&msg);
                    return Ok(msg);
                }
            }
            // A wake-up of the engine brings this receive back to poll it, but
            // only after it has given way once: an engine out of its cooperative
            // budget wakes itself at once, and only a yield renews the budget.
            let mut yielded = false;
            let woken = std::future::poll_fn(|cx| {
                receiving.wait(cx.waker());
                if yielded && receiving.needs_poll() {
                    return Poll::Ready(());
                }
                yielded = true;
                notified.as_mut().poll(cx)
            });
            match deadline {
                Some(d) if d <= Instant::now() => return Err(Error::Timeout),
                Some(d) => {
                    let _ = tokio::time::timeout_at(d, woken).await;
                }
                None => woken.await,
            }
        }
    }

    /// A receive's wait ended with `msg`: whether messages stream in (more are
    /// waiting already, or this one is large) decides who reads during the next
    /// wait. A request or reply arrives alone.
    fn note_wait_end(&self, msg: &Message) {
        let streaming = msg.byte_len() >= STREAM_MESSAGE_BYTES
            || !lock(&self.taken).is_empty()
            || !self.state().inbound.is_empty();
        self.recv_streaming.store(streaming, Ordering::Relaxed);
    }

    /// SNDTIMEO, read without cloning the options.
    #[inline]
    pub(crate) fn sndtimeo(&self) -> Option<Duration> {
        decode_timeout(self.sndtimeo.load(Ordering::Relaxed))
    }

    /// RCVTIMEO, read without cloning the options.
    #[inline]
    pub(crate) fn rcvtimeo(&self) -> Option<Duration> {
        decode_timeout(self.rcvtimeo.load(Ordering::Relaxed))
    }

    /// Starts closing: engines flush what is queued (for up to LINGER) and stop.
    pub(crate) fn begin_close(&self) {
        self.closed.store(true, Ordering::Release);
        self.closing_tx.send_replace(true);
        // ZMTP engines read the flag whenever they are polled: each is woken to
        // read it now.
        let engines = lock(&self.engines).clone();
        for cell in engines.iter() {
            std::task::Wake::wake_by_ref(cell);
        }
        self.recv_ready.notify();
        self.send_ready.notify();
        for e in lock(&self.endpoints).iter() {
            if let Some(p) = &e.pipe {
                p.poke();
            }
        }
    }
}

/// A boxed waiting future, built only when a first attempt could not complete.
type Waiting<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

/// What the first attempt of a [`FirstTry`] gives: the result, or the future to
/// wait with.
enum Attempt<'a, T> {
    Done(Result<T, Error>),
    Wait(Waiting<'a, T>),
}

/// The future of [`Core::send`] and [`Core::recv`]: its first poll runs one
/// attempt, and only an attempt that cannot complete builds (and boxes) a waiting
/// future. Small, and allocation-free in the common case.
struct FirstTry<'a, T, F> {
    first: Option<F>,
    waiting: Option<Waiting<'a, T>>,
    /// Whether the first attempt spends the task's cooperative budget.
    cooperative: bool,
}

impl<'a, T, F: FnOnce() -> Attempt<'a, T>> FirstTry<'a, T, F> {
    fn new(first: F) -> Self {
        FirstTry {
            first: Some(first),
            waiting: None,
            cooperative: false,
        }
    }

    /// A first attempt that spends the task's cooperative budget, as tokio's own
    /// channels do: for operations that may complete at once for ever (a PUB's
    /// sends, which drop at the HWM instead of waiting), so that a loop of them
    /// yields now and then and the connection tasks sharing its thread run.
    /// (Operations that wait when they cannot proceed yield by waiting; spending
    /// budget on them only cuts their batches short.)
    fn cooperative(first: F) -> Self {
        FirstTry {
            cooperative: true,
            ..FirstTry::new(first)
        }
    }
}

impl<'a, T, F: FnOnce() -> Attempt<'a, T> + Unpin> Future for FirstTry<'a, T, F> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(first) = this.first.take() {
            let coop = if this.cooperative {
                match tokio::task::coop::poll_proceed(cx) {
                    Poll::Ready(coop) => Some(coop),
                    Poll::Pending => {
                        this.first = Some(first);
                        return Poll::Pending;
                    }
                }
            } else {
                None
            };
            match first() {
                Attempt::Done(result) => {
                    if let Some(coop) = coop {
                        coop.made_progress();
                    }
                    return Poll::Ready(result);
                }
                Attempt::Wait(waiting) => this.waiting = Some(waiting),
            }
        }
        match &mut this.waiting {
            Some(waiting) => waiting.as_mut().poll(cx),
            None => panic!("polled after completion"),
        }
    }
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("socket_type", &self.socket_type)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_gets_back_the_room_of_a_received_batch() {
        let core = Core::new(SocketType::Pull).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        let mut batch: VecDeque<Message> = (0..3).map(|_| Message::from("m")).collect();
        core.push_inbound(&pipe, &mut batch);
        assert!(batch.is_empty());
        assert_eq!(batch.capacity(), 0, "no spare queue yet");
        for _ in 0..3 {
            assert!(core.try_recv_once().unwrap().is_some());
        }
        assert!(core.try_recv_once().unwrap().is_none());
        // The emptied run's queue is kept and handed to the next batch's sender.
        batch.push_back(Message::from("n"));
        core.push_inbound(&pipe, &mut batch);
        assert!(batch.is_empty() && batch.capacity() >= 3);
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"n");
    }

    #[test]
    fn a_delivery_of_whole_messages_reuses_a_spare_queue() {
        let core = Core::new(SocketType::Pull).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        let delivery = |text: &'static str| {
            core.deliver(
                &pipe,
                &mut VecDeque::from([Delivery::Message(Message::from(text))]),
            );
        };
        delivery("m1");
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"m1");
        let spare = {
            let st = core.state();
            assert_eq!(st.spare.len(), 1, "the emptied run's queue is kept");
            st.spare[0].as_slices().0.as_ptr()
        };
        delivery("m2");
        {
            let st = core.state();
            let run = &st.inbound.back().expect("queued").queued.msgs;
            assert_eq!(run.as_slices().0.as_ptr(), spare, "no new queue");
        }
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"m2");
    }

    fn texts(msgs: &[&'static str]) -> VecDeque<Message> {
        msgs.iter().map(|m| Message::from(*m)).collect()
    }

    #[test]
    fn a_sub_filters_a_batch_at_once_and_again_when_its_subscriptions_change() {
        let core = Core::new(SocketType::Sub).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        core.set_subscription(true, Bytes::from("a")).unwrap();
        core.push_inbound(&pipe, &mut texts(&["a1", "b1", "a2", "a3", "b2"]));
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"a1");
        assert_eq!(pipe.inbound_room(), usize::MAX);
        assert_eq!(
            lock(&core.taken).len(),
            2,
            "a2 and a3 taken ahead, b1 and b2 dropped"
        );
        // Cancelled before a2 and a3 are received: they are not delivered.
        core.set_subscription(false, Bytes::from("a")).unwrap();
        core.set_subscription(true, Bytes::from("b")).unwrap();
        assert!(core.try_recv_once().unwrap().is_none());
        core.push_inbound(&pipe, &mut texts(&["a4", "b3"]));
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"b3");
        // Inverted matching applies to what was taken ahead, too.
        core.push_inbound(&pipe, &mut texts(&["b4", "b5", "c1"]));
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"b4");
        let mut o = core.options();
        o.invert_matching = true;
        core.set_options(o);
        assert!(
            core.try_recv_once().unwrap().is_none(),
            "b5 no longer passes"
        );
    }

    #[test]
    fn a_batch_joining_the_last_run_keeps_its_own_room() {
        let core = Core::new(SocketType::Pull).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        let mut batch: VecDeque<Message> = VecDeque::from([Message::from("a")]);
        core.push_inbound(&pipe, &mut batch);
        batch.push_back(Message::from("b"));
        let room = batch.capacity();
        core.push_inbound(&pipe, &mut batch);
        assert!(batch.is_empty());
        assert_eq!(batch.capacity(), room);
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"a");
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"b");
    }

    #[test]
    fn the_byte_limit_stops_reading_and_counts_what_is_taken_ahead() {
        let core = Core::new(SocketType::Pull).unwrap();
        let mut o = core.options();
        o.rcvhwm_bytes = Some(100 * 1024);
        let pipe = Arc::new(Pipe::for_options(&o));
        core.attach(&pipe);
        let big = |n: usize| Message::from(vec![7u8; n]);
        let mut batch: VecDeque<Message> = (0..4).map(|_| big(30 * 1024)).collect();
        core.push_inbound(&pipe, &mut batch);
        assert!(pipe.inbound_full(), "120 KiB waiting against 100 KiB");
        assert_eq!(pipe.inbound_room(), 0);
        // One receive takes two messages (60 KiB ≤ TAKE_BYTES), not all four: the
        // other two stay counted against the limit.
        assert!(core.try_recv_once().unwrap().is_some());
        assert_eq!(lock(&core.taken).len(), 1);
        assert!(!pipe.inbound_full(), "60 KiB waiting");
        assert!(core.try_recv_once().unwrap().is_some());
        assert!(core.try_recv_once().unwrap().is_some());
        assert!(core.try_recv_once().unwrap().is_some());
        assert!(core.try_recv_once().unwrap().is_none());
        // A single message larger than the limit still passes.
        core.push_inbound(&pipe, &mut VecDeque::from([big(200 * 1024)]));
        assert!(pipe.inbound_full());
        assert_eq!(
            core.try_recv_once().unwrap().unwrap().byte_len(),
            200 * 1024
        );
        assert!(!pipe.inbound_full());
    }

    #[test]
    fn a_req_send_discards_stale_replies_and_keeps_their_room() {
        let core = Core::new(SocketType::Req).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        // A reply that arrived before any request (a stale one) waits.
        core.push_inbound(&pipe, &mut texts(&["stale"]));
        core.try_send_once(Message::from("request")).unwrap();
        assert!(core.try_recv_once().unwrap().is_none(), "discarded");
        assert_eq!(core.state().spare.len(), 1, "its queue kept for reuse");
        assert_eq!(pipe.inbound_room(), usize::MAX);
    }

    /// `msgs` in wire form, as a PULL session hands them up after one read.
    fn wire_run(msgs: &[&'static str]) -> Delivery {
        use zocket_proto::{Session, SessionConfig};
        let now = std::time::Instant::now();
        let mut push = Session::new(SessionConfig::new(SocketType::Push), now).unwrap();
        let mut pull = Session::new(SessionConfig::new(SocketType::Pull), now).unwrap();
        for _ in 0..2 {
            while let Some(c) = push.poll_transmit() {
                pull.handle_input(&c, now).unwrap();
            }
            while let Some(c) = pull.poll_transmit() {
                push.handle_input(&c, now).unwrap();
            }
        }
        while pull.poll_event().is_some() {}
        for m in msgs {
            push.send_message(&Message::from(*m)).unwrap();
        }
        while let Some(c) = push.poll_transmit() {
            pull.handle_input(&c, now).unwrap();
        }
        let mut got = VecDeque::new();
        pull.take_deliveries(&mut got);
        assert!(got.len() == 1 && matches!(got[0], Delivery::Run(_)));
        got.pop_front().unwrap()
    }

    fn recv_all(core: &Core) -> Vec<String> {
        std::iter::from_fn(|| core.try_recv_once().unwrap())
            .map(|m| String::from_utf8(m[0].to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn runs_in_wire_form_and_decoded_messages_are_received_in_arrival_order() {
        let core = Core::new(SocketType::Pull).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        let mut batch = VecDeque::from([
            Delivery::Message(Message::from("m1")),
            wire_run(&["r1", "r2", "r3"]),
            Delivery::Message(Message::from("m2")),
            wire_run(&["r4"]),
        ]);
        core.deliver(&pipe, &mut batch);
        assert!(batch.is_empty());
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["r5", "r6"])]));
        assert_eq!(pipe.inbound_room(), usize::MAX);
        // Taken a run at a time: the first receive takes m1 alone, the second the
        // run r1..r3 (r2 and r3 wait undecoded in `taken`).
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"m1");
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"r1");
        assert_eq!(lock(&core.taken).wire.len(), 2);
        assert_eq!(
            recv_all(&core),
            ["r2", "r3", "m2", "r4", "r5", "r6"].map(String::from)
        );
    }

    #[test]
    fn a_run_counts_against_the_byte_limit_until_it_is_taken() {
        let core = Core::new(SocketType::Pull).unwrap();
        let mut o = core.options();
        o.rcvhwm = 3;
        let pipe = Arc::new(Pipe::for_options(&o));
        core.attach(&pipe);
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["a", "b", "c"])]));
        assert!(
            pipe.inbound_full(),
            "three messages against an HWM of three"
        );
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"a");
        assert!(!pipe.inbound_full(), "taken whole");
        assert_eq!(recv_all(&core), ["b", "c"].map(String::from));
    }

    #[test]
    fn a_sub_filters_a_run_and_refilters_what_waits_in_wire_form() {
        let core = Core::new(SocketType::Sub).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        core.set_subscription(true, Bytes::from("a")).unwrap();
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["a1", "b1", "a2"])]));
        assert_eq!(recv_all(&core), ["a1", "a2"].map(String::from));
        // A plain receive leaves a run undecoded in `taken`; should a filter's
        // change find one there, it is filtered again too.
        lock(&core.taken).extend_wire(match wire_run(&["a3", "b2"]) {
            Delivery::Run(run) => run,
            _ => unreachable!(),
        });
        assert_eq!(lock(&core.taken).wire.len(), 2);
        core.set_subscription(true, Bytes::from("b")).unwrap();
        core.set_subscription(false, Bytes::from("a")).unwrap();
        assert_eq!(recv_all(&core), ["b2"].map(String::from), "a3 dropped");
    }

    #[test]
    fn a_sub_subscribed_to_everything_keeps_a_run_in_wire_form_until_its_filter_changes() {
        let core = Core::new(SocketType::Sub).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        core.set_subscription(true, Bytes::new()).unwrap();
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["a1", "b1", "a2"])]));
        assert_eq!(&core.try_recv_once().unwrap().unwrap()[0][..], b"a1");
        assert_eq!(
            lock(&core.taken).wire.len(),
            2,
            "b1 and a2 wait undecoded, as on a PULL"
        );
        // Narrowed before they are received: what waits is filtered again.
        core.set_subscription(true, Bytes::from("a")).unwrap();
        core.set_subscription(false, Bytes::new()).unwrap();
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["b2", "a3"])]));
        assert_eq!(recv_all(&core), ["a2", "a3"].map(String::from));
        // Inverted, the empty topic matches nothing: no plain hand-over.
        core.set_subscription(true, Bytes::new()).unwrap();
        let mut o = core.options();
        o.invert_matching = true;
        core.set_options(o);
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["c1"])]));
        assert!(core.try_recv_once().unwrap().is_none());
    }

    #[test]
    fn conflate_keeps_only_the_newest_message_of_a_run() {
        let core = Core::new(SocketType::Pull).unwrap();
        let mut o = core.options();
        o.conflate = true;
        core.set_options(o);
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["old", "older"])]));
        core.deliver(
            &pipe,
            &mut VecDeque::from([wire_run(&["x", "y"]), Delivery::Message("z".into())]),
        );
        assert_eq!(recv_all(&core), ["z"].map(String::from));
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["p", "q"])]));
        assert_eq!(recv_all(&core), ["q"].map(String::from));
        assert_eq!(pipe.inbound_room(), usize::MAX);
    }

    #[test]
    fn a_req_send_discards_a_stale_run() {
        let core = Core::new(SocketType::Req).unwrap();
        let pipe = Arc::new(Pipe::new(0, 0));
        core.attach(&pipe);
        core.deliver(&pipe, &mut VecDeque::from([wire_run(&["s1", "s2"])]));
        core.try_send_once(Message::from("request")).unwrap();
        assert!(core.try_recv_once().unwrap().is_none(), "discarded");
        assert_eq!(pipe.inbound_room(), usize::MAX);
    }
}
