//! ZeroMQ socket types, their wire names and the compatibility matrix (RFC 37
//! §The Socket-Type Property; libzmq `mechanism.cpp check_socket_type`).

use std::fmt;

/// A ZeroMQ socket type, as announced in the `Socket-Type` metadata property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Exclusive pair.
    Pair,
    /// Publisher.
    Pub,
    /// Subscriber.
    Sub,
    /// Requester (strict send/receive alternation).
    Req,
    /// Replier (strict receive/send alternation).
    Rep,
    /// Asynchronous requester.
    Dealer,
    /// Asynchronous replier addressing peers by routing id.
    Router,
    /// Pipeline receiver.
    Pull,
    /// Pipeline sender.
    Push,
    /// Publisher that also receives subscriptions.
    XPub,
    /// Subscriber that sends subscriptions as messages.
    XSub,
    /// Raw TCP (no ZMTP on the wire).
    Stream,
    /// Client-server: server side (draft).
    Server,
    /// Client-server: client side (draft).
    Client,
    /// Radio-dish: sender of grouped messages (draft).
    Radio,
    /// Radio-dish: receiver of joined groups (draft).
    Dish,
    /// Scatter-gather: receiver (draft).
    Gather,
    /// Scatter-gather: sender (draft).
    Scatter,
    /// Address-routed datagrams over UDP (draft).
    Dgram,
    /// Peer-to-peer (draft).
    Peer,
    /// Thread-safe exclusive pair (draft).
    Channel,
}

impl SocketType {
    /// Every socket type, in libzmq's numeric order.
    pub const ALL: [SocketType; 21] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Stream,
        SocketType::Server,
        SocketType::Client,
        SocketType::Radio,
        SocketType::Dish,
        SocketType::Gather,
        SocketType::Scatter,
        SocketType::Dgram,
        SocketType::Peer,
        SocketType::Channel,
    ];

    /// The name sent in the `Socket-Type` property, upper case as libzmq spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Stream => "STREAM",
            SocketType::Server => "SERVER",
            SocketType::Client => "CLIENT",
            SocketType::Radio => "RADIO",
            SocketType::Dish => "DISH",
            SocketType::Gather => "GATHER",
            SocketType::Scatter => "SCATTER",
            SocketType::Dgram => "DGRAM",
            SocketType::Peer => "PEER",
            SocketType::Channel => "CHANNEL",
        }
    }

    /// libzmq's numeric constant (`ZMQ_PAIR` = 0 … `ZMQ_CHANNEL` = 20).
    pub const fn zmq_id(self) -> u8 {
        match self {
            SocketType::Pair => 0,
            SocketType::Pub => 1,
            SocketType::Sub => 2,
            SocketType::Req => 3,
            SocketType::Rep => 4,
            SocketType::Dealer => 5,
            SocketType::Router => 6,
            SocketType::Pull => 7,
            SocketType::Push => 8,
            SocketType::XPub => 9,
            SocketType::XSub => 10,
            SocketType::Stream => 11,
            SocketType::Server => 12,
            SocketType::Client => 13,
            SocketType::Radio => 14,
            SocketType::Dish => 15,
            SocketType::Gather => 16,
            SocketType::Scatter => 17,
            SocketType::Dgram => 18,
            SocketType::Peer => 19,
            SocketType::Channel => 20,
        }
    }

    /// Parses a wire name. The comparison is exact (case-sensitive), as libzmq does it.
    pub fn from_wire_name(name: &[u8]) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| t.as_str().as_bytes() == name)
    }

    /// Parses a name written by a person: case-insensitive (`"rep"`, `"Rep"`).
    pub fn from_name_ignore_case(name: &str) -> Option<SocketType> {
        SocketType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(name))
    }

    /// Whether a peer of type `peer` may talk to a socket of this type (the matrix
    /// is symmetric). STREAM is compatible with nothing: it speaks no ZMTP.
    pub const fn is_compatible_with(self, peer: SocketType) -> bool {
        use SocketType::*;
        matches!(
            (self, peer),
            (Req, Rep | Router)
                | (Rep, Req | Dealer)
                | (Dealer, Rep | Dealer | Router)
                | (Router, Req | Dealer | Router)
                | (Pub | XPub, Sub | XSub)
                | (Sub | XSub, Pub | XPub)
                | (Push, Pull)
                | (Pull, Push)
                | (Pair, Pair)
                | (Client, Server)
                | (Server, Client)
                | (Radio, Dish)
                | (Dish, Radio)
                | (Scatter, Gather)
                | (Gather, Scatter)
                | (Peer, Peer)
                | (Channel, Channel)
                | (Dgram, Dgram)
        )
    }

    /// Whether libzmq sends the `Identity` property for this type (REQ, DEALER, ROUTER).
    pub const fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Req | SocketType::Dealer | SocketType::Router
        )
    }

    /// Whether this type publishes and therefore receives subscriptions (PUB, XPUB).
    pub const fn receives_subscriptions(self) -> bool {
        matches!(self, SocketType::Pub | SocketType::XPub)
    }

    /// Whether this is one of the thread-safe draft types that carry single-frame
    /// messages only (RFC 37 §Thread-Safe Socket Types).
    pub const fn is_single_frame(self) -> bool {
        matches!(
            self,
            SocketType::Server
                | SocketType::Client
                | SocketType::Radio
                | SocketType::Dish
                | SocketType::Gather
                | SocketType::Scatter
                | SocketType::Peer
                | SocketType::Channel
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_is_symmetric() {
        for a in SocketType::ALL {
            for b in SocketType::ALL {
                assert_eq!(a.is_compatible_with(b), b.is_compatible_with(a), "{a} {b}");
            }
        }
    }

    #[test]
    fn wire_names_round_trip_and_are_case_sensitive() {
        for t in SocketType::ALL {
            assert_eq!(SocketType::from_wire_name(t.as_str().as_bytes()), Some(t));
            assert_eq!(
                SocketType::from_name_ignore_case(&t.as_str().to_lowercase()),
                Some(t)
            );
        }
        assert_eq!(SocketType::from_wire_name(b"dealer"), None);
    }

    #[test]
    fn zmq_ids_are_in_order() {
        for (i, t) in SocketType::ALL.into_iter().enumerate() {
            assert_eq!(usize::from(t.zmq_id()), i);
        }
    }

    #[test]
    fn stream_talks_to_nobody() {
        assert!(
            SocketType::ALL
                .iter()
                .all(|t| !SocketType::Stream.is_compatible_with(*t))
        );
    }
}
