//! Proxies: forward messages between a frontend and a backend socket, both ways,
//! optionally copying everything to a capture socket (libzmq's `zmq_proxy` and
//! `zmq_proxy_steerable`).
//!
//! With XSUB (frontend, facing publishers) and XPUB (backend, facing subscribers) a
//! proxy is a many-to-many publish-subscribe hub: subscriptions flow upstream, data
//! downstream. With ROUTER (frontend, facing clients) and DEALER (backend, facing
//! workers) it is a shared request queue.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zocket::Result<()> {
//! use zocket::proxy::Proxy;
//! use zocket::{Socket, SocketType};
//! let frontend = Socket::new(SocketType::Pull)?;
//! let input = frontend.bind("tcp://127.0.0.1:*").await?;
//! let backend = Socket::new(SocketType::Push)?;
//! let output = backend.bind("tcp://127.0.0.1:*").await?;
//! let proxy = Proxy::new(frontend, backend);
//! let control = proxy.control();
//! let running = tokio::spawn(proxy.run());
//!
//! let producer = Socket::new(SocketType::Push)?;
//! producer.connect(&input).await?;
//! let consumer = Socket::new(SocketType::Pull)?;
//! consumer.connect(&output).await?;
//! producer.send("through the proxy").await?;
//! assert_eq!(&consumer.recv().await?[0][..], b"through the proxy");
//! assert_eq!(control.statistics().frontend.messages_in, 1);
//! control.terminate();
//! running.await.unwrap()?;
//! # Ok(()) }
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::watch;
use zocket_proto::{Message, SocketType};

use crate::error::{Error, Result};
use crate::socket::Socket;

/// What a steerable proxy is told to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Command {
    Run,
    Pause,
    Terminate,
}

/// Message and byte counts for one side of a proxy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SideStatistics {
    /// Messages received on this side.
    pub messages_in: u64,
    /// Payload bytes received on this side.
    pub bytes_in: u64,
    /// Messages sent on this side.
    pub messages_out: u64,
    /// Payload bytes sent on this side.
    pub bytes_out: u64,
}

/// Counts for both sides (libzmq's STATISTICS command).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ProxyStatistics {
    /// The frontend socket.
    pub frontend: SideStatistics,
    /// The backend socket.
    pub backend: SideStatistics,
}

#[derive(Debug, Default)]
struct SideCounters {
    messages_in: AtomicU64,
    bytes_in: AtomicU64,
    messages_out: AtomicU64,
    bytes_out: AtomicU64,
}

impl SideCounters {
    fn received(&self, m: &Message) {
        self.messages_in.fetch_add(1, Ordering::Relaxed);
        self.bytes_in
            .fetch_add(m.byte_len() as u64, Ordering::Relaxed);
    }

    fn sent(&self, bytes: usize) {
        self.messages_out.fetch_add(1, Ordering::Relaxed);
        self.bytes_out.fetch_add(bytes as u64, Ordering::Relaxed);
    }

    fn snapshot(&self) -> SideStatistics {
        SideStatistics {
            messages_in: self.messages_in.load(Ordering::Relaxed),
            bytes_in: self.bytes_in.load(Ordering::Relaxed),
            messages_out: self.messages_out.load(Ordering::Relaxed),
            bytes_out: self.bytes_out.load(Ordering::Relaxed),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    frontend: SideCounters,
    backend: SideCounters,
}

/// Steers a running [`Proxy`]: pause, resume, terminate, read statistics. Cheap to
/// clone; usable from any task or thread.
#[derive(Debug, Clone)]
pub struct ProxyControl {
    commands: Arc<watch::Sender<Command>>,
    counters: Arc<Counters>,
}

impl ProxyControl {
    /// Stops forwarding (messages wait in the sockets' queues) until [`resume`](Self::resume).
    pub fn pause(&self) {
        self.commands.send_replace(Command::Pause);
    }

    /// Resumes forwarding after [`pause`](Self::pause).
    pub fn resume(&self) {
        self.commands.send_replace(Command::Run);
    }

    /// Ends [`Proxy::run`], which then returns `Ok(())`.
    pub fn terminate(&self) {
        self.commands.send_replace(Command::Terminate);
    }

    /// Messages and bytes in and out on each side so far.
    pub fn statistics(&self) -> ProxyStatistics {
        ProxyStatistics {
            frontend: self.counters.frontend.snapshot(),
            backend: self.counters.backend.snapshot(),
        }
    }
}

/// A frontend, a backend and an optional capture socket, forwarded both ways.
#[derive(Debug)]
pub struct Proxy {
    frontend: Socket,
    backend: Socket,
    capture: Option<Socket>,
    control: ProxyControl,
}

fn receives(t: SocketType) -> bool {
    !matches!(
        t,
        SocketType::Pub | SocketType::Push | SocketType::Radio | SocketType::Scatter
    )
}

impl Proxy {
    /// A proxy between `frontend` and `backend`.
    pub fn new(frontend: Socket, backend: Socket) -> Proxy {
        Proxy {
            frontend,
            backend,
            capture: None,
            control: ProxyControl {
                commands: Arc::new(watch::channel(Command::Run).0),
                counters: Arc::new(Counters::default()),
            },
        }
    }

    /// Copies every forwarded message to `capture` as well (best effort: a capture
    /// socket that cannot take a message at once does not slow the proxy down).
    pub fn with_capture(mut self, capture: Socket) -> Proxy {
        self.capture = Some(capture);
        self
    }

    /// A handle to steer the proxy once it runs.
    pub fn control(&self) -> ProxyControl {
        self.control.clone()
    }

    fn copy_to_capture(&self, msg: &Message) {
        if let Some(c) = &self.capture {
            let _ = c.try_send(msg.clone());
        }
    }

    /// Forwards until terminated (returns `Ok`) or until a socket fails (returns the
    /// error).
    pub async fn run(self) -> Result<()> {
        let mut commands = self.control.commands.subscribe();
        let counters = self.control.counters.clone();
        let from_front = receives(self.frontend.socket_type());
        let from_back = receives(self.backend.socket_type());
        if !from_front && !from_back {
            return Err(Error::InvalidOption {
                option: "proxy",
                reason: "neither socket can receive".into(),
            });
        }
        loop {
            let command = *commands.borrow_and_update();
            match command {
                Command::Terminate => return Ok(()),
                Command::Pause => {
                    if commands.changed().await.is_err() {
                        return Ok(());
                    }
                    continue;
                }
                Command::Run => {}
            }
            tokio::select! {
                // Commands first, so a pause takes effect before anything else moves.
                biased;
                r = commands.changed() => {
                    if r.is_err() {
                        return Ok(());
                    }
                }
                m = self.frontend.recv(), if from_front => {
                    let m = m?;
                    counters.frontend.received(&m);
                    self.copy_to_capture(&m);
                    let bytes = m.byte_len();
                    self.backend.send(m).await?;
                    counters.backend.sent(bytes);
                }
                m = self.backend.recv(), if from_back => {
                    let m = m?;
                    counters.backend.received(&m);
                    self.copy_to_capture(&m);
                    let bytes = m.byte_len();
                    self.frontend.send(m).await?;
                    counters.frontend.sent(bytes);
                }
            }
        }
    }
}
