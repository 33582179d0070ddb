//! One ZMTP connection as a state machine with no I/O.
//!
//! A [`Session`] is driven from outside, in the manner of `quinn-proto`:
//!
//! - bytes read from the transport go in through [`Session::handle_input`] (or, to
//!   avoid a copy, are read straight into [`Session::input_buffer`] and announced
//!   with [`Session::handle_buffered_input`]);
//! - bytes to write come out of [`Session::poll_transmit`];
//! - whole messages, subscriptions and the handshake's outcome come out of
//!   [`Session::poll_event`];
//! - [`Session::poll_timeout`] tells when [`Session::handle_timeout`] must be called.
//!
//! The greeting is queued for transmission as soon as the session is created, so
//! the first bytes leave without waiting for the peer (libzmq withholds part of its
//! greeting until it has seen ours).
//!
//! ```
//! use std::time::Instant;
//! use zocket_proto::{Event, Message, Session, SessionConfig, SocketType};
//!
//! let now = Instant::now();
//! let mut push = Session::new(SessionConfig::new(SocketType::Push), now)?;
//! let mut pull = Session::new(SessionConfig::new(SocketType::Pull), now)?;
//! // A loopback "network": shuttle bytes both ways until both are quiet.
//! fn pump(a: &mut Session, b: &mut Session, now: Instant) -> Result<(), zocket_proto::Error> {
//!     loop {
//!         let mut moved = false;
//!         while let Some(chunk) = a.poll_transmit() { b.handle_input(&chunk, now)?; moved = true; }
//!         while let Some(chunk) = b.poll_transmit() { a.handle_input(&chunk, now)?; moved = true; }
//!         if !moved { return Ok(()); }
//!     }
//! }
//! pump(&mut push, &mut pull, now)?;
//! assert!(matches!(push.poll_event(), Some(Event::HandshakeSucceeded(_))));
//! assert!(matches!(pull.poll_event(), Some(Event::HandshakeSucceeded(_))));
//! push.send_message(&Message::from("hello"))?;
//! pump(&mut push, &mut pull, now)?;
//! assert_eq!(pull.poll_event(), Some(Event::Message(Message::from("hello"))));
//! # Ok::<(), zocket_proto::Error>(())
//! ```

mod config;
mod input;
mod outbox;
mod timers;

pub use config::SessionConfig;
pub use input::{BODY_READ_AHEAD, LARGE_BODY};

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use crate::command::{self, Command, MAX_PING_CONTEXT};
use crate::error::{Error, ProtocolError, UsageError};
use crate::frame::{self, Frame, FrameDecoder, WireRun};
use crate::greeting::{self, Greeting, GreetingDecoder, Version};
use crate::mechanism::{Mechanism, null};
use crate::message::Message;
use crate::metadata::Metadata;
use crate::socket_type::SocketType;
use input::Input;
/// Runs of messages encoded by the sender ([`Session::send_encoded`]) at least
/// this large are written by reference; smaller ones are copied.
pub use outbox::ENCODED_COPY_THRESHOLD;
use outbox::Outbox;
/// Frame bodies at least this large are written by reference; smaller ones are
/// copied into the session's write batches. An I/O layer bounding how much it
/// hands the session at once counts only what is copied.
pub use outbox::ZERO_COPY_THRESHOLD;
use timers::Timers;

/// What the handshake told us about the peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerInfo {
    /// The ZMTP version the connection speaks (the lower of the two greetings).
    pub version: Version,
    /// The peer's socket type, if it announced one (libzmq does not require it).
    pub socket_type: Option<SocketType>,
    /// The peer's `Identity` property (empty when absent).
    pub identity: Bytes,
    /// Every property of the peer's READY.
    pub metadata: Metadata,
}

/// Something the session delivers to the layer above.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The greeting and security handshake completed; messages may flow.
    HandshakeSucceeded(PeerInfo),
    /// A whole multipart message arrived.
    Message(Message),
    /// The peer subscribed to a topic prefix: a SUBSCRIBE command, or, towards a
    /// PUB or XPUB socket, a one-frame message `0x01 topic` (the ZMTP 3.0 form).
    Subscribe(Bytes),
    /// The peer cancelled a subscription (CANCEL, or `0x00 topic` towards PUB/XPUB).
    Cancel(Bytes),
    /// The peer (a DISH) joined a group.
    Join(Bytes),
    /// The peer (a DISH) left a group.
    Leave(Bytes),
}

