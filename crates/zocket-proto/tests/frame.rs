//! Tests of ZMTP 3.x framing: the decoder against byte-exact vectors, hostile sizes
//! and arbitrary chunkings of encoded frames.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use zocket_proto::frame::{Frame, FrameDecoder, encode_frame};
use zocket_proto::{Limits, ProtocolError};

fn frame(more: bool, command: bool, body: &[u8]) -> Frame {
    Frame {
        more,
        command,
        body: Bytes::copy_from_slice(body),
    }
}

/// Decodes `wire` given whole: every frame, and checks the buffer is drained.
fn decode_whole(limits: Limits, wire: &[u8]) -> Result<Vec<Frame>, ProtocolError> {
    let mut dec = FrameDecoder::new(limits);
    let mut buf = BytesMut::from(wire);
    let mut out = Vec::new();
    while let Some(f) = dec.decode(&mut buf)? {
        out.push(f);
    }
    assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
    Ok(out)
}

/// Decodes `wire` pushed one byte at a time, calling `decode` until it returns
/// `None` after every byte.
fn decode_bytewise(limits: Limits, wire: &[u8]) -> Result<Vec<Frame>, ProtocolError> {
    let mut dec = FrameDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for &b in wire {
        buf.extend_from_slice(&[b]);
        while let Some(f) = dec.decode(&mut buf)? {
            out.push(f);
        }
    }
    assert!(buf.is_empty(), "{} bytes left undecoded", buf.len());
    Ok(out)
}

/// Checks that `wire` decodes to `expected` whole and byte by byte.
fn check(wire: &[u8], expected: &[Frame]) {
    assert_eq!(
        decode_whole(Limits::default(), wire).unwrap(),
        expected,
        "whole"
    );
    assert_eq!(
        decode_bytewise(Limits::default(), wire).unwrap(),
        expected,
        "bytewise"
    );
}

#[test]
fn short_form() {
    check(b"\x00\x05hello", &[frame(false, false, b"hello")]);
    check(b"\x01\x03abc", &[frame(true, false, b"abc")]);
    check(b"\x04\x06\x05READY", &[frame(false, true, b"\x05READY")]);
    let body = [0x5Au8; 255];
    let mut wire = vec![0x00, 0xFF];
    wire.extend_from_slice(&body);
    check(&wire, &[frame(false, false, &body)]);
}

#[test]
fn long_form() {
    let body: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
    for (flags, more, command) in [
        (0x02, false, false),
        (0x03, true, false),
        (0x06, false, true),
    ] {
        let mut wire = vec![flags, 0, 0, 0, 0, 0, 0, 0x01, 0x2C];
        wire.extend_from_slice(&body);
        check(&wire, &[frame(more, command, &body)]);
    }
}

#[test]
fn empty_frames() {
    check(b"\x00\x00", &[frame(false, false, b"")]);
    check(
        b"\x01\x00\x00\x00",
        &[frame(true, false, b""), frame(false, false, b"")],
    );
    check(b"\x02\0\0\0\0\0\0\0\0", &[frame(false, false, b"")]);
    check(b"\x04\x00", &[frame(false, true, b"")]);
}

#[test]
fn long_form_for_small_size_is_accepted() {
    check(b"\x02\0\0\0\0\0\0\0\x02hi", &[frame(false, false, b"hi")]);
    check(b"\x03\0\0\0\0\0\0\0\x01x", &[frame(true, false, b"x")]);
    check(
        b"\x06\0\0\0\0\0\0\0\x05\x04PING",
        &[frame(false, true, b"\x04PING")],
    );
}

#[test]
fn reserved_flag_bits_are_ignored() {
    check(b"\xf8\x01a", &[frame(false, false, b"a")]);
    check(b"\x09\x01a", &[frame(true, false, b"a")]);
    check(b"\xfc\x01a", &[frame(false, true, b"a")]);
    check(b"\xfb\0\0\0\0\0\0\0\x01a", &[frame(true, false, b"a")]);
}

#[test]
fn more_on_command_is_ignored() {
    check(b"\x05\x02\x01X", &[frame(false, true, b"\x01X")]);
    check(
        b"\x07\0\0\0\0\0\0\0\x02\x01X",
        &[frame(false, true, b"\x01X")],
    );
}

