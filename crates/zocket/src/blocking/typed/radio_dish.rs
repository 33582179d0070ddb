//! The blocking radio-dish and DGRAM typed sockets (draft types in libzmq).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use zocket_proto::SocketType;

use super::super::{Context, Monitor, Socket};
use crate::error::Result;
use crate::options::Options;
use crate::typed::radio_dish::{addressed, grouped, split_addressed, split_grouped};

socket_type!(
    /// RADIO (draft): sends each message to a group; every DISH that joined it
    /// receives it. See [`crate::Radio`].
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use std::time::Duration;
    /// use zocket::blocking::{Dish, Radio};
    /// let dish = Dish::new()?;
    /// let endpoint = dish.bind("udp://127.0.0.1:*")?;
    /// dish.join("weather")?;
    /// let radio = Radio::new()?;
    /// radio.connect(&endpoint)?;
    /// let (group, body) = loop {
    ///     radio.send("weather", "sunny")?;
    ///     if let Ok(got) = dish.recv_timeout(Duration::from_millis(50)) {
    ///         break got;
    ///     }
    /// };
    /// assert_eq!((&group[..], &body[..]), (&b"weather"[..], &b"sunny"[..]));
    /// # Ok(()) }
    /// ```
    Radio = SocketType::Radio;
);
socket_type!(
    /// DISH (draft): receives the messages of the groups it joined, as
    /// `(group, body)` (see [`Radio`] for an example).
    Dish = SocketType::Dish;
);
socket_type!(
    /// DGRAM (draft): raw UDP datagrams to and from `ip:port` peers.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::Dgram;
    /// let a = Dgram::new()?;
    /// let b = Dgram::new()?;
    /// a.bind("udp://127.0.0.1:*")?;
    /// let b_addr = b.bind("udp://127.0.0.1:*")?;
    /// a.send_to(b_addr.trim_start_matches("udp://").parse().unwrap(), "ping")?;
    /// let (from, payload) = b.recv_from()?;
    /// assert_eq!(&payload[..], b"ping");
    /// b.send_to(from, "pong")?;
    /// assert_eq!(&a.recv_from()?.1[..], b"pong");
    /// # Ok(()) }
    /// ```
    Dgram = SocketType::Dgram;
);

impl Radio {
    /// Sends `body` to `group`, waiting up to SNDTIMEO. See [`crate::Radio::send`].
    pub fn send(&self, group: impl AsRef<[u8]>, body: impl Into<Bytes>) -> Result<()> {
        self.0.send(grouped(group.as_ref(), body.into()))
    }

    /// Sends, waiting up to `timeout`.
    pub fn send_timeout(
        &self,
        group: impl AsRef<[u8]>,
        body: impl Into<Bytes>,
        timeout: Duration,
    ) -> Result<()> {
        self.0
            .send_timeout(grouped(group.as_ref(), body.into()), timeout)
    }

    /// Sends without waiting.
    pub fn try_send(&self, group: impl AsRef<[u8]>, body: impl Into<Bytes>) -> Result<()> {
        self.0.try_send(grouped(group.as_ref(), body.into()))
    }
}

impl Dish {
    /// Joins a group. See [`crate::Socket::join`].
    pub fn join(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.0.join(group)
    }

    /// Leaves a group. See [`crate::Socket::leave`].
    pub fn leave(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.0.leave(group)
    }

    /// Receives the next message of a joined group as `(group, body)`, waiting up to
    /// RCVTIMEO.
    pub fn recv(&self) -> Result<(Bytes, Bytes)> {
        self.0.recv().map(split_grouped)
    }

    /// Receives, waiting up to `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<(Bytes, Bytes)> {
        self.0.recv_timeout(timeout).map(split_grouped)
    }

    /// Receives without waiting.
    pub fn try_recv(&self) -> Result<(Bytes, Bytes)> {
        self.0.try_recv().map(split_grouped)
    }
}

impl Dgram {
    /// Sends `payload` (at most 8192 bytes) to `addr`, waiting up to SNDTIMEO.
    pub fn send_to(&self, addr: SocketAddr, payload: impl Into<Bytes>) -> Result<()> {
        self.0.send(addressed(addr, payload.into()))
    }

    /// Sends without waiting.
    pub fn try_send_to(&self, addr: SocketAddr, payload: impl Into<Bytes>) -> Result<()> {
        self.0.try_send(addressed(addr, payload.into()))
    }

    /// Receives the next datagram as `(sender, payload)`, waiting up to RCVTIMEO.
    pub fn recv_from(&self) -> Result<(SocketAddr, Bytes)> {
        split_addressed(self.0.recv()?)
    }

    /// Receives, waiting up to `timeout`.
    pub fn recv_from_timeout(&self, timeout: Duration) -> Result<(SocketAddr, Bytes)> {
        split_addressed(self.0.recv_timeout(timeout)?)
    }

    /// Receives without waiting.
    pub fn try_recv_from(&self) -> Result<(SocketAddr, Bytes)> {
        split_addressed(self.0.try_recv()?)
    }
}