/// Whole messages as [`Session::take_deliveries`] hands them up, in arrival order.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Delivery {
    /// One message, decoded.
    Message(Message),
    /// Messages that arrived back to back, still in wire form: the common case of
    /// a stream of messages that fit a read.
    Run(WireRun),
}

/// Most bytes of one [`WireRun`] (it ends with the message that crosses them): what
/// a receiver takes in one go stays within about one read.
pub const RUN_BYTES: usize = 64 * 1024;

#[derive(Debug)]
enum State {
    /// Waiting for the peer's 64-byte greeting.
    Greeting,
    /// Greeting done; waiting for the peer's READY.
    Handshake,
    /// Messages flow.
    Ready,
    /// A fatal error happened; the session does nothing more.
    Closed,
}

/// One ZMTP 3.x connection, from greeting to close, without I/O. See the
/// [module documentation](self).
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    state: State,
    greeting: GreetingDecoder,
    version: Version,
    decoder: FrameDecoder,
    input: Input,
    partial: Vec<Bytes>,
    outbox: Outbox,
    /// Whole messages that arrived before every event in `events` (the common case:
    /// a run of messages with no command among them), kept apart so that they can
    /// be taken as one batch.
    messages: VecDeque<Delivery>,
    events: VecDeque<Event>,
    timers: Timers,
}

impl Session {
    /// Starts a session at time `now` and queues our greeting for transmission.
    ///
    /// Fails with [`UsageError::InvalidConfig`] for a mechanism other than NULL, which
    /// is not implemented yet.
    pub fn new(config: SessionConfig, now: Instant) -> Result<Session, UsageError> {
        if config.mechanism() != Mechanism::Null {
            return Err(UsageError::InvalidConfig(
                "only the NULL mechanism is implemented",
            ));
        }
        if config.socket_type() == SocketType::Stream {
            return Err(UsageError::InvalidConfig("STREAM sockets speak no ZMTP"));
        }
        let mut outbox = Outbox::default();
        outbox
            .buf()
            .extend_from_slice(&Greeting::new(config.mechanism(), false).encode());
        let timers = Timers {
            handshake: config.handshake_ivl().map(|ivl| now + ivl),
            ..Timers::default()
        };
        Ok(Session {
            decoder: FrameDecoder::new(*config.limits()),
            config,
            state: State::Greeting,
            greeting: GreetingDecoder::new(),
            version: Version::V3_1,
            input: Input::default(),
            partial: Vec::new(),
            outbox,
            messages: VecDeque::new(),
            events: VecDeque::new(),
            timers,
        })
    }

    /// The configuration the session was made with.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Whether the handshake has completed and messages may be sent.
    pub fn is_ready(&self) -> bool {
        matches!(self.state, State::Ready)
    }

    /// Whether a fatal error has closed the session.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The negotiated ZMTP version (3.1 until the peer's greeting says otherwise).
    pub fn version(&self) -> Version {
        self.version
    }

