//! Security mechanisms: the handshake that follows the greeting.
//!
//! Only NULL is implemented so far; PLAIN and CURVE are named so that a peer using
//! them gets a clear [`MechanismMismatch`](crate::ProtocolError::MechanismMismatch).

pub mod null;

/// A ZMTP security mechanism, as named in the greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Mechanism {
    /// No security (RFC 23 §The NULL Security Mechanism).
    #[default]
    Null,
    /// Clear-text user name and password (RFC 24).
    Plain,
    /// CurveZMQ encryption and authentication (RFC 25/26).
    Curve,
}

impl Mechanism {
    /// The name as written in the greeting (before NUL padding).
    pub const fn name(self) -> &'static str {
        match self {
            Mechanism::Null => "NULL",
            Mechanism::Plain => "PLAIN",
            Mechanism::Curve => "CURVE",
        }
    }

    /// The 20-octet, NUL-padded mechanism field of the greeting.
    pub fn greeting_field(self) -> [u8; 20] {
        let mut field = [0u8; 20];
        let name = self.name().as_bytes();
        field[..name.len()].copy_from_slice(name);
        field
    }

    /// The mechanism whose greeting field is exactly `field`, if any.
    pub fn from_greeting_field(field: &[u8; 20]) -> Option<Mechanism> {
        [Mechanism::Null, Mechanism::Plain, Mechanism::Curve]
            .into_iter()
            .find(|m| &m.greeting_field() == field)
    }
}
