//! The frame encoder.

use bytes::{BufMut, BytesMut};

use super::{FLAG_COMMAND, FLAG_LONG, FLAG_MORE, MAX_SHORT_BODY};

/// Number of header octets (flags + size) for a body of `len` bytes: 2 or 9.
pub const fn header_len(len: usize) -> usize {
    if len > MAX_SHORT_BODY { 9 } else { 2 }
}

/// Appends a frame header for a body of `len` bytes: the short form when
/// `len <= 255`, the long form otherwise (as libzmq's encoder does).
pub fn encode_header(more: bool, command: bool, len: usize, out: &mut BytesMut) {
    let mut flags = 0;
    if more {
        flags |= FLAG_MORE;
    }
    if command {
        flags |= FLAG_COMMAND;
    }
    if len > MAX_SHORT_BODY {
        out.reserve(9);
        out.put_u8(flags | FLAG_LONG);
        out.put_u64(len as u64);
    } else {
        out.reserve(2);
        out.put_u8(flags);
        out.put_u8(len as u8);
    }
}

/// Appends a whole frame (header and body).
pub fn encode_frame(more: bool, command: bool, body: &[u8], out: &mut BytesMut) {
    out.reserve(header_len(body.len()) + body.len());
    encode_header(more, command, body.len(), out);
    out.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_forms() {
        let mut out = BytesMut::new();
        encode_frame(true, false, b"ab", &mut out);
        assert_eq!(&out[..], b"\x01\x02ab");
        out.clear();
        encode_header(false, true, 255, &mut out);
        assert_eq!(&out[..], b"\x04\xff");
        out.clear();
        encode_header(false, false, 256, &mut out);
        assert_eq!(&out[..], b"\x02\0\0\0\0\0\0\x01\x00");
        assert_eq!(header_len(255), 2);
        assert_eq!(header_len(256), 9);
    }
}
