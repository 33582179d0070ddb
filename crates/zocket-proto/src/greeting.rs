//! The 64-byte ZMTP 3.x greeting (RFC 23/37 §Greeting) and version negotiation.
//!
//! Layout, as libzmq 4.3 sends it:
//!
//! | Offset | Length | Content |
//! |---|---|---|
//! | 0 | 1 | `0xFF` (signature start) |
//! | 1..=8 | 8 | padding; libzmq writes `len(routing id) + 1` as a u64 BE, so not validated |
//! | 9 | 1 | `0x7F` (signature end; only its low bit is checked) |
//! | 10, 11 | 2 | version major, minor |
//! | 12..32 | 20 | mechanism name, NUL-padded on the right |
//! | 32 | 1 | as-server (libzmq always sends 0 and ignores it) |
//! | 33..64 | 31 | filler, zero (not validated) |
//!
//! [`GreetingDecoder`] takes the peer's greeting in any chunking and fails on the
//! first byte that shows the peer cannot speak ZMTP 3.x, without waiting for the rest.

use std::fmt;

use crate::ProtocolError;
use crate::mechanism::Mechanism;

/// Length of a ZMTP 3.x greeting, in bytes.
pub const GREETING_LEN: usize = 64;

/// Offsets of the greeting fields.
const SIG_START: usize = 0;
const SIG_END: usize = 9;
const MAJOR: usize = 10;
const MINOR: usize = 11;
const MECHANISM: usize = 12;
const MECHANISM_END: usize = MECHANISM + 20;
const AS_SERVER: usize = 32;

/// A ZMTP protocol version, as carried in bytes 10 and 11 of the greeting.
///
/// Versions order by major, then minor.
///
/// ```
/// use zocket_proto::Version;
/// assert!(Version::V3_0 < Version::V3_1);
/// assert_eq!(Version::V3_1.to_string(), "3.1");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version (3 for every version this core speaks).
    pub major: u8,
    /// Minor version.
    pub minor: u8,
}

impl Version {
    /// ZMTP 3.0 (RFC 23): no PING/PONG, subscriptions as data messages.
    pub const V3_0: Version = Version { major: 3, minor: 0 };
    /// ZMTP 3.1 (RFC 37): adds SUBSCRIBE/CANCEL, PING/PONG and JOIN/LEAVE commands.
    /// This is the version we announce.
    pub const V3_1: Version = Version { major: 3, minor: 1 };
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The version both sides of a connection speak: the lower of the two.
///
/// A ZMTP 3.0 peer puts a 3.1 side into 3.0 mode; a peer announcing 3.1 or anything
/// higher (even a future major version) is spoken to in our own version.
///
/// ```
/// use zocket_proto::Version;
/// use zocket_proto::greeting::negotiated;
/// assert_eq!(negotiated(Version::V3_1, Version::V3_0), Version::V3_0);
/// assert_eq!(negotiated(Version::V3_1, Version { major: 4, minor: 0 }), Version::V3_1);
/// ```
pub fn negotiated(ours: Version, theirs: Version) -> Version {
    ours.min(theirs)
}

/// A ZMTP 3.x greeting.
///
/// ```
/// use zocket_proto::{Greeting, Mechanism, Version};
/// let g = Greeting::new(Mechanism::Null, false);
/// let bytes = g.encode();
/// assert_eq!(&bytes[..12], b"\xff\0\0\0\0\0\0\0\x01\x7f\x03\x01");
/// let back = Greeting::parse(&bytes).unwrap();
/// assert_eq!(back, g);
/// assert_eq!(back.mechanism_name(), b"NULL");
/// assert_eq!(back.version, Version::V3_1);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Greeting {
    /// The announced protocol version.
    pub version: Version,
    /// The mechanism field: an ASCII name, NUL-padded on the right.
    pub mechanism: [u8; 20],
    /// The as-server flag. libzmq always sends `false` and ignores the value it
    /// receives, so a receiver should not act on it.
    pub as_server: bool,
}

impl Greeting {
    /// Our greeting: version 3.1, the given mechanism, and the as-server flag (send
    /// `true` only as a PLAIN or CURVE server; NULL requires `false`).
    pub fn new(mechanism: Mechanism, as_server: bool) -> Greeting {
        Greeting {
            version: Version::V3_1,
            mechanism: mechanism.greeting_field(),
            as_server,
        }
    }

    /// The 64 bytes on the wire.
    ///
    /// The padding (bytes 1 to 8) holds the u64 big-endian value 1, which is what
    /// libzmq sends when no routing id is set; the filler is zero.
    pub fn encode(&self) -> [u8; GREETING_LEN] {
        let mut out = [0u8; GREETING_LEN];
        out[SIG_START] = 0xFF;
        out[1..SIG_END].copy_from_slice(&1u64.to_be_bytes());
        out[SIG_END] = 0x7F;
        out[MAJOR] = self.version.major;
        out[MINOR] = self.version.minor;
        out[MECHANISM..MECHANISM_END].copy_from_slice(&self.mechanism);
        out[AS_SERVER] = u8::from(self.as_server);
        out
    }