#[test]
fn several_frames_in_one_buffer() {
    let wire = b"\x04\x06\x05READY\x01\x00\x01\x03abc\x02\0\0\0\0\0\0\0\x01z\x00\x00";
    check(
        wire,
        &[
            frame(false, true, b"\x05READY"),
            frame(true, false, b""),
            frame(true, false, b"abc"),
            frame(false, false, b"z"),
            frame(false, false, b""),
        ],
    );
    // decode takes exactly one frame per call.
    let mut dec = FrameDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&wire[..]);
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(frame(false, true, b"\x05READY"))
    );
    assert_eq!(buf.len(), wire.len() - 8);
}

#[test]
fn header_is_consumed_before_the_body_arrives() {
    let mut dec = FrameDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"\x01\x05he"[..]);
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(&buf[..], b"he");
    assert_eq!(dec.needed(), 3);
    buf.extend_from_slice(b"llo\x00");
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(frame(true, false, b"hello"))
    );
    assert_eq!(&buf[..], b"\x00");
}

#[test]
fn needed_hints() {
    let mut dec = FrameDecoder::new(Limits::default());
    let mut buf = BytesMut::new();
    assert_eq!(dec.needed(), 2);
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(dec.needed(), 2);
    buf.extend_from_slice(b"\x00");
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(dec.needed(), 1);
    buf.clear();
    buf.extend_from_slice(b"\x02\0\0");
    let mut dec = FrameDecoder::new(Limits::default());
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(dec.needed(), 6);
    buf.extend_from_slice(b"\0\0\0\0\x01\0");
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
    assert_eq!(dec.needed(), 256);
    buf.extend_from_slice(&[7u8; 255]);
    assert_eq!(dec.decode(&mut buf).unwrap(), None);
    assert_eq!(dec.needed(), 1);
    buf.extend_from_slice(&[7u8]);
    assert_eq!(
        dec.decode(&mut buf).unwrap(),
        Some(frame(false, false, &[7u8; 256]))
    );
    assert_eq!(dec.needed(), 2);
}

#[test]
fn limits_accessor() {
    let limits = Limits::default()
        .with_max_frame_size(Some(10))
        .with_max_command_size(20);
    assert_eq!(*FrameDecoder::new(limits).limits(), limits);
}

/// A long header (data frame unless `command`) declaring `size`.
fn long_header(command: bool, size: u64) -> Vec<u8> {
    let mut v = vec![if command { 0x06 } else { 0x02 }];
    v.extend_from_slice(&size.to_be_bytes());
    v
}

/// Feeds `header` byte by byte to a fresh decoder: every byte but the last must give
/// `None`, the last must give the error. Then checks the buffer did not grow and the
/// decoder stays poisoned.
fn check_rejected_at_header(limits: Limits, header: &[u8], expected: ProtocolError) {
    let mut dec = FrameDecoder::new(limits);
    let mut buf = BytesMut::with_capacity(16);
    for &b in &header[..header.len() - 1] {
        buf.extend_from_slice(&[b]);
        assert_eq!(dec.decode(&mut buf), Ok(None));
    }
    buf.extend_from_slice(&header[header.len() - 1..]);
    assert_eq!(dec.decode(&mut buf), Err(expected.clone()));
    assert!(buf.capacity() <= 64, "buffer grew to {}", buf.capacity());
    // Poisoned: even a valid frame now gets the same error.
    buf.extend_from_slice(b"\x00\x00");
    assert_eq!(dec.decode(&mut buf), Err(expected.clone()));
    assert_eq!(dec.decode(&mut BytesMut::new()), Err(expected));
    assert_eq!(dec.needed(), 1);
}

#[test]
fn size_2_pow_63_is_rejected_without_allocation() {
    let size = 1u64 << 63;
    let err = ProtocolError::FrameTooLarge {
        size,
        limit: i64::MAX as u64,
    };
    check_rejected_at_header(Limits::default(), &long_header(false, size), err);
    let err = ProtocolError::CommandTooLarge {
        size,
        limit: i64::MAX as u64,
    };
    check_rejected_at_header(
        Limits::default().with_max_command_size(u64::MAX),
        &long_header(true, size),
        err,
    );
}

