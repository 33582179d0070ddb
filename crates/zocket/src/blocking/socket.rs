//! The dynamic blocking socket.

use std::future::Future;
use std::time::Duration;

use zocket_proto::{Message, SocketType};

use super::{Context, Monitor};
use crate::error::Result;
use crate::options::Options;

/// A ZeroMQ-compatible socket of any type, with blocking methods.
///
/// The same socket as the async [`crate::Socket`], driven by a [`Context`]'s
/// background runtime. Every method takes `&self` and the socket is `Send + Sync`,
/// so several threads can share one behind an [`Arc`](std::sync::Arc). Methods that
/// may wait ([`bind`](Self::bind), [`connect`](Self::connect), [`send`](Self::send),
/// [`recv`](Self::recv), [`close`](Self::close), …) refuse to run on a thread inside
/// a tokio runtime (see [`InsideRuntime`](super::InsideRuntime)); the others work
/// anywhere.
///
/// ```
/// # fn main() -> zocket::Result<()> {
/// use zocket::SocketType;
/// use zocket::blocking::Socket;
/// let server = Socket::new(SocketType::Rep)?;
/// let endpoint = server.bind("tcp://127.0.0.1:*")?;
/// let client = Socket::new(SocketType::Req)?;
/// client.connect(&endpoint)?;
/// client.send("ping")?;
/// assert_eq!(&server.recv()?[0][..], b"ping");
/// server.send("pong")?;
/// assert_eq!(&client.recv()?[0][..], b"pong");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Socket {
    // Declared first so it is dropped (and starts closing) before the context.
    inner: crate::Socket,
    ctx: Context,
    /// Where receives sleep (made by the first; one receive at a time uses it,
    /// others sleep as sends do).
    poller: std::sync::Mutex<Option<super::poller::Poller>>,
}

impl Socket {
    /// Creates a socket of type `socket_type` with libzmq's default options, on the
    /// process-wide default [`Context`] (started now if needed).
    ///
    /// Fails with [`Error::NotSupported`](crate::Error::NotSupported) for a type not
    /// implemented yet.
    pub fn new(socket_type: SocketType) -> Result<Socket> {
        Socket::with_context(&Context::global()?, socket_type)
    }

    /// Creates a socket of type `socket_type` on `ctx`.
    pub fn with_context(ctx: &Context, socket_type: SocketType) -> Result<Socket> {
        let inner = crate::Socket::new(socket_type)?;
        // Its receives sleep on the connections themselves: requests and
        // replies are best written by the worker (see `Core::set_direct_writes`).
        inner.core().set_direct_writes(false);
        Ok(Socket {
            inner,
            ctx: ctx.clone(),
            poller: std::sync::Mutex::new(None),
        })
    }

    /// The context the socket runs on.
    pub fn context(&self) -> &Context {
        &self.ctx
    }

    /// The async socket underneath, for code that mixes both styles.
    pub fn as_async(&self) -> &crate::Socket {
        &self.inner
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.inner.socket_type()
    }

    /// The current options.
    pub fn options(&self) -> Options {
        self.inner.options()
    }

    /// Replaces the options. Options that shape connections apply to endpoints
    /// bound or connected afterwards. See [`crate::Socket::set_options`].
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use std::time::Duration;
    /// use zocket::Error;
    /// use zocket::blocking::Pull;
    /// let pull = Pull::new()?;
    /// let mut o = pull.options();
    /// o.rcvtimeo = Some(Duration::from_millis(10));
    /// pull.set_options(o)?;
    /// assert!(matches!(pull.recv(), Err(Error::Timeout)));
    /// # Ok(()) }
    /// ```
    pub fn set_options(&self, options: Options) -> Result<()> {
        self.inner.set_options(options)
    }

    /// Binds to `endpoint` (`tcp://*:5555`, `tcp://127.0.0.1:*` …) and returns the
    /// resolved endpoint, with an ephemeral port filled in.
    pub fn bind(&self, endpoint: &str) -> Result<String> {
        self.ctx.block_on(self.inner.bind(endpoint))?
    }