    /// The mechanism name with the NUL padding on the right removed (`b"NULL"`).
    pub fn mechanism_name(&self) -> &[u8] {
        let end = self
            .mechanism
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i + 1);
        &self.mechanism[..end]
    }

    /// Parses a complete greeting.
    ///
    /// Checks exactly what [`GreetingDecoder`] checks: byte 0 is `0xFF`, byte 9 has
    /// its low bit set ([`ProtocolError::BadSignature`] otherwise), and the major
    /// version is at least 3 ([`ProtocolError::UnsupportedVersion`], with the minor
    /// version filled in). Padding, as-server value and filler are not validated.
    pub fn parse(bytes: &[u8; GREETING_LEN]) -> Result<Greeting, ProtocolError> {
        let mut decoder = GreetingDecoder::new();
        match decoder.feed(bytes) {
            Ok((_, Some(greeting))) => Ok(greeting),
            Ok((_, None)) => unreachable!("a decoder fed 64 bytes completes the greeting"),
            Err(ProtocolError::UnsupportedVersion { major, .. }) => {
                Err(ProtocolError::UnsupportedVersion {
                    major,
                    minor: bytes[MINOR],
                })
            }
            Err(e) => Err(e),
        }
    }
}

/// Incremental decoder of the peer's greeting.
///
/// Feed it whatever arrived; it consumes no byte past the end of the greeting (what
/// follows is the first frame) and reports an error on the very byte that reveals
/// it: byte 0, byte 9 or byte 10. Only the significant fields are kept, so the
/// decoder is small and never allocates.
///
/// ```
/// use zocket_proto::{Greeting, GreetingDecoder, Mechanism};
/// let mut wire = Greeting::new(Mechanism::Null, false).encode().to_vec();
/// wire.extend_from_slice(b"\x04\x06"); // start of the first frame
/// let mut dec = GreetingDecoder::new();
/// assert_eq!(dec.feed(&wire[..40]).unwrap(), (40, None));
/// let (used, greeting) = dec.feed(&wire[40..]).unwrap();
/// assert_eq!(used, 24);
/// assert_eq!(greeting.unwrap().mechanism_name(), b"NULL");
/// ```
#[derive(Debug, Clone, Default)]
pub struct GreetingDecoder {
    /// Bytes of the greeting seen so far (including an offending byte).
    received: usize,
    major: u8,
    minor: u8,
    mechanism: [u8; 20],
    as_server: bool,
    /// Set on the first error; every later call reports it again.
    error: Option<ProtocolError>,
}

impl GreetingDecoder {
    /// A decoder waiting for byte 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Consumes greeting bytes from the front of `input`.
    ///
    /// Returns how many bytes were consumed (never more than `input.len()` and never
    /// past the 64th greeting byte) and, on the call that completes it, the greeting.
    /// Once the greeting has been returned, further calls consume nothing and return
    /// `None`.
    ///
    /// Errors as soon as the offending byte is seen: [`ProtocolError::BadSignature`]
    /// if byte 0 is not `0xFF` or byte 9 lacks its low bit (an unversioned ZMTP 1.0
    /// peer), [`ProtocolError::UnsupportedVersion`] (with `minor: 0`) if the major
    /// version in byte 10 is below 3. After an error every call returns the same
    /// error and consumes nothing.
    pub fn feed(&mut self, input: &[u8]) -> Result<(usize, Option<Greeting>), ProtocolError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if self.received == GREETING_LEN {
            return Ok((0, None));
        }
        let take = input.len().min(GREETING_LEN - self.received);
        for &byte in &input[..take] {
            let pos = self.received;
            self.received += 1;
            if let Err(e) = self.accept(pos, byte) {
                self.error = Some(e.clone());
                return Err(e);
            }
        }
        if self.received < GREETING_LEN {
            return Ok((take, None));
        }
        let greeting = Greeting {
            version: Version {
                major: self.major,
                minor: self.minor,
            },
            mechanism: self.mechanism,
            as_server: self.as_server,
        };
        Ok((take, Some(greeting)))
    }

    /// Number of greeting bytes received so far (0 to 64). After an error, this
    /// counts the offending byte.
    pub fn bytes_received(&self) -> usize {
        self.received
    }

    /// Takes in the greeting byte at offset `pos`.
    fn accept(&mut self, pos: usize, byte: u8) -> Result<(), ProtocolError> {
        match pos {
            SIG_START if byte != 0xFF => return Err(ProtocolError::BadSignature),
            SIG_END if byte & 0x01 == 0 => return Err(ProtocolError::BadSignature),
            MAJOR if byte < 3 => {
                return Err(ProtocolError::UnsupportedVersion {
                    major: byte,
                    minor: 0,
                });
            }
            MAJOR => self.major = byte,
            MINOR => self.minor = byte,
            MECHANISM..MECHANISM_END => self.mechanism[pos - MECHANISM] = byte,
            AS_SERVER => self.as_server = byte != 0,
            // Signature bytes that passed, padding and filler.
            _ => {}
        }
        Ok(())
    }
}
