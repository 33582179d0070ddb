//! Z85, the printable encoding of binary keys (RFC 32): every 4 bytes, read as a
//! big-endian `u32`, become 5 base-85 digits, most significant first.
//!
//! CURVE keys are 32 bytes, or 40 characters of Z85.
//!
//! ```
//! use zocket_proto::z85;
//! let text = z85::encode(&[0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B])?;
//! assert_eq!(text, "HelloWorld");
//! assert_eq!(z85::decode(&text)?, [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
//! # Ok::<(), z85::Z85Error>(())
//! ```

/// The 85 digits, value 0 to 84 in order.
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Marks a byte that is not a Z85 digit in [`DECODE`].
const INVALID: u8 = 0xFF;

/// Digit value of every byte, or [`INVALID`].
const DECODE: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Why Z85 encoding or decoding failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Z85Error {
    /// The binary input's length is not a multiple of 4.
    #[error("binary length {len} is not a multiple of 4")]
    BinaryLength {
        /// The length given.
        len: usize,
    },
    /// The text's length is not a multiple of 5.
    #[error("Z85 text length {len} is not a multiple of 5")]
    TextLength {
        /// The length given.
        len: usize,
    },
    /// The text holds a byte that is not a Z85 digit.
    #[error("invalid Z85 character {:?} at offset {position}", char::from(*byte))]
    InvalidCharacter {
        /// The offending byte (shown as the Latin-1 character it would be).
        byte: u8,
        /// Its offset in the text, from 0.
        position: usize,
    },
    /// A group of 5 digits stands for a value above `u32::MAX` (`"%%%%%"`, …), which
    /// no 4 bytes encode.
    #[error("Z85 group at offset {position} exceeds 32 bits")]
    Overflow {
        /// The offset of the group's first character, from 0.
        position: usize,
    },
}

/// Encodes `data`, whose length must be a multiple of 4 ([`Z85Error::BinaryLength`]
/// otherwise). Empty input gives the empty string.
///
/// ```
/// use zocket_proto::z85::{encode, Z85Error};
/// assert_eq!(encode(&[0, 0, 0, 0]).unwrap(), "00000");
/// assert_eq!(encode(&[1, 2, 3]), Err(Z85Error::BinaryLength { len: 3 }));
/// ```
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if data.len() % 4 != 0 {
        return Err(Z85Error::BinaryLength { len: data.len() });
    }
    let mut text = String::with_capacity(data.len() / 4 * 5);
    for chunk in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let mut digits = [0u8; 5];
        for digit in digits.iter_mut().rev() {
            *digit = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        text.extend(digits.iter().map(|&d| char::from(d)));
    }
    Ok(text)
}

/// Decodes Z85 `text`, whose length must be a multiple of 5
/// ([`Z85Error::TextLength`] otherwise).
///
/// Like libzmq's `zmq_z85_decode`, it rejects any byte outside the alphabet
/// ([`Z85Error::InvalidCharacter`], checked group by group, first offender reported)
/// and any group worth more than `u32::MAX` ([`Z85Error::Overflow`]). Unlike
/// libzmq, which refuses inputs shorter than 5 characters, the empty text decodes to
/// no bytes: RFC 32 only asks for a multiple of 5, and this keeps
/// `decode(encode(b"")) == b""` (libzmq's encoder does produce the empty string).
///
/// ```
/// use zocket_proto::z85::{decode, Z85Error};
/// assert_eq!(decode("HelloWorld").unwrap(), [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B]);
/// assert_eq!(decode(""), Ok(vec![]));
/// assert_eq!(decode("Hello"), Ok(vec![0x86, 0x4F, 0xD2, 0x6F]));
/// assert_eq!(decode("%%%%%"), Err(Z85Error::Overflow { position: 0 }));
/// assert_eq!(decode("Hel~o"), Err(Z85Error::InvalidCharacter { byte: b'~', position: 3 }));
/// ```
pub fn decode(text: impl AsRef<[u8]>) -> Result<Vec<u8>, Z85Error> {
    let text = text.as_ref();
    if text.len() % 5 != 0 {
        return Err(Z85Error::TextLength { len: text.len() });
    }
    let mut data = Vec::with_capacity(text.len() / 5 * 4);
    for (group_index, group) in text.chunks_exact(5).enumerate() {
        let group_start = group_index * 5;
        // 85^5 - 1 fits easily in a u64, so the group is summed without overflow and
        // checked against u32 afterwards.
        let mut value: u64 = 0;
        for (i, &byte) in group.iter().enumerate() {
            let digit = DECODE[usize::from(byte)];
            if digit == INVALID {
                return Err(Z85Error::InvalidCharacter {
                    byte,
                    position: group_start + i,
                });
            }
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Z85Error::Overflow {
            position: group_start,
        })?;
        data.extend_from_slice(&value.to_be_bytes());
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_alphabet() {
        assert_eq!(DECODE.iter().filter(|&&v| v != INVALID).count(), 85);
        for (value, &c) in ALPHABET.iter().enumerate() {
            assert_eq!(usize::from(DECODE[usize::from(c)]), value);
        }
    }

    #[test]
    fn largest_group() {
        // u32::MAX is the largest value a group may hold; one more overflows.
        let text = encode(&[0xFF; 4]).unwrap();
        assert_eq!(text, "%nSc0");
        assert_eq!(decode(&text).unwrap(), [0xFF; 4]);
        assert_eq!(decode("%nSc1"), Err(Z85Error::Overflow { position: 0 }));
    }
}
