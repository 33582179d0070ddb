//! Connection metadata: the properties carried by READY (and by the security
//! handshakes' INITIATE/WELCOME-style commands), RFC 23/37 §Connection Metadata.
//!
//! On the wire a metadata block is a run of properties, each
//! `[name length: u8][name][value length: u32 big-endian][value]`, filling the rest of
//! the command.
//!
//! Parsing follows libzmq (`mechanism_t::parse_metadata`) rather than the letter of
//! the RFC grammar: the structure is checked strictly (a truncated property or a
//! leftover byte is an error) but names are taken as they come, so a zero-length name
//! or a name with characters outside `A-Z a-z 0-9 - _ . +` is accepted, as libzmq
//! accepts it. Building metadata locally with [`Metadata::insert`] enforces the RFC
//! grammar, so we never send what a strict peer could reject.

use std::iter::FusedIterator;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::{ProtocolError, UsageError};

/// Largest property name, in bytes (its length travels in one octet).
pub const MAX_NAME_LEN: usize = 255;
/// Largest property value, in bytes: the RFC limits values to `0..2^31-1` octets.
pub const MAX_VALUE_LEN: usize = (1 << 31) - 1;

/// Octets taken by a property besides its name and value: the name length octet and
/// the 4-octet value length.
const PROPERTY_OVERHEAD: usize = 1 + 4;

/// An ordered list of metadata properties (name, value).
///
/// Names are compared exactly and case-sensitively, as libzmq does (the RFC says
/// names are case-insensitive, but libzmq matches `"Socket-Type"` and `"Identity"`
/// byte for byte). Values are arbitrary bytes.
///
/// ```
/// use zocket_proto::Metadata;
/// let mut md = Metadata::new();
/// md.insert("Socket-Type", "DEALER")?;
/// md.insert("Identity", "")?;
/// assert_eq!(md.get("Socket-Type").map(|v| &v[..]), Some(&b"DEALER"[..]));
/// assert_eq!(md.get("socket-type"), None);
/// assert_eq!(md.encoded_len(), 35);
/// # Ok::<(), zocket_proto::UsageError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    properties: Vec<(Bytes, Bytes)>,
}

impl Metadata {
    /// Empty metadata.
    pub fn new() -> Self {
        Metadata {
            properties: Vec::new(),
        }
    }