#[test]
fn size_2_pow_64_minus_1_is_rejected() {
    let err = ProtocolError::FrameTooLarge {
        size: u64::MAX,
        limit: i64::MAX as u64,
    };
    check_rejected_at_header(Limits::default(), &long_header(false, u64::MAX), err);
    // A configured limit above the hard one is capped.
    let err = ProtocolError::FrameTooLarge {
        size: u64::MAX,
        limit: i64::MAX as u64,
    };
    check_rejected_at_header(
        Limits::default().with_max_frame_size(Some(u64::MAX)),
        &long_header(false, u64::MAX),
        err,
    );
}

#[test]
fn largest_legal_size_passes_the_header_check() {
    // 2^63 - 1 is within ZMTP's range: the header is accepted and the body awaited
    // (nothing is reserved for it).
    let mut dec = FrameDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&long_header(false, i64::MAX as u64)[..]);
    assert_eq!(dec.decode(&mut buf), Ok(None));
    assert_eq!(dec.needed(), i64::MAX as usize);
    assert!(buf.capacity() <= 64);
}

#[test]
fn max_frame_size_boundary() {
    let limits = Limits::default().with_max_frame_size(Some(300));
    let body = [1u8; 300];
    let mut wire = BytesMut::new();
    encode_frame(false, false, &body, &mut wire);
    assert_eq!(
        decode_whole(limits, &wire).unwrap(),
        [frame(false, false, &body)]
    );
    assert_eq!(
        decode_bytewise(limits, &wire).unwrap(),
        [frame(false, false, &body)]
    );

    let err = ProtocolError::FrameTooLarge {
        size: 301,
        limit: 300,
    };
    check_rejected_at_header(limits, &long_header(false, 301), err.clone());
    let mut wire = BytesMut::new();
    encode_frame(true, false, &[1u8; 301], &mut wire);
    assert_eq!(decode_whole(limits, &wire), Err(err));

    // Short form too, and a limit of zero allows only empty frames.
    let limits = Limits::default().with_max_frame_size(Some(4));
    assert_eq!(
        decode_whole(limits, b"\x00\x04abcd").unwrap(),
        [frame(false, false, b"abcd")]
    );
    check_rejected_at_header(
        limits,
        b"\x01\x05",
        ProtocolError::FrameTooLarge { size: 5, limit: 4 },
    );
    let limits = Limits::default().with_max_frame_size(Some(0));
    assert_eq!(
        decode_whole(limits, b"\x00\x00").unwrap(),
        [frame(false, false, b"")]
    );
    check_rejected_at_header(
        limits,
        b"\x00\x01",
        ProtocolError::FrameTooLarge { size: 1, limit: 0 },
    );
}

#[test]
fn frame_limit_does_not_apply_to_commands_and_vice_versa() {
    let limits = Limits::default()
        .with_max_frame_size(Some(2))
        .with_max_command_size(8);
    assert_eq!(
        decode_whole(limits, b"\x04\x08\x07SUBSCRI").unwrap(),
        [frame(false, true, b"\x07SUBSCRI")]
    );
    let limits = Limits::default()
        .with_max_frame_size(Some(100))
        .with_max_command_size(2);
    assert_eq!(
        decode_whole(limits, b"\x00\x05hello").unwrap(),
        [frame(false, false, b"hello")]
    );
}

#[test]
fn command_over_max_command_size() {
    let limits = Limits::default().with_max_command_size(10);
    assert_eq!(
        decode_whole(limits, b"\x04\x0a\x04PING\0\0abc").unwrap(),
        [frame(false, true, b"\x04PING\0\0abc")]
    );
    let err = ProtocolError::CommandTooLarge {
        size: 11,
        limit: 10,
    };
    check_rejected_at_header(limits, b"\x04\x0b", err.clone());
    check_rejected_at_header(limits, b"\x05\x0b", err.clone());
    check_rejected_at_header(limits, &long_header(true, 11), err);

    // The default command limit is 64 KiB; a data frame of that size is fine.
    let size = Limits::DEFAULT_MAX_COMMAND_SIZE + 1;
    let err = ProtocolError::CommandTooLarge {
        size,
        limit: Limits::DEFAULT_MAX_COMMAND_SIZE,
    };
    check_rejected_at_header(Limits::default(), &long_header(true, size), err);
    let mut dec = FrameDecoder::new(Limits::default());
    assert_eq!(
        dec.decode(&mut BytesMut::from(&long_header(false, size)[..])),
        Ok(None)
    );
}

