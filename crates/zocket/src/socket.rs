//! The socket interface: create, bind, connect, send, receive, close.

use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use zocket_proto::{Message, SocketType};

use crate::core::Core;
use crate::endpoint::Endpoint;
use crate::error::{Error, Result};
use crate::monitor::Monitor;
use crate::options::Options;
use crate::transport;

/// A ZeroMQ-compatible socket of any type, on tokio.
///
/// Every method takes `&self`, so one socket can be shared by several tasks behind
/// an `Arc`; [`send`](Self::send) and [`recv`](Self::recv) are cancel-safe: a
/// `send` future dropped before it completes has either queued the whole message or
/// none of it, and a `recv` future dropped before it completes has taken nothing.
///
/// The thread-safe draft types (CLIENT, SERVER, SCATTER, GATHER, PEER, CHANNEL) carry
/// single-frame messages only: a send of more frames is refused with
/// [`Error::InvalidOption`] (libzmq's EINVAL), and multipart messages from peers are
/// discarded. SERVER and PEER know each connection by a non-zero `u32` routing id,
/// which zocket carries as a leading frame: their messages are `[routing id][data]`,
/// the id 4 bytes big-endian, both received and sent; a send to an id with no
/// connection is [`Error::HostUnreachable`]. The id never travels on the wire. The
/// typed [`Server`](crate::Server) and [`Peer`](crate::Peer) hide that frame.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zocket::Result<()> {
/// use zocket::{Socket, SocketType};
/// let pull = Socket::new(SocketType::Pull)?;
/// let endpoint = pull.bind("tcp://127.0.0.1:*").await?;
/// let push = Socket::new(SocketType::Push)?;
/// push.connect(&endpoint).await?;
/// push.send("hello").await?;
/// assert_eq!(&pull.recv().await?[0][..], b"hello");
/// # Ok(()) }
/// ```
/// A SERVER answering a CLIENT, with the routing id frame in view:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zocket::Result<()> {
/// use zocket::{Message, Socket, SocketType};
/// let server = Socket::new(SocketType::Server)?;
/// let endpoint = server.bind("tcp://127.0.0.1:*").await?;
/// let client = Socket::new(SocketType::Client)?;
/// client.connect(&endpoint).await?;
/// client.send("ping").await?;
/// let request = server.recv().await?; // [routing id][data]
/// assert_eq!(request[0].len(), 4);
/// assert_eq!(&request[1][..], b"ping");
/// server
///     .send(Message::from_frames(vec![request[0].clone(), "pong".into()]))
///     .await?;
/// assert_eq!(&client.recv().await?[0][..], b"pong");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Socket {
    core: Arc<Core>,
    /// Held while a connect sets up its endpoint, so that `connect_peer` can tell the
    /// pipe its own connect made.
    connecting: tokio::sync::Mutex<()>,
}

impl Socket {
    /// The state the socket shares with its connections.
    pub(crate) fn core(&self) -> &Arc<Core> {
        &self.core
    }

    /// Creates a socket of type `socket_type` with libzmq's default options.
    ///
    /// Fails with [`Error::NotSupported`] for a type not implemented yet.
    pub fn new(socket_type: SocketType) -> Result<Socket> {
        Ok(Socket {
            core: Core::new(socket_type)?,
            connecting: tokio::sync::Mutex::new(()),
        })
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.core.socket_type
    }

    /// The current options.
    pub fn options(&self) -> Options {
        self.core.options()
    }

    /// Replaces the options. Like libzmq, options that shape connections apply to
    /// endpoints bound or connected afterwards.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::{Socket, SocketType};
    /// let s = Socket::new(SocketType::Push)?;
    /// let mut o = s.options();
    /// o.sndhwm = 10;
    /// s.set_options(o)?;
    /// assert_eq!(s.options().sndhwm, 10);
    /// # Ok(()) }
    /// ```
    pub fn set_options(&self, options: Options) -> Result<()> {
        if options.routing_id.len() > 255 {
            return Err(Error::InvalidOption {
                option: "routing_id",
                reason: format!(
                    "{} bytes; at most 255 are allowed",
                    options.routing_id.len()
                ),
            });
        }
        self.core.set_options(options);
        Ok(())
    }

    /// Binds to `endpoint` (`tcp://*:5555`, `tcp://127.0.0.1:*`, `ipc:///tmp/s`,
    /// `ipc://@name`, `ipc://*`, `udp://*:5555` …) and returns the resolved endpoint,
    /// with an ephemeral port or private path filled in.
    ///
    /// `udp://` is for DISH and DGRAM only (a RADIO connects); see
    /// [`Error::IncompatibleTransport`].
    pub async fn bind(&self, endpoint: &str) -> Result<String> {
        self.check_open()?;
        let parsed = Endpoint::from_str(endpoint)?;
        transport::udp::check_transport(self.core.socket_type, &parsed)?;
        let resolved = match parsed {
            Endpoint::Inproc(name) => transport::inproc::bind(&self.core, &name, endpoint)?,
            Endpoint::Udp(ep) => transport::udp::bind(&self.core, &ep, endpoint)?,
            parsed => transport::bind(&self.core, &parsed, endpoint).await?,
        };
        self.core.set_last_endpoint(resolved.clone());
        Ok(resolved)
    }