    /// Adds a property, or replaces the value of the first property whose name is
    /// exactly `name` (keeping its position).
    ///
    /// The name must be 1 to 255 bytes of `A-Z a-z 0-9 - _ . +`
    /// ([`UsageError::InvalidPropertyName`] otherwise) and the value shorter than
    /// 2^31 bytes ([`UsageError::PropertyValueTooLong`] otherwise). On error the
    /// metadata is unchanged.
    ///
    /// ```
    /// use zocket_proto::{Metadata, UsageError};
    /// let mut md = Metadata::new();
    /// md.insert("X-Colour", "red")?;
    /// md.insert("X-Size", "L")?;
    /// md.insert("X-Colour", "blue")?;
    /// let names: Vec<_> = md.iter().map(|(n, _)| n.clone()).collect();
    /// assert_eq!(names, ["X-Colour", "X-Size"]);
    /// assert!(matches!(md.insert("X Colour", "x"), Err(UsageError::InvalidPropertyName { .. })));
    /// # Ok::<(), UsageError>(())
    /// ```
    pub fn insert(
        &mut self,
        name: impl Into<Bytes>,
        value: impl Into<Bytes>,
    ) -> Result<(), UsageError> {
        let name = name.into();
        let value = value.into();
        if !is_valid_name(&name) {
            return Err(UsageError::InvalidPropertyName {
                name: String::from_utf8_lossy(&name).into_owned(),
            });
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(UsageError::PropertyValueTooLong { len: value.len() });
        }
        match self.properties.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v = value,
            None => self.properties.push((name, value)),
        }
        Ok(())
    }

    /// The value of the first property named exactly `name` (case-sensitive).
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.properties
            .iter()
            .find(|(n, _)| n[..] == *name.as_bytes())
            .map(|(_, v)| v)
    }

    /// The properties in order, as `(name, value)` pairs.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            inner: self.properties.iter(),
        }
    }

    /// The number of properties (duplicates from a parsed block included).
    pub fn len(&self) -> usize {
        self.properties.len()
    }

    /// Whether there are no properties.
    pub fn is_empty(&self) -> bool {
        self.properties.is_empty()
    }

    /// The number of bytes [`encode`](Self::encode) appends.
    pub fn encoded_len(&self) -> usize {
        self.properties
            .iter()
            .map(|(n, v)| PROPERTY_OVERHEAD + n.len() + v.len())
            .sum()
    }

    /// Appends the wire form of every property, in order:
    /// `[u8 name length][name][u32 BE value length][value]`.
    ///
    /// ```
    /// use bytes::BytesMut;
    /// let mut md = zocket_proto::Metadata::new();
    /// md.insert("A", "xy")?;
    /// let mut out = BytesMut::new();
    /// md.encode(&mut out);
    /// assert_eq!(&out[..], b"\x01A\x00\x00\x00\x02xy");
    /// # Ok::<(), zocket_proto::UsageError>(())
    /// ```
    pub fn encode(&self, out: &mut BytesMut) {
        out.reserve(self.encoded_len());
        for (name, value) in &self.properties {
            // Both fit: `insert` bounds them, and `parse` only yields a name of at
            // most 255 bytes and a value whose length came from a u32.
            out.put_u8(name.len() as u8);
            out.extend_from_slice(name);
            out.put_u32(value.len() as u32);
            out.extend_from_slice(value);
        }
    }

    /// Parses a metadata block that fills all of `data` (for READY, the command body
    /// after the name). Names and values are zero-copy slices of `data`.
    ///
    /// A property whose name or value runs past the end, or a partial property at the
    /// end, is [`ProtocolError::InvalidMetadata`]. Declared lengths are only compared
    /// with the bytes present; nothing is allocated from them. Duplicate names are
    /// kept in order ([`get`](Self::get) returns the first, as libzmq keeps the
    /// first). As in libzmq, names are not checked against the RFC's character set,
    /// and a zero-length name is accepted.
    ///
    /// ```
    /// use bytes::Bytes;
    /// use zocket_proto::{Metadata, ProtocolError};
    /// let md = Metadata::parse(Bytes::from_static(b"\x01A\x00\x00\x00\x02xy"))?;
    /// assert_eq!(md.get("A").map(|v| &v[..]), Some(&b"xy"[..]));
    /// let err = Metadata::parse(Bytes::from_static(b"\x01A\x00\x00\x00\x03xy"));
    /// assert!(matches!(err, Err(ProtocolError::InvalidMetadata { .. })));
    /// # Ok::<(), ProtocolError>(())
    /// ```
    pub fn parse(data: Bytes) -> Result<Metadata, ProtocolError> {
        let mut properties = Vec::new();
        let mut rest = &data[..];
        while let Some((&name_len, after_len)) = rest.split_first() {
            let name_len = usize::from(name_len);
            if after_len.len() < name_len {
                return Err(invalid("property name runs past the end"));
            }
            let name_start = data.len() - after_len.len();
            let mut after_name = &after_len[name_len..];
            if after_name.len() < 4 {
                return Err(invalid("property value length is truncated"));
            }
            let value_len = after_name.get_u32();
            let value_start = data.len() - after_name.len();
            // Compare in u64 so that no declared length is trusted as a usize.
            if u64::from(value_len) > after_name.len() as u64 {
                return Err(invalid("property value runs past the end"));
            }
            let value_len = value_len as usize;
            properties.push((
                data.slice(name_start..name_start + name_len),
                data.slice(value_start..value_start + value_len),
            ));
            rest = &after_name[value_len..];
        }
        Ok(Metadata { properties })
    }
}

impl<'a> IntoIterator for &'a Metadata {
    type Item = (&'a Bytes, &'a Bytes);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over the `(name, value)` pairs of a [`Metadata`], in order.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    inner: std::slice::Iter<'a, (Bytes, Bytes)>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Bytes, &'a Bytes);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|(n, v)| (n, v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|(n, v)| (n, v))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl FusedIterator for Iter<'_> {}

/// Whether `name` follows the RFC grammar: 1 to 255 of `ALPHA DIGIT - _ . +`.
fn is_valid_name(name: &[u8]) -> bool {
    (1..=MAX_NAME_LEN).contains(&name.len())
        && name
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'+'))
}

fn invalid(reason: &'static str) -> ProtocolError {
    ProtocolError::InvalidMetadata { reason }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_grammar() {
        assert!(is_valid_name(b"Socket-Type"));
        assert!(is_valid_name(b"a.b_c+d-9"));
        assert!(is_valid_name(&[b'x'; 255]));
        assert!(!is_valid_name(b""));
        assert!(!is_valid_name(&[b'x'; 256]));
        assert!(!is_valid_name(b"a b"));
        assert!(!is_valid_name(b"a:b"));
        assert!(!is_valid_name("é".as_bytes()));
    }
}
