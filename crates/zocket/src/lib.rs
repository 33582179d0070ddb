//! zocket: ZeroMQ-compatible messaging sockets in pure Rust, on tokio.
//!
//! zocket speaks ZMTP 3.x, ZeroMQ's wire protocol, so any libzmq, pyzmq, JeroMQ or
//! CZMQ program can be its peer. The layers, top down:
//!
//! - [`Socket`]: the socket interface (bind, connect, send, recv, close), with
//!   [`Options`], [`Monitor`] events, [`Endpoint`] addresses and one [`Error`] type;
//! - `pattern`: each socket type's routing strategy over its pipes;
//! - `pipe`: bounded per-peer queues (the HWM), handed to engines in batches;
//! - `engine`: one task per connection driving a [`proto::Session`]; the whole
//!   messages of each read go up as one [`proto::WireRun`], still in wire form,
//!   and the receiving thread decodes them as it takes them (the engine's thread
//!   only checks their frame headers);
//! - `transport`: tcp listeners and connecters (with reconnection);
//! - [`proto`]: the sans-IO protocol core (crate `zocket-proto`).
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> zocket::Result<()> {
//! use zocket::{Socket, SocketType};
//! let server = Socket::new(SocketType::Pair)?;
//! let endpoint = server.bind("tcp://127.0.0.1:*").await?;
//! let client = Socket::new(SocketType::Pair)?;
//! client.connect(&endpoint).await?;
//! client.send("Hello, server!").await?;
//! let got = server.recv().await?;
//! server.send("Hello, client!").await?;
//! assert_eq!(&client.recv().await?[0][..], b"Hello, client!");
//! # let _ = got; Ok(()) }
//! ```
//!
//! ## Choosing a runtime
//!
//! A socket's connection tasks run wherever the runtime runs spawned tasks.
//!
//! - On a **current-thread** runtime (`#[tokio::main(flavor = "current_thread")]`)
//!   they share the application's thread: no hand-off between threads, hence the
//!   lowest round-trip latency and, with few cores per process, the highest
//!   small-message throughput (`bench/README.md`, rows `zocket-ct`). A message
//!   sent just after one was received (a reply, the next request) is written to
//!   the connection by the sending task itself. Sends that
//!   never wait (PUB, RADIO, ROUTER, … drop at the HWM) spend tokio's cooperative
//!   budget, so a loop of them still lets the connections run; a long
//!   computation between two awaits holds them up, heartbeats included.
//! - On a **multi-thread** runtime they run on the workers while the application
//!   computes: reading, writing and the application overlap, at the price of a
//!   wake-up between threads for each batch handed over. A PUB, XPUB or RADIO
//!   send that every matching peer misses (all at SNDHWM) gives way with
//!   [`std::thread::yield_now`] before returning, so that a publisher faster than
//!   all its subscribers leaves the core to the threads that drain them.
//!   A receive that has to wait on a socket with a few tcp or ipc connections
//!   (up to 8) reads them itself, on the application's thread, as long as
//!   messages come one at a time (requests, replies): the worker only passes
//!   the wake-up on, and a message received costs one thread hand-off instead
//!   of two. Once messages stream in (more already waiting, or one of
//!   16 KiB or more), the next waits leave reading to the worker again, so that
//!   it overlaps with the application's work. Every message is written by the
//!   worker, a reply too: written by the sending thread, it saved a hand-off
//!   but made each process's threads chase each other across CPUs, which cost
//!   more on a 2-vCPU VM (REQ↔REP p50 0.70–0.79× libzmq's written by the
//!   worker, 0.87–0.89× by the sender). Only where the process may use a
//!   single CPU, and the hand-off is a context switch, does the sender write
//!   it. A connection that
//!   has written out a stream of several messages (not a single reply, and not
//!   a PUB's, XPUB's or RADIO's) gives its worker's core away once
//!   ([`std::thread::yield_now`]) before taking the next ones, so that a sender
//!   sharing that core queues a large batch: the worker then makes one system
//!   call per hundreds of small messages rather than per handful.
//!
//! [`blocking`] sockets run on a background runtime of their own and need no choice.
//! A blocking receive that has to wait sleeps in a poller of its own on the
//! sockets of the connections it reads itself (as above), so that a reply wakes
//! the receiving thread directly, with no worker in between. Its requests and
//! replies go to the worker (whatever the CPUs), which writes them while the
//! sending thread goes on to its next receive: on a 2-vCPU VM that made a
//! request-reply round trip more than twice as fast as writing them itself (27
//! against 67 µs of p50). The worker also keeps heartbeats while the
//! application computes.
//!
//! What the choice costs in a request-reply loop, measured on a 2-vCPU VM
//! (`bench/README.md`, REQ↔REP p50 against libzmq's over loopback, two runs
//! in session 17): 0.30–0.32× with blocking sockets, 0.61–0.73× from
//! `block_on` on a multi-thread runtime and 0.69–0.72× on a current-thread
//! runtime. On a VM whose idle CPUs halt, most of a round trip is waking them;
//! pinned to one CPU a round trip took 31 µs against 60–80 spread over two.

pub mod blocking;
mod core;
pub mod endpoint;
mod engine;
pub mod error;
pub mod monitor;
mod option_names;
pub mod options;
mod pattern;
mod pipe;
pub mod proxy;
mod socket;
mod transport;
pub mod typed;

pub use endpoint::Endpoint;
pub use error::{Error, Result};
pub use monitor::{Monitor, MonitorEvent};
pub use options::Options;
pub use socket::Socket;
pub use typed::{Channel, Client, Gather, Peer, Scatter, Server};
pub use typed::{Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Sub, XPub, XSub};
pub use typed::{Dgram, Dish, Radio};
pub use zocket_proto as proto;
pub use zocket_proto::{Message, SocketType};

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
