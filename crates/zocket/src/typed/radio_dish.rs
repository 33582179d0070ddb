//! The radio-dish and DGRAM typed sockets (draft types in libzmq).

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use zocket_proto::{Message, SocketType};

use crate::error::{Error, Result};
use crate::monitor::Monitor;
use crate::options::Options;
use crate::socket::Socket;

/// `[group][body]`, the form a RADIO sends and a DISH receives.
pub(crate) fn grouped(group: &[u8], body: Bytes) -> Message {
    Message::from_frames(vec![Bytes::copy_from_slice(group), body])
}

/// Splits a DISH's message into its group and body.
pub(crate) fn split_grouped(msg: Message) -> (Bytes, Bytes) {
    let mut frames = msg.into_iter();
    let group = frames.next().unwrap_or_default();
    let body = frames.next().unwrap_or_default();
    (group, body)
}

/// `[ip:port][payload]`, the form of a DGRAM message.
pub(crate) fn addressed(addr: SocketAddr, payload: Bytes) -> Message {
    Message::from_frames(vec![Bytes::from(addr.to_string()), payload])
}

/// Splits a DGRAM's message into the sender's address and the payload.
pub(crate) fn split_addressed(msg: Message) -> Result<(SocketAddr, Bytes)> {
    let mut frames = msg.into_iter();
    let addr = frames.next().unwrap_or_default();
    let payload = frames.next().unwrap_or_default();
    let parsed = crate::transport::udp::parse_dgram_address(&addr).ok_or_else(|| {
        Error::InvalidEndpoint {
            endpoint: String::from_utf8_lossy(&addr).into_owned(),
            reason: "a DGRAM address frame is \"ip:port\"",
        }
    })?;
    Ok((parsed, payload))
}

socket_type!(
    /// RADIO (draft): sends each message to a group; every DISH that joined the group
    /// receives it. Over tcp://, ipc:// and inproc:// the RADIO usually binds and
    /// filters by the groups its dishes joined; over udp:// it connects (unicast or
    /// multicast) and sends every group. A DISH at its HWM misses messages unless
    /// [`xpub_nodrop`](Options::xpub_nodrop) is set. Bodies are single frames; groups
    /// are at most 255 bytes.
    ///
    /// Joins travel asynchronously, so a message sent right after a DISH connects may
    /// find no member yet; this example sends until one arrives.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::Result<()> {
    /// use std::time::Duration;
    /// use zocket::{Dish, Radio};
    /// let radio = Radio::new()?;
    /// let endpoint = radio.bind("tcp://127.0.0.1:*").await?;
    /// let dish = Dish::new()?;
    /// dish.join("weather")?;
    /// dish.connect(&endpoint).await?;
    /// let got = loop {
    ///     radio.send("news", "not joined: filtered out").await?;
    ///     radio.send("weather", "sunny").await?;
    ///     if let Ok(got) = dish.recv_timeout(Some(Duration::from_millis(50))).await {
    ///         break got;
    ///     }
    /// };
    /// assert_eq!((&got.0[..], &got.1[..]), (&b"weather"[..], &b"sunny"[..]));
    /// # Ok(()) }
    /// ```
    Radio = SocketType::Radio;
);
socket_type!(
    /// DISH (draft): receives the messages of the groups it joined, as
    /// `(group, body)`. Over udp:// it binds (a unicast address, or a multicast group
    /// it joins); over the other transports it usually connects to a RADIO. See
    /// [`Radio`] for an example.
    Dish = SocketType::Dish;
);
socket_type!(
    /// DGRAM (draft): raw UDP datagrams, addressed to and received from `ip:port`
    /// peers. It binds one `udp://` endpoint and sends from there.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::Result<()> {
    /// use zocket::Dgram;
    /// let a = Dgram::new()?;
    /// let b = Dgram::new()?;
    /// a.bind("udp://127.0.0.1:*").await?;
    /// let b_addr = b.bind("udp://127.0.0.1:*").await?;
    /// let b_addr = b_addr.trim_start_matches("udp://").parse().unwrap();
    /// a.send_to(b_addr, "ping").await?;
    /// let (from, payload) = b.recv_from().await?;
    /// assert_eq!(&payload[..], b"ping");
    /// b.send_to(from, "pong").await?;
    /// assert_eq!(&a.recv_from().await?.1[..], b"pong");
    /// # Ok(()) }
    /// ```
    Dgram = SocketType::Dgram;
);