    /// Starts connecting to `endpoint` and returns at once: messages queue until the
    /// peer is there, and the connection is re-established whenever it drops.
    ///
    /// `udp://` is for RADIO only (a DISH or DGRAM binds): the host is looked up and
    /// the datagram socket opened now, so their errors are returned here.
    pub async fn connect(&self, endpoint: &str) -> Result<()> {
        let _serial = self.connecting.lock().await;
        self.connect_locked(endpoint).await
    }

    /// PEER only: connects to `endpoint` like [`connect`](Self::connect) and returns
    /// the routing id of the new outgoing connection (libzmq's `zmq_connect_peer`).
    /// Messages sent to that id queue until the peer is there; the id stays the
    /// connection's across reconnections, until [`disconnect`](Self::disconnect).
    ///
    /// Fails with [`Error::NotSupported`] on other socket types, and with
    /// [`Error::InvalidOption`] when [`immediate`](crate::Options::immediate) is set,
    /// since the connection then has no routing id before it is made (libzmq fails
    /// with EFAULT there).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::Result<()> {
    /// use zocket::{Message, Socket, SocketType};
    /// let a = Socket::new(SocketType::Peer)?;
    /// let endpoint = a.bind("tcp://127.0.0.1:*").await?;
    /// let b = Socket::new(SocketType::Peer)?;
    /// let id = b.connect_peer(&endpoint).await?;
    /// b.send(Message::from_frames(vec![id.to_be_bytes().to_vec().into(), "hi".into()]))
    ///     .await?;
    /// assert_eq!(&a.recv().await?[1][..], b"hi");
    /// # Ok(()) }
    /// ```
    pub async fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        if self.core.socket_type != SocketType::Peer {
            return Err(Error::NotSupported {
                operation: "connect_peer",
                socket_type: self.core.socket_type,
            });
        }
        if self.core.options().immediate {
            return Err(Error::InvalidOption {
                option: "ZMQ_IMMEDIATE",
                reason: "connect_peer needs a connection that exists before it is made; \
                         unset IMMEDIATE"
                    .into(),
            });
        }
        let _serial = self.connecting.lock().await;
        let before = self.connecter_pipes(endpoint);
        self.connect_locked(endpoint).await?;
        // Connects are serialised, so the one new pipe for this endpoint is ours.
        self.connecter_pipes(endpoint)
            .into_iter()
            .find(|id| !before.contains(id))
            .and_then(|pipe| self.core.routing_id(pipe))
            .and_then(|id| <[u8; 4]>::try_from(&id[..]).ok())
            .map(u32::from_be_bytes)
            // Only a concurrent disconnect can take the connection away meanwhile.
            .ok_or_else(|| Error::NotFound {
                endpoint: endpoint.to_string(),
            })
    }

    /// The pipes of this socket's connects to `endpoint`.
    fn connecter_pipes(&self, endpoint: &str) -> Vec<crate::pipe::PipeId> {
        self.core
            .endpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|e| !e.bound && e.endpoint == endpoint)
            .filter_map(|e| e.pipe.as_ref().map(|p| p.id()))
            .collect()
    }

    /// [`connect`](Self::connect), with `connecting` held by the caller.
    async fn connect_locked(&self, endpoint: &str) -> Result<()> {
        self.check_open()?;
        let parsed = Endpoint::from_str(endpoint)?;
        transport::udp::check_transport(self.core.socket_type, &parsed)?;
        let target = match parsed {
            Endpoint::Tcp(ep) => {
                transport::tcp::check_connect(&ep, endpoint)?;
                transport::Target::Tcp(ep)
            }
            Endpoint::Ipc(ep) => {
                transport::ipc::check_connect(&ep, endpoint)?;
                transport::Target::Ipc(ep)
            }
            Endpoint::Inproc(name) => {
                transport::inproc::connect(&self.core, &name, endpoint.to_string());
                self.core.set_last_endpoint(endpoint.to_string());
                return Ok(());
            }
            Endpoint::Udp(ep) => {
                transport::udp::connect(&self.core, &ep, endpoint).await?;
                self.core.set_last_endpoint(endpoint.to_string());
                return Ok(());
            }
        };
        transport::connect(&self.core, target, endpoint.to_string());
        self.core.set_last_endpoint(endpoint.to_string());
        Ok(())
    }

    fn remove_endpoint(&self, endpoint: &str, bound: bool) -> Result<()> {
        let entry = {
            let mut eps = self
                .core
                .endpoints
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let i = eps
                .iter()
                .position(|e| e.bound == bound && e.endpoint == endpoint)
                .ok_or_else(|| Error::NotFound {
                    endpoint: endpoint.to_string(),
                })?;
            eps.remove(i)
        };
        entry.task.abort();
        if let Some(pipe) = entry.pipe {
            self.core.detach(&pipe);
        }
        self.core.emit(crate::MonitorEvent::Closed {
            endpoint: endpoint.to_string(),
        });
        Ok(())
    }

    /// Stops listening on an endpoint returned by [`bind`](Self::bind).
    /// Connections already accepted stay up, as in libzmq.
    pub async fn unbind(&self, endpoint: &str) -> Result<()> {
        self.remove_endpoint(endpoint, true)
    }

    /// Stops connecting to `endpoint` and drops its connection and queued messages.
    pub async fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.remove_endpoint(endpoint, false)
    }

    /// Subscribes to messages whose first frame starts with `prefix` (SUB and XSUB;
    /// an empty prefix matches everything). Subscriptions are counted: subscribing twice needs
    /// two unsubscribes. They are sent to every publisher, now and after reconnects.
    ///
    /// On an XPUB with [`xpub_manual`](crate::Options::xpub_manual), applies the
    /// subscription to the subscriber whose subscription message was received last
    /// (nothing happens when there is none, or it has gone); other XPUBs refuse it.
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.check_not_dish("subscribe")?;
        self.core
            .set_subscription(true, bytes::Bytes::copy_from_slice(prefix.as_ref()))
    }

    /// Removes one subscription made with [`subscribe`](Self::subscribe).
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.check_not_dish("unsubscribe")?;
        self.core
            .set_subscription(false, bytes::Bytes::copy_from_slice(prefix.as_ref()))
    }

    /// A DISH joins groups instead of subscribing (libzmq: `EINVAL`).
    fn check_not_dish(&self, option: &'static str) -> Result<()> {
        if self.core.socket_type == SocketType::Dish {
            return Err(Error::InvalidOption {
                option,
                reason: "a DISH has groups, not subscriptions: use join/leave".into(),
            });
        }
        Ok(())
    }

    /// Joins a group (DISH only; `zmq_join`): messages a RADIO sends to it are received
    /// from now on, as `[group][body]`. Groups match exactly and are at most 255 bytes.
    /// The JOIN reaches every RADIO connected now, and again after each reconnection;
    /// over udp:// the DISH just keeps the datagrams of the groups it joined.
    ///
    /// Errors (as libzmq): [`Error::InvalidOption`] (`EINVAL`) for a group longer than
    /// 255 bytes or one already joined, [`Error::NotSupported`] (`ENOTSUP`) on any type
    /// but DISH.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::{Socket, SocketType};
    /// let dish = Socket::new(SocketType::Dish)?;
    /// dish.join("weather")?;
    /// assert_eq!(dish.join("weather").unwrap_err().errno_name(), "EINVAL");
    /// dish.leave("weather")?;
    /// # Ok(()) }
    /// ```
    pub fn join(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.set_group(true, group.as_ref())
    }

    /// Leaves a group joined with [`join`](Self::join) (DISH only; `zmq_leave`).
    ///
    /// Errors (as libzmq): [`Error::InvalidOption`] (`EINVAL`) for a group not joined
    /// or longer than 255 bytes, [`Error::NotSupported`] (`ENOTSUP`) on any type but
    /// DISH.
    pub fn leave(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.set_group(false, group.as_ref())
    }

    fn set_group(&self, join: bool, group: &[u8]) -> Result<()> {
        if self.core.socket_type != SocketType::Dish {
            return Err(Error::NotSupported {
                operation: if join { "join" } else { "leave" },
                socket_type: self.core.socket_type,
            });
        }
        self.core
            .set_subscription(join, bytes::Bytes::copy_from_slice(group))
    }

    /// The last endpoint bound (resolved) or connected (`ZMQ_LAST_ENDPOINT`).
    pub fn last_endpoint(&self) -> Option<String> {
        self.core.last_endpoint()
    }

    /// A stream of connection events from now on.
    pub fn monitor(&self) -> Monitor {
        self.core.monitor()
    }

    fn check_open(&self) -> Result<()> {
        if self.core.is_closed() {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// Sends a whole message, waiting for room up to SNDTIMEO.
    // Inlined (as the other send and receive constructors): the future is then built
    // in the caller's own frame instead of being returned through memory and copied
    // there (inproc 4M x 16 B on one thread: 0.46-0.55 s before, 0.44-0.48 s after).
    #[inline]
    pub fn send(&self, msg: impl Into<Message>) -> impl Future<Output = Result<()>> + Send + '_ {
        self.core.send(msg.into(), self.core.sndtimeo())
    }

    /// Sends a one-frame message holding a copy of `data`, waiting for room up to
    /// SNDTIMEO: libzmq's `zmq_send`. On a PUSH, DEALER or PAIR socket the bytes
    /// of a message of up to 16 KiB bound for a tcp or ipc peer are encoded
    /// straight into the connection's next write, and those of a message of up
    /// to 32 bytes bound for an inproc peer into the run the receiving socket
    /// decodes, so the send costs no allocation and no reference count;
    /// elsewhere the socket sends a message of its own holding the copy.
    ///
    /// For small messages this is the cheapest send: PUSH→PULL over tcp on a
    /// multi-thread runtime, 4M × 16 B, the sending process used half the CPU
    /// of [`send`](Self::send) with a clone of one [`Bytes`](bytes::Bytes)
    /// (0.30–0.32 s against 0.59–0.64 s), and 2M × 256 B went 30 % faster.
    /// From about a kilobyte, sending a shared `Bytes` is cheaper for the
    /// sending thread, which then copies nothing (4 KiB: 466k–631k msg/s
    /// copied, 508k–756k shared). Over inproc, 4M × 16 B on a one-worker
    /// runtime: 0.20–0.22 s copied, 0.34–0.37 s with a clone of one `Bytes`.
    ///
    /// ```
    /// # tokio_test_block_on(async {
    /// use zocket::{Socket, SocketType};
    /// let pull = Socket::new(SocketType::Pull)?;
    /// let endpoint = pull.bind("tcp://127.0.0.1:*").await?;
    /// let push = Socket::new(SocketType::Push)?;
    /// push.connect(&endpoint).await?;
    /// let reading = *b"21.5 C";
    /// push.send_copy(&reading).await?; // `reading` stays the caller's
    /// assert_eq!(&pull.recv().await?[0][..], b"21.5 C");
    /// # Ok::<(), zocket::Error>(())
    /// # });
    /// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
    /// # }
    /// ```
    #[inline]
    pub fn send_copy<'a>(&'a self, data: &'a [u8]) -> impl Future<Output = Result<()>> + Send + 'a {
        self.core.send_slice(data, self.core.sndtimeo())
    }

    /// Sends a whole message, waiting for room up to `timeout` (`None` = forever).
    #[inline]
    pub fn send_timeout(
        &self,
        msg: impl Into<Message>,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<()>> + Send + '_ {
        self.core.send(msg.into(), timeout)
    }

    /// Sends without waiting: [`Error::WouldBlock`] when no peer has room.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        poll_ready(self.core.send(msg.into(), Some(Duration::ZERO)))
    }

    /// Receives a whole message, waiting up to RCVTIMEO.
    #[inline]
    pub fn recv(&self) -> impl Future<Output = Result<Message>> + Send + '_ {
        self.core.recv(self.core.rcvtimeo())
    }

    /// Receives a whole message, waiting up to `timeout` (`None` = forever).
    #[inline]
    pub fn recv_timeout(
        &self,
        timeout: Option<Duration>,
    ) -> impl Future<Output = Result<Message>> + Send + '_ {
        self.core.recv(timeout)
    }

    /// Receives without waiting: [`Error::WouldBlock`] when nothing is queued.
    pub fn try_recv(&self) -> Result<Message> {
        poll_ready(self.core.recv(Some(Duration::ZERO)))
    }

    /// Closes the socket: stops accepting and connecting, then waits up to LINGER
    /// for queued messages to be written before dropping the connections.
    pub async fn close(self) -> Result<()> {
        self.core.begin_close();
        let linger = self.core.options().linger;
        let mut tasks =
            std::mem::take(&mut *self.core.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        let wait_all = async { while tasks.join_next().await.is_some() {} };
        match linger {
            Some(l) => {
                // Engines stop by themselves at the linger deadline; the margin covers
                // tasks between connection attempts.
                let _ = tokio::time::timeout(l + Duration::from_millis(100), wait_all).await;
            }
            None => wait_all.await,
        }
        self.core.monitor.stop();
        Ok(())
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        // Engines keep flushing queued messages in the background for up to LINGER.
        self.core.begin_close();
    }
}

/// Polls a future that never waits when given a zero timeout.
fn poll_ready<T>(fut: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    // Not subject to the task's cooperative budget: a non-blocking call never
    // yields, whatever the task did before.
    let mut fut = std::pin::pin!(tokio::task::coop::unconstrained(fut));
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => Err(Error::WouldBlock),
    }
}
