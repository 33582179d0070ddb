//! The thread-safe draft typed blocking sockets, mirroring [`crate::typed`]'s CLIENT,
//! SERVER, SCATTER, GATHER, PEER and CHANNEL.

use std::time::Duration;

use bytes::Bytes;
use zocket_proto::{Message, SocketType};

use super::super::{Context, Monitor, Socket};
use crate::error::Result;
use crate::options::Options;
use crate::typed::draft::{routed_message, single_frame, split_routed};

macro_rules! frame_sender {
    ($name:ident) => {
        impl $name {
            /// Sends one single-frame message, waiting up to SNDTIMEO.
            /// See [`Socket::send`].
            pub fn send(&self, data: impl Into<Bytes>) -> Result<()> {
                self.0.send(Message::single(data))
            }

            /// Sends one single-frame message, waiting up to `timeout`.
            /// See [`Socket::send_timeout`].
            pub fn send_timeout(&self, data: impl Into<Bytes>, timeout: Duration) -> Result<()> {
                self.0.send_timeout(Message::single(data), timeout)
            }

            /// Sends one single-frame message without waiting.
            /// See [`Socket::try_send`].
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
            /// See [`Socket::recv`].
            pub fn recv(&self) -> Result<Bytes> {
                self.0.recv().map(single_frame)
            }

            /// Receives one message, waiting up to `timeout`.
            /// See [`Socket::recv_timeout`].
            pub fn recv_timeout(&self, timeout: Duration) -> Result<Bytes> {
                self.0.recv_timeout(timeout).map(single_frame)
            }

            /// Receives one message without waiting. See [`Socket::try_recv`].
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
            /// SNDTIMEO while its pipe is full.
            /// [`Error::HostUnreachable`](crate::Error::HostUnreachable) when no
            /// connection has the id.
            pub fn send(&self, routing_id: u32, data: impl Into<Bytes>) -> Result<()> {
                self.0.send(routed_message(routing_id, data.into()))
            }

            /// Sends `data` to a connection, waiting up to `timeout` while its pipe
            /// is full.
            pub fn send_timeout(
                &self,
                routing_id: u32,
                data: impl Into<Bytes>,
                timeout: Duration,
            ) -> Result<()> {
                self.0
                    .send_timeout(routed_message(routing_id, data.into()), timeout)
            }

            /// Sends `data` to a connection without waiting:
            /// [`Error::WouldBlock`](crate::Error::WouldBlock) when its pipe is full.
            pub fn try_send(&self, routing_id: u32, data: impl Into<Bytes>) -> Result<()> {
                self.0.try_send(routed_message(routing_id, data.into()))
            }

            /// Receives one message and the routing id of the connection it came
            /// from, waiting up to RCVTIMEO.
            pub fn recv(&self) -> Result<(u32, Bytes)> {
                split_routed(self.0.recv()?)
            }

            /// Receives one message and its routing id, waiting up to `timeout`.
            pub fn recv_timeout(&self, timeout: Duration) -> Result<(u32, Bytes)> {
                split_routed(self.0.recv_timeout(timeout)?)
            }

            /// Receives one message and its routing id without waiting.
            pub fn try_recv(&self) -> Result<(u32, Bytes)> {
                split_routed(self.0.try_recv()?)
            }
        }
    };
}

socket_type!(
    /// CLIENT (draft): talks to SERVERs, round-robin out and fair-queued in, with
    /// single-frame messages.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::{Client, Server};
    /// let server = Server::new()?;
    /// let endpoint = server.bind("tcp://127.0.0.1:*")?;
    /// let client = Client::new()?;
    /// client.connect(&endpoint)?;
    /// client.send("2+2")?;
    /// let (id, question) = server.recv()?;
    /// assert_eq!(&question[..], b"2+2");
    /// server.send(id, "4")?;
    /// assert_eq!(&client.recv()?[..], b"4");
    /// # Ok(()) }
    /// ```
    Client = SocketType::Client; frame_sender, frame_receiver
);
socket_type!(
    /// SERVER (draft): answers CLIENTs, naming each connection by a non-zero `u32`
    /// routing id (see [`Client`] for an example, and [`crate::Server`]).
    Server = SocketType::Server; routed
);
socket_type!(
    /// SCATTER (draft): a single-frame PUSH.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::{Gather, Scatter};
    /// let gather = Gather::new()?;
    /// let endpoint = gather.bind("tcp://127.0.0.1:*")?;
    /// let scatter = Scatter::new()?;
    /// scatter.connect(&endpoint)?;
    /// scatter.send("task")?;
    /// assert_eq!(&gather.recv()?[..], b"task");
    /// # Ok(()) }
    /// ```
    Scatter = SocketType::Scatter; frame_sender
);
socket_type!(
    /// GATHER (draft): a single-frame PULL (see [`Scatter`] for an example).
    Gather = SocketType::Gather; frame_receiver
);
socket_type!(
    /// PEER (draft): SERVER's routing on a socket that both binds and connects.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::Peer;
    /// let a = Peer::new()?;
    /// let endpoint = a.bind("tcp://127.0.0.1:*")?;
    /// let b = Peer::new()?;
    /// let to_a = b.connect_peer(&endpoint)?;
    /// b.send(to_a, "hello")?;
    /// let (to_b, got) = a.recv()?;
    /// assert_eq!(&got[..], b"hello");
    /// a.send(to_b, "hi")?;
    /// assert_eq!(&b.recv()?.1[..], b"hi");
    /// # Ok(()) }
    /// ```
    Peer = SocketType::Peer; routed
);
socket_type!(
    /// CHANNEL (draft): a single-frame PAIR.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::Channel;
    /// let a = Channel::new()?;
    /// let endpoint = a.bind("tcp://127.0.0.1:*")?;
    /// let b = Channel::new()?;
    /// b.connect(&endpoint)?;
    /// b.send("ping")?;
    /// assert_eq!(&a.recv()?[..], b"ping");
    /// # Ok(()) }
    /// ```
    Channel = SocketType::Channel; frame_sender, frame_receiver
);

impl Peer {
    /// Connects to `endpoint` and returns the routing id of the new connection.
    /// See [`Socket::connect_peer`].
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32> {
        self.0.connect_peer(endpoint)
    }
}