#[test]
fn error_after_good_frames_in_same_buffer() {
    let limits = Limits::default().with_max_frame_size(Some(3));
    let mut dec = FrameDecoder::new(limits);
    let mut buf = BytesMut::from(&b"\x01\x03abc\x00\x04abcd"[..]);
    assert_eq!(dec.decode(&mut buf), Ok(Some(frame(true, false, b"abc"))));
    let err = ProtocolError::FrameTooLarge { size: 4, limit: 3 };
    assert_eq!(dec.decode(&mut buf), Err(err.clone()));
    assert_eq!(dec.decode(&mut buf), Err(err));
}

#[test]
fn body_is_split_off_without_copying() {
    let mut dec = FrameDecoder::new(Limits::default());
    let mut buf = BytesMut::from(&b"\x00\x03abc\x00\x02de"[..]);
    let start = buf.as_ptr() as usize;
    let f = dec.decode(&mut buf).unwrap().unwrap();
    assert_eq!(f.body.as_ptr() as usize, start + 2);
    let g = dec.decode(&mut buf).unwrap().unwrap();
    assert_eq!(g.body.as_ptr() as usize, start + 7);
}

/// A sequence of frames to encode: (more, command, body).
fn frames() -> impl Strategy<Value = Vec<(bool, bool, Vec<u8>)>> {
    let body = prop_oneof![
        3 => prop::collection::vec(any::<u8>(), 0..8),
        2 => prop::collection::vec(any::<u8>(), 250..262),
        1 => prop::collection::vec(any::<u8>(), 0..=600),
    ];
    prop::collection::vec((any::<bool>(), any::<bool>(), body), 0..8)
}

proptest! {
    #[test]
    fn round_trip_under_any_chunking(
        input in frames(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut wire = BytesMut::new();
        for (more, command, body) in &input {
            encode_frame(*more, *command, body, &mut wire);
        }
        let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(wire.len() + 1)).collect();
        cuts.push(0);
        cuts.push(wire.len());
        cuts.sort_unstable();

        let mut dec = FrameDecoder::new(Limits::default().with_max_frame_size(Some(600)));
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for w in cuts.windows(2) {
            buf.extend_from_slice(&wire[w[0]..w[1]]);
            while let Some(f) = dec.decode(&mut buf).unwrap() {
                out.push(f);
            }
            prop_assert!(dec.needed() >= 1);
        }
        prop_assert!(buf.is_empty());
        let expected: Vec<Frame> = input
            .iter()
            .map(|(more, command, body)| frame(*more && !*command, *command, body))
            .collect();
        prop_assert_eq!(out, expected);
    }

    #[test]
    fn needed_is_exact_after_none(input in frames(), split in any::<prop::sample::Index>()) {
        let mut wire = BytesMut::new();
        for (more, command, body) in &input {
            encode_frame(*more, *command, body, &mut wire);
        }
        // Feed a prefix, drain it, then feed exactly needed() bytes at a time: every
        // refill must let decode make progress (consume a header or return a frame,
        // or learn that the header is long), and no refill may overshoot the end.
        let cut = split.index(wire.len() + 1);
        let mut dec = FrameDecoder::new(Limits::default());
        let mut buf = BytesMut::from(&wire[..cut]);
        let mut fed = cut;
        let mut count = 0;
        loop {
            while dec.decode(&mut buf).unwrap().is_some() {
                count += 1;
            }
            if fed == wire.len() {
                break;
            }
            let n = dec.needed();
            prop_assert!(n >= 1 && fed + n <= wire.len(), "needed {} at {} of {}", n, fed, wire.len());
            let was_empty = buf.is_empty();
            buf.extend_from_slice(&wire[fed..fed + n]);
            fed += n;
            let before = buf.len();
            match dec.decode(&mut buf).unwrap() {
                Some(_) => count += 1,
                // With no flags octet buffered, needed() is the short header's 2; a
                // long header then needs its 7 other size octets.
                None if was_empty && before == 2 && dec.needed() == 7 => {}
                None => prop_assert!(buf.len() < before, "no progress after needed() bytes"),
            }
        }
        prop_assert!(buf.is_empty());
        prop_assert_eq!(count, input.len());
    }
}