impl Radio {
    /// Sends `body` to `group`, waiting up to SNDTIMEO (only with XPUB_NODROP can it
    /// wait). Cancel-safe.
    ///
    /// Errors: [`Error::InvalidOption`] (`EINVAL`) for a group over 255 bytes,
    /// [`Error::MessageTooLarge`] (`EMSGSIZE`) when a udp:// destination is connected
    /// and `1 + group + body` exceeds 8192 bytes.
    pub async fn send(&self, group: impl AsRef<[u8]>, body: impl Into<Bytes>) -> Result<()> {
        self.0.send(grouped(group.as_ref(), body.into())).await
    }

    /// Sends, waiting up to `timeout` (`None` = forever).
    pub async fn send_timeout(
        &self,
        group: impl AsRef<[u8]>,
        body: impl Into<Bytes>,
        timeout: Option<Duration>,
    ) -> Result<()> {
        self.0
            .send_timeout(grouped(group.as_ref(), body.into()), timeout)
            .await
    }

    /// Sends without waiting.
    pub fn try_send(&self, group: impl AsRef<[u8]>, body: impl Into<Bytes>) -> Result<()> {
        self.0.try_send(grouped(group.as_ref(), body.into()))
    }
}

impl Dish {
    /// Joins a group. See [`Socket::join`].
    pub fn join(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.0.join(group)
    }

    /// Leaves a group. See [`Socket::leave`].
    pub fn leave(&self, group: impl AsRef<[u8]>) -> Result<()> {
        self.0.leave(group)
    }

    /// Receives the next message of a joined group as `(group, body)`, waiting up to
    /// RCVTIMEO. Cancel-safe.
    pub async fn recv(&self) -> Result<(Bytes, Bytes)> {
        self.0.recv().await.map(split_grouped)
    }

    /// Receives, waiting up to `timeout` (`None` = forever).
    pub async fn recv_timeout(&self, timeout: Option<Duration>) -> Result<(Bytes, Bytes)> {
        self.0.recv_timeout(timeout).await.map(split_grouped)
    }

    /// Receives without waiting.
    pub fn try_recv(&self) -> Result<(Bytes, Bytes)> {
        self.0.try_recv().map(split_grouped)
    }
}

impl Dgram {
    /// Sends `payload` (at most 8192 bytes) to `addr`, waiting up to SNDTIMEO for room
    /// (and, before [`bind`](Self::bind), for the socket). Cancel-safe.
    pub async fn send_to(&self, addr: SocketAddr, payload: impl Into<Bytes>) -> Result<()> {
        self.0.send(addressed(addr, payload.into())).await
    }

    /// Sends without waiting.
    pub fn try_send_to(&self, addr: SocketAddr, payload: impl Into<Bytes>) -> Result<()> {
        self.0.try_send(addressed(addr, payload.into()))
    }

    /// Receives the next datagram as `(sender, payload)`, waiting up to RCVTIMEO.
    /// Cancel-safe.
    pub async fn recv_from(&self) -> Result<(SocketAddr, Bytes)> {
        split_addressed(self.0.recv().await?)
    }

    /// Receives, waiting up to `timeout` (`None` = forever).
    pub async fn recv_from_timeout(
        &self,
        timeout: Option<Duration>,
    ) -> Result<(SocketAddr, Bytes)> {
        split_addressed(self.0.recv_timeout(timeout).await?)
    }

    /// Receives without waiting.
    pub fn try_recv_from(&self) -> Result<(SocketAddr, Bytes)> {
        split_addressed(self.0.try_recv()?)
    }
}
