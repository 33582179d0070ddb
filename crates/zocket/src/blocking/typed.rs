//! Typed blocking sockets, mirroring [`crate::typed`]: each has only the methods
//! that mean something for its type.

use std::time::Duration;

use zocket_proto::{Message, SocketType};

use super::{Context, Monitor, Socket};
use crate::error::Result;
use crate::options::Options;

macro_rules! common {
    ($name:ident, $ty:expr) => {
        impl $name {
            /// Creates the socket with libzmq's default options, on the process-wide
            /// default [`Context`].
            pub fn new() -> Result<Self> {
                Ok($name(Socket::new($ty)?))
            }

            /// Creates the socket on `ctx`.
            pub fn with_context(ctx: &Context) -> Result<Self> {
                Ok($name(Socket::with_context(ctx, $ty)?))
            }

            /// Binds; returns the resolved endpoint. See [`Socket::bind`].
            pub fn bind(&self, endpoint: &str) -> Result<String> {
                self.0.bind(endpoint)
            }

            /// Starts connecting and returns at once. See [`Socket::connect`].
            pub fn connect(&self, endpoint: &str) -> Result<()> {
                self.0.connect(endpoint)
            }

            /// Stops listening on a bound endpoint. See [`Socket::unbind`].
            pub fn unbind(&self, endpoint: &str) -> Result<()> {
                self.0.unbind(endpoint)
            }

            /// Stops connecting to an endpoint. See [`Socket::disconnect`].
            pub fn disconnect(&self, endpoint: &str) -> Result<()> {
                self.0.disconnect(endpoint)
            }

            /// The current options.
            pub fn options(&self) -> Options {
                self.0.options()
            }

            /// Replaces the options. See [`Socket::set_options`].
            pub fn set_options(&self, options: Options) -> Result<()> {
                self.0.set_options(options)
            }

            /// A blocking stream of connection events. See [`Socket::monitor`].
            pub fn monitor(&self) -> Monitor {
                self.0.monitor()
            }

            /// The last endpoint bound or connected.
            pub fn last_endpoint(&self) -> Option<String> {
                self.0.last_endpoint()
            }

            /// Closes the socket, lingering as LINGER says. See [`Socket::close`].
            pub fn close(self) -> Result<()> {
                self.0.close()
            }

            /// The dynamic blocking socket underneath.
            pub fn as_socket(&self) -> &Socket {
                &self.0
            }

            /// Unwraps the dynamic blocking socket.
            pub fn into_socket(self) -> Socket {
                self.0
            }
        }
    };
}

macro_rules! sender {
    ($name:ident) => {
        impl $name {
            /// Sends a whole message, waiting up to SNDTIMEO. See [`Socket::send`].
            pub fn send(&self, msg: impl Into<Message>) -> Result<()> {
                self.0.send(msg)
            }

            /// Sends a one-frame message holding a copy of `data`, waiting up to
            /// SNDTIMEO. See [`Socket::send_copy`].
            pub fn send_copy(&self, data: &[u8]) -> Result<()> {
                self.0.send_copy(data)
            }

            /// Sends, waiting up to `timeout`. See [`Socket::send_timeout`].
            pub fn send_timeout(&self, msg: impl Into<Message>, timeout: Duration) -> Result<()> {
                self.0.send_timeout(msg, timeout)
            }

            /// Sends without waiting. See [`Socket::try_send`].
            pub fn try_send(&self, msg: impl Into<Message>) -> Result<()> {
                self.0.try_send(msg)
            }
        }
    };
}

macro_rules! receiver {
    ($name:ident) => {
        impl $name {
            /// Receives a whole message, waiting up to RCVTIMEO. See [`Socket::recv`].
            pub fn recv(&self) -> Result<Message> {
                self.0.recv()
            }

            /// Receives, waiting up to `timeout`. See [`Socket::recv_timeout`].
            pub fn recv_timeout(&self, timeout: Duration) -> Result<Message> {
                self.0.recv_timeout(timeout)
            }

            /// Receives without waiting. See [`Socket::try_recv`].
            pub fn try_recv(&self) -> Result<Message> {
                self.0.try_recv()
            }
        }
    };
}

