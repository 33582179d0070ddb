//! The thread-safe draft typed sockets: CLIENT, SERVER, SCATTER, GATHER, PEER and
//! CHANNEL (draft types in libzmq). Their messages are single frames, so they send and
//! receive [`Bytes`] rather than [`Message`]s; SERVER and PEER pair each with the
//! `u32` routing id of its connection.

use std::time::Duration;

use bytes::Bytes;
use zocket_proto::{Message, SocketType};

use crate::error::{Error, Result};
use crate::monitor::Monitor;
use crate::options::Options;
use crate::socket::Socket;

/// The routed message for a SERVER or PEER: `[4-byte big-endian routing id][data]`.
pub(crate) fn routed_message(routing_id: u32, data: Bytes) -> Message {
    Message::from_frames(vec![
        Bytes::copy_from_slice(&routing_id.to_be_bytes()),
        data,
    ])
}

/// Splits a message a SERVER or PEER received into its routing id and data.
pub(crate) fn split_routed(msg: Message) -> Result<(u32, Bytes)> {
    let mut frames = msg.into_iter();
    match (frames.next(), frames.next(), frames.next()) {
        (Some(id), Some(data), None) => match <[u8; 4]>::try_from(&id[..]) {
            Ok(raw) => Ok((u32::from_be_bytes(raw), data)),
            Err(_) => Err(unrouted()),
        },
        _ => Err(unrouted()),
    }
}

fn unrouted() -> Error {
    Error::InvalidOption {
        option: "message",
        reason: "a received SERVER/PEER message is not [4-byte routing id][data]".into(),
    }
}

/// The one frame of a message received by a single-frame socket.
pub(crate) fn single_frame(msg: Message) -> Bytes {
    msg.into_iter().next().unwrap_or_default()
}

macro_rules! frame_sender {
    ($name:ident) => {
        impl $name {
            /// Sends one single-frame message, waiting up to SNDTIMEO. Cancel-safe.
            pub async fn send(&self, data: impl Into<Bytes>) -> Result<()> {
                self.0.send(Message::single(data)).await
            }

            /// Sends one single-frame message, waiting up to `timeout` (`None` =
            /// forever).
            pub async fn send_timeout(
                &self,
                data: impl Into<Bytes>,
                timeout: Option<Duration>,
            ) -> Result<()> {
                self.0.send_timeout(Message::single(data), timeout).await
            }

            /// Sends one single-frame message without waiting.
            pub fn try_send(&self, data: impl Into<Bytes>) -> Result<()> {
                self.0.try_send(Message::single(data))
            }
        }
    };
}

macro_rules! frame_receiver {
    ($name:ident) => {
        impl $name {
            /// Receives one message (a single frame), waiting up to RCVTIMEO.
            /// Cancel-safe.
            pub async fn recv(&self) -> Result<Bytes> {
                self.0.recv().await.map(single_frame)
            }

            /// Receives one message, waiting up to `timeout` (`None` = forever).
            pub async fn recv_timeout(&self, timeout: Option<Duration>) -> Result<Bytes> {
                self.0.recv_timeout(timeout).await.map(single_frame)
            }

            /// Receives one message without waiting.
            pub fn try_recv(&self) -> Result<Bytes> {
                self.0.try_recv().map(single_frame)
            }
        }
    };
}

macro_rules! routed {
    ($name:ident) => {
        impl $name {
            /// Sends `data` to the connection with this routing id, waiting up to
            /// SNDTIMEO while its pipe is full. Cancel-safe.
            /// [`Error::HostUnreachable`] when no connection has the id.
            pub async fn send(&self, routing_id: u32, data: impl Into<Bytes>) -> Result<()> {
                self.0.send(routed_message(routing_id, data.into())).await
            }

            /// Sends `data` to a connection, waiting up to `timeout` (`None` =
            /// forever) while its pipe is full.
            pub async fn send_timeout(
                &self,
                routing_id: u32,
                data: impl Into<Bytes>,
                timeout: Option<Duration>,
            ) -> Result<()> {
                self.0
                    .send_timeout(routed_message(routing_id, data.into()), timeout)
                    .await
            }

            /// Sends `data` to a connection without waiting:
            /// [`Error::WouldBlock`] when its pipe is full.
            pub fn try_send(&self, routing_id: u32, data: impl Into<Bytes>) -> Result<()> {
                self.0.try_send(routed_message(routing_id, data.into()))
            }

            /// Receives one message and the routing id of the connection it came
            /// from, waiting up to RCVTIMEO. Cancel-safe.
            pub async fn recv(&self) -> Result<(u32, Bytes)> {
                split_routed(self.0.recv().await?)
            }

            /// Receives one message and its routing id, waiting up to `timeout`
            /// (`None` = forever).
            pub async fn recv_timeout(&self, timeout: Option<Duration>) -> Result<(u32, Bytes)> {
                split_routed(self.0.recv_timeout(timeout).await?)
            }

            /// Receives one message and its routing id without waiting.
            pub fn try_recv(&self) -> Result<(u32, Bytes)> {
                split_routed(self.0.try_recv()?)
            }
        }
    };
}