    /// Starts connecting to `endpoint` and returns at once: messages queue until the
    /// peer is there, and the connection is re-established whenever it drops.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        self.ctx.block_on(self.inner.connect(endpoint))?
    }

    /// PEER only: connects to `endpoint` and returns the routing id of the new
    /// connection. See [`crate::Socket::connect_peer`].
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        self.ctx.block_on(self.inner.connect_peer(endpoint))?
    }

    /// Stops listening on an endpoint returned by [`bind`](Self::bind).
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        self.ctx.block_on(self.inner.unbind(endpoint))?
    }

    /// Stops connecting to `endpoint` and drops its connection and queued messages.
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        self.ctx.block_on(self.inner.disconnect(endpoint))?
    }

    /// Subscribes to messages whose first frame starts with `prefix` (SUB and XSUB).
    /// See [`crate::Socket::subscribe`].
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.inner.subscribe(prefix)
    }

    /// Removes one subscription made with [`subscribe`](Self::subscribe).
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.inner.unsubscribe(prefix)
    }

    /// Joins a group (DISH only). See [`crate::Socket::join`].
    pub fn join(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.inner.join(group)
    }

    /// Leaves a group (DISH only). See [`crate::Socket::leave`].
    pub fn leave(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.inner.leave(group)
    }

    /// The last endpoint bound (resolved) or connected (`ZMQ_LAST_ENDPOINT`).
    pub fn last_endpoint(&self) -> Option<String> {
        self.inner.last_endpoint()
    }

    /// A blocking stream of connection events from now on.
    pub fn monitor(&self) -> Monitor {
        Monitor::forward(&self.ctx, self.inner.monitor())
    }

    /// Sends a whole message, waiting for room up to SNDTIMEO (forever by default).
    /// [`Error::Timeout`](crate::Error::Timeout) when SNDTIMEO elapses.
    pub fn send(&self, msg: impl Into<Message>) -> Result<()> {
        // One attempt on this thread first: in the common case the message is
        // queued (or written) at once, with no `block_on` around it.
        super::context::outside_runtime()?;
        match self.inner.core().try_send_once(msg.into())? {
            None => Ok(()),
            Some(back) => self.ctx.block_on(self.inner.send(back))?,
        }
    }

    /// Sends a one-frame message holding a copy of `data`, waiting for room up to
    /// SNDTIMEO: libzmq's `zmq_send` (see
    /// [`Socket::send_copy`](crate::Socket::send_copy): small messages to a tcp
    /// or ipc peer of a PUSH, DEALER or PAIR cost no allocation).
    ///
    /// ```
    /// use zocket::SocketType;
    /// use zocket::blocking::Socket;
    /// let pull = Socket::new(SocketType::Pull)?;
    /// let endpoint = pull.bind("tcp://127.0.0.1:*")?;
    /// let push = Socket::new(SocketType::Push)?;
    /// push.connect(&endpoint)?;
    /// push.send_copy(b"21.5 C")?;
    /// assert_eq!(&pull.recv()?[0][..], b"21.5 C");
    /// # Ok::<(), zocket::Error>(())
    /// ```
    pub fn send_copy(&self, data: &[u8]) -> Result<()> {
        super::context::outside_runtime()?;
        match self.inner.core().try_send_slice_once(data)? {
            None => Ok(()),
            Some(back) => self.ctx.block_on(self.inner.send_copy(back))?,
        }
    }

    /// Sends a whole message, waiting for room up to `timeout`:
    /// [`Error::Timeout`](crate::Error::Timeout) (errno `EAGAIN`) when it elapses,
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) right away for a zero timeout.
    pub fn send_timeout(&self, msg: impl Into<Message>, timeout: Duration) -> Result<()> {
        self.ctx
            .block_on(self.inner.send_timeout(msg, Some(timeout)))?
    }

    /// Sends without waiting: [`Error::WouldBlock`](crate::Error::WouldBlock) when no
    /// peer has room. Works on any thread.
    pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
        self.inner.try_send(msg)
    }

    /// Receives a whole message, waiting up to RCVTIMEO (forever by default).
    /// [`Error::Timeout`](crate::Error::Timeout) when RCVTIMEO elapses.
    pub fn recv(&self) -> Result<Message> {
        self.receive(self.inner.recv())
    }

    /// Receives a whole message, waiting up to `timeout`:
    /// [`Error::Timeout`](crate::Error::Timeout) (errno `EAGAIN`) when it elapses,
    /// [`Error::WouldBlock`](crate::Error::WouldBlock) right away for a zero timeout.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Message> {
        self.receive(self.inner.recv_timeout(Some(timeout)))
    }

    /// A receive: one attempt on the calling thread, then, if it must wait, `recv`
    /// run in the socket's poller (see [`poller`](super::poller)), or as any
    /// other wait while another thread's receive uses it.
    fn receive(&self, recv: impl Future<Output = Result<Message>>) -> Result<Message> {
        super::context::outside_runtime()?;
        if let Some(msg) = self.inner.core().try_recv_once()? {
            return Ok(msg);
        }
        if let Ok(mut slot) = self.poller.try_lock() {
            if slot.is_none() {
                *slot = super::poller::Poller::new().ok();
            }
            if let Some(poller) = slot.as_mut() {
                return self.ctx.block_on_polled(poller, self.inner.core(), recv)?;
            }
        }
        self.ctx.block_on(recv)?
    }

    /// Receives without waiting: [`Error::WouldBlock`](crate::Error::WouldBlock) when
    /// nothing is queued. Works on any thread.
    pub fn try_recv(&self) -> Result<Message> {
        self.inner.try_recv()
    }

    /// Closes the socket: stops accepting and connecting, then waits up to LINGER
    /// (forever by default) for queued messages to be written.
    ///
    /// Dropping a socket instead returns at once; its connections keep flushing in
    /// the background for up to LINGER while the context runs, but nothing waits for
    /// them, so a program about to exit should close its sockets. On a thread inside
    /// a tokio runtime this returns the [`InsideRuntime`](super::InsideRuntime) error
    /// and the socket is dropped.
    pub fn close(self) -> Result<()> {
        let Socket { inner, ctx, .. } = self;
        ctx.block_on(inner.close())?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blocking_sockets_engines_write_its_messages_and_an_async_sockets_lend() {
        let ctx = Context::builder().build().unwrap();
        let blocking = Socket::with_context(&ctx, SocketType::Req).unwrap();
        assert!(!blocking.as_async().core().direct_writes());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let async_socket = rt
            .block_on(async { crate::Socket::new(SocketType::Req) })
            .unwrap();
        assert!(async_socket.core().direct_writes());
    }
}