macro_rules! subscriber {
    ($name:ident) => {
        impl $name {
            /// Subscribes to a prefix of the first frame (empty = everything).
            /// See [`Socket::subscribe`].
            pub fn subscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
                self.0.subscribe(prefix)
            }

            /// Removes one subscription. See [`Socket::unsubscribe`].
            pub fn unsubscribe(&self, prefix: impl AsRef<[u8]>) -> Result<()> {
                self.0.unsubscribe(prefix)
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
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// let a = zocket::blocking::Pair::new()?;
    /// let endpoint = a.bind("tcp://127.0.0.1:*")?;
    /// let b = zocket::blocking::Pair::new()?;
    /// b.connect(&endpoint)?;
    /// b.send("hello")?;
    /// assert_eq!(&a.recv()?[0][..], b"hello");
    /// a.send("hi")?;
    /// assert_eq!(&b.recv()?[0][..], b"hi");
    /// # Ok(()) }
    /// ```
    Pair = SocketType::Pair; sender, receiver
);
socket_type!(
    /// PUB: publishes to the subscribers whose subscriptions match; never blocks.
    ///
    /// Subscriptions reach the publisher asynchronously, after the connection is
    /// made, so the first messages published may find no subscriber yet (libzmq's
    /// "slow joiner"); this example publishes until one arrives.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use std::time::Duration;
    /// use zocket::blocking::{Pub, Sub};
    /// let publisher = Pub::new()?;
    /// let endpoint = publisher.bind("tcp://127.0.0.1:*")?;
    /// let sub = Sub::new()?;
    /// sub.subscribe("weather")?;
    /// sub.connect(&endpoint)?;
    /// let mut report = zocket::Message::single("weather");
    /// report.push_back("sunny");
    /// let mut got = None;
    /// for _ in 0..100 {
    ///     publisher.send(report.clone())?;
    ///     if let Ok(m) = sub.recv_timeout(Duration::from_millis(50)) {
    ///         got = Some(m);
    ///         break;
    ///     }
    /// }
    /// assert_eq!(&got.expect("subscribed within 5 s")[1][..], b"sunny");
    /// # Ok(()) }
    /// ```
    Pub = SocketType::Pub; sender
);
socket_type!(
    /// SUB: receives the messages matching its subscriptions (see [`Pub`] for an
    /// example).
    Sub = SocketType::Sub; receiver, subscriber
);
socket_type!(
    /// XPUB: a PUB that also receives subscriptions as `0x01|topic` / `0x00|topic`.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::{Sub, XPub};
    /// let xpub = XPub::new()?;
    /// let endpoint = xpub.bind("tcp://127.0.0.1:*")?;
    /// let sub = Sub::new()?;
    /// sub.subscribe("news")?;
    /// sub.connect(&endpoint)?;
    /// assert_eq!(&xpub.recv()?[0][..], b"\x01news");
    /// # Ok(()) }
    /// ```
    XPub = SocketType::XPub; sender, receiver
);
socket_type!(
    /// XSUB: a SUB whose subscriptions can also be sent as `0x01|topic` messages;
    /// no local filter.
    XSub = SocketType::XSub; sender, receiver, subscriber
);
socket_type!(
    /// REQ: sends a request, then receives its reply, strictly alternating.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::{Rep, Req};
    /// let rep = Rep::new()?;
    /// let endpoint = rep.bind("tcp://127.0.0.1:*")?;
    /// let req = Req::new()?;
    /// req.connect(&endpoint)?;
    /// req.send("2+2")?;
    /// assert_eq!(&rep.recv()?[0][..], b"2+2");
    /// rep.send("4")?;
    /// assert_eq!(&req.recv()?[0][..], b"4");
    /// # Ok(()) }
    /// ```
    Req = SocketType::Req; sender, receiver
);
socket_type!(
    /// REP: receives a request, then sends its reply, strictly alternating (see
    /// [`Req`] for an example).
    Rep = SocketType::Rep; sender, receiver
);
socket_type!(
    /// DEALER: load-balances requests, fair-queues replies; no envelope handling.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::{Dealer, Router};
    /// let router = Router::new()?;
    /// let endpoint = router.bind("tcp://127.0.0.1:*")?;
    /// let dealer = Dealer::new()?;
    /// dealer.connect(&endpoint)?;
    /// dealer.send("job")?;
    /// let m = router.recv()?; // [peer id, "job"]
    /// assert_eq!(&m[1][..], b"job");
    /// let mut reply = zocket::Message::single(m[0].clone());
    /// reply.push_back("done");
    /// router.send(reply)?;
    /// assert_eq!(&dealer.recv()?[0][..], b"done");
    /// # Ok(()) }
    /// ```
    Dealer = SocketType::Dealer; sender, receiver
);
socket_type!(
    /// ROUTER: prefixes each received message with its peer's routing id, and routes
    /// each sent message by its first frame (see [`Dealer`] for an example).
    Router = SocketType::Router; sender, receiver
);
socket_type!(
    /// PUSH: load-balances messages over its pullers; blocks when none has room.
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::{Pull, Push};
    /// let pull = Pull::new()?;
    /// let endpoint = pull.bind("tcp://127.0.0.1:*")?;
    /// let push = Push::new()?;
    /// push.connect(&endpoint)?;
    /// for i in 0..3 {
    ///     push.send(format!("task {i}"))?;
    /// }
    /// push.close()?; // lingers until all three are written
    /// for i in 0..3 {
    ///     assert_eq!(pull.recv()?[0], format!("task {i}").as_bytes());
    /// }
    /// # Ok(()) }
    /// ```
    Push = SocketType::Push; sender
);
socket_type!(
    /// PULL: fair-queues messages from its pushers (see [`Push`] for an example).
    Pull = SocketType::Pull; receiver
);

mod radio_dish;
pub use radio_dish::{Dgram, Dish, Radio};
mod draft;
pub use draft::{Channel, Client, Gather, Peer, Scatter, Server};