socket_type!(
    /// CLIENT (draft): talks to SERVERs, round-robin out and fair-queued in, like a
    /// DEALER restricted to single-frame messages. Thread-safe, as every zocket socket.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::Result<()> {
    /// use zocket::{Client, Server};
    /// let server = Server::new()?;
    /// let endpoint = server.bind("tcp://127.0.0.1:*").await?;
    /// let client = Client::new()?;
    /// client.connect(&endpoint).await?;
    /// client.send("2+2").await?;
    /// let (id, question) = server.recv().await?;
    /// assert_eq!(&question[..], b"2+2");
    /// server.send(id, "4").await?;
    /// assert_eq!(&client.recv().await?[..], b"4");
    /// # Ok(()) }
    /// ```
    Client = SocketType::Client; frame_sender, frame_receiver
);
socket_type!(
    /// SERVER (draft): answers CLIENTs. Each connection has a non-zero `u32` routing
    /// id, given with every message received from it and named to send to it; a send
    /// to an id with no connection is [`Error::HostUnreachable`], and one to a full
    /// connection waits (or is [`Error::WouldBlock`] for `try_send`). Single-frame
    /// messages only.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::Result<()> {
    /// use zocket::{Client, Error, Server};
    /// let server = Server::new()?;
    /// let endpoint = server.bind("tcp://127.0.0.1:*").await?;
    /// let (alice, bob) = (Client::new()?, Client::new()?);
    /// alice.connect(&endpoint).await?;
    /// bob.connect(&endpoint).await?;
    /// alice.send("alice").await?;
    /// bob.send("bob").await?;
    /// for _ in 0..2 {
    ///     let (id, name) = server.recv().await?;
    ///     server.send(id, [&b"hello "[..], &name[..]].concat()).await?;
    /// }
    /// assert_eq!(&alice.recv().await?[..], b"hello alice");
    /// assert_eq!(&bob.recv().await?[..], b"hello bob");
    /// let unknown = server.send(0, "nobody").await;
    /// assert!(matches!(unknown, Err(Error::HostUnreachable)));
    /// # Ok(()) }
    /// ```
    Server = SocketType::Server; routed
);
socket_type!(
    /// SCATTER (draft): a single-frame PUSH, round-robin over its GATHERs; blocks when
    /// none has room.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::Result<()> {
    /// use zocket::{Gather, Scatter};
    /// let gather = Gather::new()?;
    /// let endpoint = gather.bind("tcp://127.0.0.1:*").await?;
    /// let scatter = Scatter::new()?;
    /// scatter.connect(&endpoint).await?;
    /// scatter.send("task").await?;
    /// assert_eq!(&gather.recv().await?[..], b"task");
    /// # Ok(()) }
    /// ```
    Scatter = SocketType::Scatter; frame_sender
);
socket_type!(
    /// GATHER (draft): a single-frame PULL, fair-queueing from its SCATTERs (see
    /// [`Scatter`] for an example).
    Gather = SocketType::Gather; frame_receiver
);
socket_type!(
    /// PEER (draft): SERVER's routing (a `u32` routing id per connection) on a socket
    /// that both binds and connects; [`connect_peer`](Peer::connect_peer) gives the
    /// id of the connection it makes, so a PEER can speak first.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::Result<()> {
    /// use zocket::Peer;
    /// let a = Peer::new()?;
    /// let endpoint = a.bind("tcp://127.0.0.1:*").await?;
    /// let b = Peer::new()?;
    /// let to_a = b.connect_peer(&endpoint).await?;
    /// b.send(to_a, "hello").await?;
    /// let (to_b, got) = a.recv().await?;
    /// assert_eq!(&got[..], b"hello");
    /// a.send(to_b, "hi").await?;
    /// assert_eq!(b.recv().await?, (to_a, bytes::Bytes::from("hi")));
    /// # Ok(()) }
    /// ```
    Peer = SocketType::Peer; routed
);
socket_type!(
    /// CHANNEL (draft): a single-frame PAIR, an exclusive connection to one peer.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::Result<()> {
    /// use zocket::Channel;
    /// let a = Channel::new()?;
    /// let endpoint = a.bind("inproc://channel-doc").await?;
    /// let b = Channel::new()?;
    /// b.connect(&endpoint).await?;
    /// b.send("ping").await?;
    /// assert_eq!(&a.recv().await?[..], b"ping");
    /// a.send("pong").await?;
    /// assert_eq!(&b.recv().await?[..], b"pong");
    /// # Ok(()) }
    /// ```
    Channel = SocketType::Channel; frame_sender, frame_receiver
);

impl Peer {
    /// Connects to `endpoint` and returns the routing id of the new connection,
    /// usable at once (messages queue until the peer is there).
    /// See [`Socket::connect_peer`].
    pub async fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        self.0.connect_peer(endpoint).await
    }
}
