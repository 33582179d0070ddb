//! Typed sockets: one type per socket type, with only the methods that mean
//! something for it (a [`Pull`] has no `send`, only a [`Sub`] has `subscribe`).
//! Each wraps a dynamic [`Socket`], reachable with `as_socket`/`into_socket`.

use std::time::Duration;

use zocket_proto::{Message, SocketType};

use crate::error::Result;
use crate::monitor::Monitor;
use crate::options::Options;
use crate::socket::Socket;

macro_rules! common {
    ($name:ident, $ty:expr) => {
        impl $name {
            /// Creates the socket with libzmq's default options.
            pub fn new() -> Result<Self> {
                Ok($name(Socket::new($ty)?))
            }

            /// Binds; returns the resolved endpoint. See [`Socket::bind`].
            pub async fn bind(&self, endpoint: &str) -> Result<String> {
                self.0.bind(endpoint).await
            }

            /// Starts connecting and returns at once. See [`Socket::connect`].
            pub async fn connect(&self, endpoint: &str) -> Result<()> {
                self.0.connect(endpoint).await
            }

            /// Stops listening on a bound endpoint. See [`Socket::unbind`].
            pub async fn unbind(&self, endpoint: &str) -> Result<()> {
                self.0.unbind(endpoint).await
            }

            /// Stops connecting to an endpoint. See [`Socket::disconnect`].
            pub async fn disconnect(&self, endpoint: &str) -> Result<()> {
                self.0.disconnect(endpoint).await
            }

            /// The current options.
            pub fn options(&self) -> Options {
                self.0.options()
            }

            /// Replaces the options. See [`Socket::set_options`].
            pub fn set_options(&self, options: Options) -> Result<()> {
                self.0.set_options(options)
            }

            /// A stream of connection events. See [`Socket::monitor`].
            pub fn monitor(&self) -> Monitor {
                self.0.monitor()
            }

            /// The last endpoint bound or connected.
            pub fn last_endpoint(&self) -> Option<String> {
                self.0.last_endpoint()
            }

            /// Closes the socket, lingering as LINGER says. See [`Socket::close`].
            pub async fn close(self) -> Result<()> {
                self.0.close().await
            }

            /// The dynamic socket underneath.
            pub fn as_socket(&self) -> &Socket {
                &self.0
            }

            /// Unwraps the dynamic socket.
            pub fn into_socket(self) -> Socket {
                self.0
            }
        }
    };
}

macro_rules! sender {
    ($name:ident) => {
        impl $name {
            /// Sends a whole message, waiting up to SNDTIMEO. Cancel-safe.
            pub async fn send(&self, msg: impl Into<Message>) -> Result<()> {
                self.0.send(msg).await
            }

            /// Sends a one-frame message holding a copy of `data`, waiting up to
            /// SNDTIMEO. See [`Socket::send_copy`].
            pub async fn send_copy(&self, data: &[u8]) -> Result<()> {
                self.0.send_copy(data).await
            }

            /// Sends, waiting up to `timeout` (`None` = forever).
            pub async fn send_timeout(
                &self,
                msg: impl Into<Message>,
                timeout: Option<Duration>,
            ) -> Result<()> {
                self.0.send_timeout(msg, timeout).await
            }

            /// Sends without waiting.
            pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
                self.0.try_send(msg)
            }
        }
    };
}

macro_rules! receiver {
    ($name:ident) => {
        impl $name {
            /// Receives a whole message, waiting up to RCVTIMEO. Cancel-safe.
            pub async fn recv(&self) -> Result<Message> {
                self.0.recv().await
            }

            /// Receives, waiting up to `timeout` (`None` = forever).
            pub async fn recv_timeout(&self, timeout: Option<Duration>) -> Result<Message> {
                self.0.recv_timeout(timeout).await
            }

            /// Receives without waiting.
            pub fn try_recv(&self) -> Result<Message> {
                self.0.try_recv()
            }
        }
    };
}

macro_rules! socket_type {
    ($(#[$doc:meta])* $name:ident = $ty:expr; $($role:ident),*) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(Socket);
        common!($name, $ty);
        $($role!($name);)*
    };
}

socket_type!(
    /// PAIR: an exclusive connection to one peer (both directions).
    Pair = SocketType::Pair; sender, receiver
);
socket_type!(
    /// PUB: publishes to the subscribers whose subscriptions match; never blocks.
    Pub = SocketType::Pub; sender
);
socket_type!(
    /// SUB: receives the messages matching its subscriptions.
    Sub = SocketType::Sub; receiver
);
socket_type!(
    /// XPUB: a PUB that also receives subscriptions as `0x01|topic` / `0x00|topic`.
    XPub = SocketType::XPub; sender, receiver
);
socket_type!(
    /// XSUB: a SUB that subscribes by sending `0x01|topic` messages; no local filter.
    XSub = SocketType::XSub; sender, receiver
);
socket_type!(
    /// REQ: sends a request, then receives its reply, strictly alternating.
    Req = SocketType::Req; sender, receiver
);
socket_type!(
    /// REP: receives a request, then sends its reply, strictly alternating.
    Rep = SocketType::Rep; sender, receiver
);
socket_type!(
    /// DEALER: load-balances requests, fair-queues replies; no envelope handling.
    Dealer = SocketType::Dealer; sender, receiver
);
socket_type!(
    /// ROUTER: prefixes each received message with its peer's routing id, and routes
    /// each sent message by its first frame.
    Router = SocketType::Router; sender, receiver
);
socket_type!(
    /// PUSH: load-balances messages over its pullers; blocks when none has room.
    Push = SocketType::Push; sender
);
socket_type!(
    /// PULL: fair-queues messages from its pushers.
    Pull = SocketType::Pull; receiver
);

impl Sub {
    /// Subscribes to a prefix of the first frame (empty = everything).
    /// See [`Socket::subscribe`].
    pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.0.subscribe(prefix)
    }

    /// Removes one subscription.
    pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
        self.0.unsubscribe(prefix)
    }
}

pub(crate) mod radio_dish;
pub use radio_dish::{Dgram, Dish, Radio};
pub(crate) mod draft;
pub use draft::{Channel, Client, Gather, Peer, Scatter, Server};
