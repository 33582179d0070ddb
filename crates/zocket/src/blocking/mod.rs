//! Blocking sockets: zocket for straight-line programs, no async code needed.
//!
//! Every socket type has a blocking twin here ([`Req`], [`Rep`], [`Pub`], [`Sub`],
//! [`Push`], [`Pull`], …, and the dynamic [`Socket`]) whose methods wait on the
//! calling thread and return when done. They run the same async core as
//! [`crate::Socket`] on a background tokio runtime, the [`Context`], which the first
//! socket starts and which lives until the process exits; nothing about tokio needs
//! to be known to use them.
//!
//! ```
//! # fn main() -> zocket::Result<()> {
//! use std::time::Duration;
//! use zocket::blocking::{Rep, Req};
//!
//! let rep = Rep::new()?;
//! let ep = rep.bind("tcp://127.0.0.1:*")?; // the resolved endpoint, port filled in
//!
//! let req = Req::new()?;
//! req.connect(&ep)?;
//! req.send("Hello")?;
//!
//! let request = rep.recv_timeout(Duration::from_secs(5))?;
//! assert_eq!(&request[0][..], b"Hello");
//! rep.send("World")?;
//! assert_eq!(&req.recv()?[0][..], b"World");
//! # Ok(()) }
//! ```
//!
//! # Waiting and timeouts
//!
//! `send` and `recv` wait as the SNDTIMEO and RCVTIMEO options say (forever by
//! default); `send_timeout` and `recv_timeout` take the limit as an argument. Both
//! return [`Error::Timeout`](crate::Error::Timeout) (errno `EAGAIN`) when it
//! elapses. `try_send` and `try_recv` never wait and return
//! [`Error::WouldBlock`](crate::Error::WouldBlock) instead.
//!
//! # Threads
//!
//! Sockets are `Send + Sync` and every method takes `&self`: share one between
//! threads with an [`Arc`](std::sync::Arc). The calling thread polls its own
//! operation; the context's worker threads (one by default, see
//! [`ContextBuilder::worker_threads`]) drive the connections.
//!
//! A receive that has to wait sleeps in an epoll instance of the socket's own
//! (made by its first receive: two descriptors, an epoll and an eventfd), on the
//! sockets of the connections it reads itself (tcp and ipc, up to eight, while
//! messages come one at a time) and on its wakers: a reply wakes the receiving
//! thread directly rather than a worker that then wakes it. One receive at a time
//! per socket sleeps there; a second thread receiving on the same socket at the
//! same moment waits as sends do.
//!
//! A thread inside a tokio runtime — an async task, a `#[tokio::main]` body, a
//! `spawn_blocking` closure — must not block, so there the methods that may wait
//! return an error recognised by [`is_inside_runtime`] instead of stalling or
//! panicking; use the async API in async code. `new`, `options`, `set_options`,
//! `subscribe`, `try_send`, `try_recv`, `last_endpoint`, `monitor`, and dropping a
//! socket work on any thread.
//!
//! # Closing
//!
//! [`Socket::close`] waits up to LINGER (forever by default) for queued messages to
//! be written. Dropping a socket returns at once and lets its connections flush in
//! the background, but a program that exits right after loses what was still
//! queued: close sockets whose last messages matter.

mod context;
mod monitor;
mod poller;
mod socket;
mod typed;

pub use context::{
    Context, ContextBuilder, DEFAULT_WORKER_THREADS, InsideRuntime, is_inside_runtime,
};
pub use monitor::Monitor;
pub use socket::Socket;
pub use typed::{Channel, Client, Gather, Peer, Scatter, Server};
pub use typed::{Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Sub, XPub, XSub};
pub use typed::{Dgram, Dish, Radio};