    /// Feeds bytes received from the peer, in any chunking.
    ///
    /// On a fatal error the session closes: the error is returned once, every later
    /// call returns [`Error::Closed`], and no new event is produced (events already
    /// queued, such as messages that arrived whole before the bad bytes, stay
    /// available from [`poll_event`](Self::poll_event)).
    pub fn handle_input(&mut self, data: &[u8], now: Instant) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        self.input.buf.extend_from_slice(data);
        self.handle_buffered_input(now)
    }

    /// The buffer the session reads its input from. An I/O layer may read from the
    /// transport straight into it (then call
    /// [`handle_buffered_input`](Self::handle_buffered_input)) to avoid a copy,
    /// after making room with [`reserve_input`](Self::reserve_input) (or bounding
    /// what it reserves itself, never by [`FrameDecoder::needed`] alone).
    pub fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input.buf
    }

    /// Makes room in [`input_buffer`](Self::input_buffer) for the next read.
    ///
    /// A stream of frames shares one buffer, which keeps at least `chunk / 4`
    /// bytes free and grows with the data it holds (doubling), never by a size a
    /// peer declared. The body of a data frame of [`LARGE_BODY`] bytes or more is
    /// received in a buffer of its own, sized to the body but never more than
    /// [`BODY_READ_AHEAD`] bytes beyond what arrived: the message then holds
    /// exactly its own bytes, not a doubled buffer shared with the next message.
    ///
    /// ```
    /// use std::time::Instant;
    /// use zocket_proto::{Session, SessionConfig, SocketType};
    /// let mut s = Session::new(SessionConfig::new(SocketType::Pull), Instant::now())?;
    /// s.reserve_input(64 * 1024);
    /// assert!(s.input_buffer().capacity() >= 16 * 1024);
    /// # Ok::<(), zocket_proto::Error>(())
    /// ```
    pub fn reserve_input(&mut self, chunk: usize) {
        self.input.reserve(chunk);
    }

    /// Processes whatever was appended to [`input_buffer`](Self::input_buffer).
    /// Errors are as for [`handle_input`](Self::handle_input).
    pub fn handle_buffered_input(&mut self, now: Instant) -> Result<(), Error> {
        let result = self.process_input(now);
        if let Err(e) = &result {
            if matches!(e, Error::Closed) {
                return result;
            }
            self.close();
        }
        result
    }

    fn close(&mut self) {
        self.state = State::Closed;
        self.input = Input::default();
        self.partial = Vec::new();
        self.outbox.clear();
        self.timers.clear();
    }

    fn process_input(&mut self, now: Instant) -> Result<(), Error> {
        if matches!(self.state, State::Closed) {
            return Err(Error::Closed);
        }
        if matches!(self.state, State::Greeting) {
            let (used, done) = self.greeting.feed(&self.input.buf)?;
            let _ = self.input.buf.split_to(used);
            let Some(peer) = done else { return Ok(()) };
            self.on_greeting(peer)?;
        }
        loop {
            if self.plain_data() && self.take_whole_data() {
                self.timers.on_traffic();
            }
            let Some(frame) = self.decoder.decode(&mut self.input.buf)? else {
                if let (Some((len, false)), State::Ready) =
                    (self.decoder.pending_body(), &self.state)
                {
                    // Only the start of a data body is buffered.
                    self.input.start_body(len);
                }
                return Ok(());
            };
            self.input.end_body();
            self.timers.on_traffic();
            self.on_frame(frame, now)?;
        }
    }

    /// Whether data frames may take the fast path of
    /// [`take_whole_data`](Self::take_whole_data): messages flow, no other event is
    /// queued before them, and this socket type gives no message a special meaning.
    fn plain_data(&self) -> bool {
        let ours = self.config.socket_type();
        matches!(self.state, State::Ready)
            && self.events.is_empty()
            && !ours.receives_subscriptions()
            && !ours.is_single_frame()
    }

    /// Takes the whole data frames at the front of the input, assembling messages
    /// as [`on_frame`](Self::on_frame) would; stops at anything else (left for the
    /// general decoder) and before a frame that would break the frame-count limit
    /// (which the general path then reports). Returns whether it took any.
    ///
    /// Between messages, whole messages are taken as [`WireRun`]s; frames one by
    /// one only to finish a message begun in an earlier read or to start one that
    /// ends in a later one.
    fn take_whole_data(&mut self) -> bool {
        let max_frames = self.config.limits().max_frames_per_message();
        let mut took = false;
        loop {
            if self.partial.is_empty() {
                let buf = &mut self.input.buf;
                if let Some(run) = self.decoder.take_run(buf, max_frames, RUN_BYTES) {
                    self.messages.push_back(Delivery::Run(run));
                    took = true;
                    continue;
                }
            }
            if self.partial.len() >= max_frames {
                break;
            }
            let Some((more, body)) = self.decoder.take_whole_data(&mut self.input.buf) else {
                break;
            };
            took = true;
            if more {
                self.partial.push(body);
            } else if self.partial.is_empty() {
                self.messages
                    .push_back(Delivery::Message(Message::single(body)));
            } else {
                let mut frames = std::mem::take(&mut self.partial);
                frames.push(body);
                self.messages
                    .push_back(Delivery::Message(Message::from_frames(frames)));
            }
        }
        took
    }

    fn on_greeting(&mut self, peer: Greeting) -> Result<(), Error> {
        let ours = self.config.mechanism();
        if peer.mechanism != ours.greeting_field() {
            return Err(ProtocolError::MechanismMismatch {
                ours: ours.name(),
                theirs: String::from_utf8_lossy(peer.mechanism_name()).into_owned(),
            }
            .into());
        }
        self.version = greeting::negotiated(Version::V3_1, peer.version);
        let ready = null::ready_command(
            self.config.socket_type(),
            self.config.routing_id(),
            self.config.metadata(),
        );
        ready.encode(self.outbox.buf())?;
        self.state = State::Handshake;
        Ok(())
    }

    fn on_frame(&mut self, frame: Frame, now: Instant) -> Result<(), Error> {
        if frame.command {
            let command = Command::parse(frame.body)?;
            return self.on_command(command, now);
        }
        if !matches!(self.state, State::Ready) {
            return Err(ProtocolError::UnexpectedDuringHandshake {
                what: "message".into(),
            }
            .into());
        }
        if self.partial.len() >= self.config.limits().max_frames_per_message() {
            return Err(ProtocolError::TooManyFrames {
                limit: self.config.limits().max_frames_per_message(),
            }
            .into());
        }
        if frame.more {
            self.partial.push(frame.body);
            return Ok(());
        }
        let message = if self.partial.is_empty() {
            Message::single(frame.body)
        } else {
            let mut frames = std::mem::take(&mut self.partial);
            frames.push(frame.body);
            Message::from_frames(frames)
        };
        self.on_message(message);
        Ok(())
    }

    fn on_message(&mut self, message: Message) {
        let ours = self.config.socket_type();
        if message.len() == 1 && ours.receives_subscriptions() {
            if let Some((subscribe, topic)) = command::parse_subscription_message(&message[0]) {
                self.events.push_back(if subscribe {
                    Event::Subscribe(topic)
                } else {
                    Event::Cancel(topic)
                });
                return;
            }
        }
        // A DISH receives `[group][body]` from its RADIO (RFC 37 §The Radio-Dish
        // Pattern); otherwise, RFC 37 §Thread-Safe Socket Types: multipart messages
        // are discarded whole.
        let max_frames = if ours == SocketType::Dish { 2 } else { 1 };
        if message.len() > max_frames && ours.is_single_frame() {
            return;
        }
        if self.events.is_empty() {
            self.messages.push_back(Delivery::Message(message));
        } else {
            self.events.push_back(Event::Message(message));
        }
    }

    fn on_command(&mut self, command: Command, now: Instant) -> Result<(), Error> {
        match self.state {
            State::Handshake => {
                let peer = null::handle_peer_command(self.config.socket_type(), command)?;
                self.state = State::Ready;
                self.timers.handshake = None;
                self.timers.next_ping = self.config.heartbeat_ivl().map(|ivl| now + ivl);
                self.events.push_back(Event::HandshakeSucceeded(PeerInfo {
                    version: self.version,
                    socket_type: peer.socket_type,
                    identity: peer.identity,
                    metadata: peer.metadata,
                }));
                Ok(())
            }
            State::Ready => {
                match command {
                    Command::Ping { ttl, context } => {
                        let context = context.slice(..context.len().min(MAX_PING_CONTEXT));
                        Command::Pong { context }.encode(self.outbox.buf())?;
                        if ttl > 0 {
                            let millis = u64::from(ttl) * 100;
                            self.timers.peer_ttl = Some(now + Duration::from_millis(millis));
                            self.timers.peer_ttl_millis = millis;
                        }
                    }
                    Command::Subscribe { topic } => self.events.push_back(Event::Subscribe(topic)),
                    Command::Cancel { topic } => self.events.push_back(Event::Cancel(topic)),
                    Command::Join { group } => self.events.push_back(Event::Join(group)),
                    Command::Leave { group } => self.events.push_back(Event::Leave(group)),
                    Command::Error { reason } => {
                        return Err(ProtocolError::PeerSentError {
                            reason: String::from_utf8_lossy(&reason).into_owned(),
                        }
                        .into());
                    }
                    // PONG only proves liveness (already noted); libzmq ignores any
                    // other command after the handshake, and so do we.
                    _ => {}
                }
                Ok(())
            }
            State::Greeting | State::Closed => Err(Error::Closed),
        }
    }

    /// Queues a whole message for transmission. Frames of at least
    /// [`ZERO_COPY_THRESHOLD`] bytes are queued by reference, never copied.
    pub fn send_message(&mut self, message: &Message) -> Result<(), UsageError> {
        if !self.is_ready() {
            return Err(UsageError::NotReady);
        }
        let frames = message.frames();
        let Some((last, rest)) = frames.split_last() else {
            return Err(UsageError::EmptyMessage);
        };
        for body in rest {
            self.put_frame(true, body);
        }
        self.put_frame(false, last);
        Ok(())
    }

    fn put_frame(&mut self, more: bool, body: &Bytes) {
        if body.len() >= ZERO_COPY_THRESHOLD {
            let room = frame::header_len(body.len());
            frame::encode_header(more, false, body.len(), self.outbox.buf_for(room));
            self.outbox.push_shared(body.clone());
        } else {
            let room = frame::header_len(body.len()) + body.len();
            frame::encode_frame(more, false, body, self.outbox.buf_for(room));
        }
    }

    /// Queues whole messages that the caller already encoded as data frames with
    /// [`frame::encode_message`] (so a sender can encode outside the connection's
    /// task). The bytes are written as they are, after everything queued before;
    /// small runs are copied into the write buffer, large ones queued by reference.
    pub fn send_encoded(&mut self, frames: Bytes) -> Result<(), UsageError> {
        if !self.is_ready() {
            return Err(UsageError::NotReady);
        }
        if frames.len() < ENCODED_COPY_THRESHOLD {
            self.outbox.buf_for(frames.len()).extend_from_slice(&frames);
        } else {
            self.outbox.push_shared(frames);
        }
        Ok(())
    }

    /// Like [`send_encoded`](Self::send_encoded), for a caller that reuses its
    /// buffers: a small run is copied and its buffer handed back at once (so a
    /// sender encoding into recycled buffers allocates nothing per run); a large
    /// one is queued by reference and `None` comes back.
    ///
    /// ```
    /// # use std::time::Instant;
    /// # use bytes::BytesMut;
    /// # use zocket_proto::{frame, Message, Session, SessionConfig, SocketType};
    /// # let now = Instant::now();
    /// # let mut push = Session::new(SessionConfig::new(SocketType::Push), now)?;
    /// # let mut pull = Session::new(SessionConfig::new(SocketType::Pull), now)?;
    /// # while let Some(c) = push.poll_transmit() { pull.handle_input(&c, now)?; }
    /// # while let Some(c) = pull.poll_transmit() { push.handle_input(&c, now)?; }
    /// let mut run = BytesMut::new();
    /// frame::encode_message(&Message::from("hi"), &mut run);
    /// let back = push.send_encoded_reusing(run)?;
    /// assert!(back.is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_encoded_reusing(
        &mut self,
        frames: BytesMut,
    ) -> Result<Option<BytesMut>, UsageError> {
        if !self.is_ready() {
            return Err(UsageError::NotReady);
        }
        if frames.len() < ENCODED_COPY_THRESHOLD {
            self.outbox.buf_for(frames.len()).extend_from_slice(&frames);
            Ok(Some(frames))
        } else {
            self.outbox.push_shared(frames.freeze());
            Ok(None)
        }
    }

    /// Queues a command for transmission (after the handshake).
    pub fn send_command(&mut self, command: &Command) -> Result<(), UsageError> {
        if !self.is_ready() {
            return Err(UsageError::NotReady);
        }
        command.encode(self.outbox.buf())
    }

    /// Sends a subscription in the form the peer understands: a SUBSCRIBE command to
    /// a ZMTP 3.1 peer, a `0x01 topic` message to a 3.0 peer (as libzmq does).
    pub fn send_subscribe(&mut self, topic: &[u8]) -> Result<(), UsageError> {
        self.send_subscription(true, topic)
    }

    /// Cancels a subscription: CANCEL to a 3.1 peer, `0x00 topic` to a 3.0 peer.
    pub fn send_cancel(&mut self, topic: &[u8]) -> Result<(), UsageError> {
        self.send_subscription(false, topic)
    }

    fn send_subscription(&mut self, subscribe: bool, topic: &[u8]) -> Result<(), UsageError> {
        if self.version >= Version::V3_1 {
            let topic = Bytes::copy_from_slice(topic);
            let command = if subscribe {
                Command::Subscribe { topic }
            } else {
                Command::Cancel { topic }
            };
            self.send_command(&command)
        } else {
            self.send_message(&Message::single(command::subscription_message(
                subscribe, topic,
            )))
        }
    }

    /// The next chunk of bytes to write to the transport, if any. Chunks must be
    /// written in the order given.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        self.outbox.pop()
    }

    /// How many bytes are waiting in [`poll_transmit`](Self::poll_transmit); an I/O
    /// layer stops handing the session messages when this grows past its batch size.
    pub fn pending_transmit(&self) -> usize {
        self.outbox.len()
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        while let Some(first) = self.messages.front_mut() {
            let message = match first {
                Delivery::Run(run) => {
                    let message = run.pop_front();
                    if run.is_empty() {
                        self.messages.pop_front();
                    }
                    message
                }
                Delivery::Message(_) => match self.messages.pop_front() {
                    Some(Delivery::Message(m)) => Some(m),
                    _ => None,
                },
            };
            if let Some(m) = message {
                return Some(Event::Message(m));
            }
        }
        self.events.pop_front()
    }

    /// Appends to `into` the messages that [`poll_event`](Self::poll_event) would
    /// return next, up to the first event that is not a message; call
    /// [`poll_event`](Self::poll_event) for the rest. Runs of messages are decoded
    /// here; [`take_deliveries`](Self::take_deliveries) hands them up undecoded.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::time::Instant;
    /// # use zocket_proto::{Event, Message, Session, SessionConfig, SocketType};
    /// # let now = Instant::now();
    /// # let mut push = Session::new(SessionConfig::new(SocketType::Push), now)?;
    /// # let mut pull = Session::new(SessionConfig::new(SocketType::Pull), now)?;
    /// # fn pump(a: &mut Session, b: &mut Session, now: Instant) -> Result<(), zocket_proto::Error> {
    /// #     loop {
    /// #         let mut moved = false;
    /// #         while let Some(c) = a.poll_transmit() { b.handle_input(&c, now)?; moved = true; }
    /// #         while let Some(c) = b.poll_transmit() { a.handle_input(&c, now)?; moved = true; }
    /// #         if !moved { return Ok(()); }
    /// #     }
    /// # }
    /// # pump(&mut push, &mut pull, now)?;
    /// # while pull.poll_event().is_some() {}
    /// push.send_message(&Message::from("one"))?;
    /// push.send_message(&Message::from("two"))?;
    /// pump(&mut push, &mut pull, now)?;
    /// let mut batch = VecDeque::new();
    /// pull.take_messages(&mut batch);
    /// assert_eq!(batch, [Message::from("one"), Message::from("two")]);
    /// assert_eq!(pull.poll_event(), None);
    /// # Ok::<(), zocket_proto::Error>(())
    /// ```
    pub fn take_messages(&mut self, into: &mut VecDeque<Message>) {
        for delivery in self.messages.drain(..) {
            match delivery {
                Delivery::Message(m) => into.push_back(m),
                Delivery::Run(run) => into.extend(run),
            }
        }
    }

    /// [`take_messages`](Self::take_messages) without decoding: runs of messages
    /// stay in wire form, to be decoded where they are consumed (see
    /// [`WireRun`]). When `into` is empty this moves the whole batch at once.
    pub fn take_deliveries(&mut self, into: &mut VecDeque<Delivery>) {
        if into.is_empty() {
            std::mem::swap(into, &mut self.messages);
        } else {
            into.append(&mut self.messages);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called, if ever.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.earliest()
    }

    /// Runs the timers due at `now`: sends PINGs, and fails the session when the
    /// handshake or the peer's liveness is overdue.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        if self.is_closed() {
            return Err(Error::Closed);
        }
        let result = self.run_timers(now);
        if result.is_err() {
            self.close();
        }
        result
    }

    fn run_timers(&mut self, now: Instant) -> Result<(), Error> {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        if due(self.timers.handshake) {
            let millis = self
                .config
                .handshake_ivl()
                .map_or(0, |d| d.as_millis() as u64);
            return Err(Error::HandshakeTimeout { millis });
        }
        if due(self.timers.heartbeat_timeout) {
            let millis = self
                .config
                .heartbeat_timeout()
                .map_or(0, |d| d.as_millis() as u64);
            return Err(Error::HeartbeatTimeout { millis });
        }
        if due(self.timers.peer_ttl) {
            return Err(Error::HeartbeatTimeout {
                millis: self.timers.peer_ttl_millis,
            });
        }
        if due(self.timers.next_ping) {
            let ping = Command::Ping {
                ttl: self.config.heartbeat_ttl_deciseconds(),
                context: Bytes::new(),
            };
            ping.encode(self.outbox.buf())?;
            self.timers.next_ping = self.config.heartbeat_ivl().map(|ivl| now + ivl);
            if self.timers.heartbeat_timeout.is_none() {
                self.timers.heartbeat_timeout = self.config.heartbeat_timeout().map(|t| now + t);
            }
        }
        Ok(())
    }
}
