//! Tests of the ZMTP 3.x greeting: byte-exact vectors, incremental decoding, early
//! failure and version negotiation.

use proptest::prelude::*;
use zocket_proto::greeting::{GREETING_LEN, negotiated};
use zocket_proto::{Greeting, GreetingDecoder, Mechanism, ProtocolError, Version};

/// Builds a 64-byte greeting from its parts, padding `name` with NULs.
fn vector(
    padding: [u8; 8],
    sig_end: u8,
    major: u8,
    minor: u8,
    name: &[u8],
    as_server: u8,
) -> [u8; 64] {
    let mut v = [0u8; 64];
    v[0] = 0xFF;
    v[1..9].copy_from_slice(&padding);
    v[9] = sig_end;
    v[10] = major;
    v[11] = minor;
    v[12..12 + name.len()].copy_from_slice(name);
    v[32] = as_server;
    v
}

/// libzmq's padding with an empty routing id: u64 BE 1.
const LIBZMQ_PADDING: [u8; 8] = [0, 0, 0, 0, 0, 0, 0, 1];

/// The libzmq NULL 3.1 greeting of the notes, spelled out byte by byte.
fn libzmq_null_31() -> [u8; 64] {
    let mut v = Vec::new();
    v.extend_from_slice(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x7F, 0x03, 0x01]);
    v.extend_from_slice(b"NULL");
    v.extend_from_slice(&[0u8; 16]);
    v.push(0x00);
    v.extend_from_slice(&[0u8; 31]);
    v.try_into().unwrap()
}

fn field(name: &[u8]) -> [u8; 20] {
    let mut f = [0u8; 20];
    f[..name.len()].copy_from_slice(name);
    f
}

/// Feeds `bytes` whole, then one byte per call, and checks both give `expected`
/// (and that exactly 64 bytes are consumed, the greeting arriving on the last one).
fn check_decodes(bytes: &[u8; 64], expected: &Greeting) {
    let mut dec = GreetingDecoder::new();
    assert_eq!(dec.feed(bytes).unwrap(), (64, Some(expected.clone())));
    assert_eq!(dec.bytes_received(), 64);

    let mut dec = GreetingDecoder::new();
    for (i, b) in bytes.iter().enumerate() {
        let (used, g) = dec.feed(std::slice::from_ref(b)).unwrap();
        assert_eq!(used, 1, "byte {i}");
        assert_eq!(dec.bytes_received(), i + 1);
        if i < 63 {
            assert_eq!(g, None, "greeting returned early at byte {i}");
        } else {
            assert_eq!(g.as_ref(), Some(expected));
        }
    }
    assert_eq!(Greeting::parse(bytes).as_ref(), Ok(expected));
}

/// Feeds `bytes` one byte at a time and returns the index of the byte whose feed
/// failed, with the error.
fn first_error_bytewise(bytes: &[u8; 64]) -> Option<(usize, ProtocolError)> {
    let mut dec = GreetingDecoder::new();
    for (i, b) in bytes.iter().enumerate() {
        if let Err(e) = dec.feed(std::slice::from_ref(b)) {
            return Some((i, e));
        }
    }
    None
}

#[test]
fn libzmq_null_31_vector_encodes_and_parses() {
    let wire = libzmq_null_31();
    let ours = Greeting::new(Mechanism::Null, false);
    assert_eq!(ours.encode(), wire);
    assert_eq!(ours.version, Version::V3_1);
    assert_eq!(ours.mechanism, field(b"NULL"));
    assert!(!ours.as_server);
    check_decodes(&wire, &ours);
    assert_eq!(Greeting::parse(&wire).unwrap().mechanism_name(), b"NULL");
}

#[test]
fn zmtp_30_vector() {
    let wire = vector([0; 8], 0x7F, 3, 0, b"NULL", 0);
    let g = Greeting {
        version: Version::V3_0,
        mechanism: field(b"NULL"),
        as_server: false,
    };
    check_decodes(&wire, &g);
    // Our encoder writes libzmq's padding, otherwise the same bytes.
    assert_eq!(g.encode(), vector(LIBZMQ_PADDING, 0x7F, 3, 0, b"NULL", 0));
    assert_eq!(negotiated(Version::V3_1, g.version), Version::V3_0);
}

#[test]
fn higher_major_peer_is_accepted() {
    let wire = vector(LIBZMQ_PADDING, 0x7F, 4, 2, b"NULL", 0);
    let g = Greeting {
        version: Version { major: 4, minor: 2 },
        mechanism: field(b"NULL"),
        as_server: false,
    };
    check_decodes(&wire, &g);
    assert_eq!(g.encode(), wire);
    assert_eq!(negotiated(Version::V3_1, g.version), Version::V3_1);

    let g255 = Greeting::parse(&vector([0; 8], 0xFF, 255, 255, b"CURVE", 0)).unwrap();
    assert_eq!(
        g255.version,
        Version {
            major: 255,
            minor: 255
        }
    );
}

#[test]
fn plain_server_vector() {
    let wire = vector(LIBZMQ_PADDING, 0x7F, 3, 1, b"PLAIN", 1);
    let ours = Greeting::new(Mechanism::Plain, true);
    assert_eq!(ours.encode(), wire);
    check_decodes(&wire, &ours);
    assert_eq!(ours.mechanism_name(), b"PLAIN");
    assert_eq!(
        Greeting::new(Mechanism::Curve, false).mechanism_name(),
        b"CURVE"
    );
}

#[test]
fn as_server_byte_is_any_nonzero() {
    for (byte, expected) in [(0u8, false), (1, true), (0x80, true), (0xFF, true)] {
        let g = Greeting::parse(&vector([0; 8], 0x7F, 3, 1, b"PLAIN", byte)).unwrap();
        assert_eq!(g.as_server, expected, "as-server byte {byte:#x}");
    }
}

#[test]
fn padding_and_filler_are_not_validated() {
    // libzmq with a 4-byte routing id sends padding 5; anything else is accepted too.
    let mut wire = vector([0, 0, 0, 0, 0, 0, 0, 5], 0x7F, 3, 1, b"NULL", 0);
    let expected = Greeting::new(Mechanism::Null, false);
    check_decodes(&wire, &expected);
    wire[1..9].copy_from_slice(&[0xDE, 0xAD, 0xBE, 0xEF, 0xFF, 0x00, 0x7F, 0x12]);
    check_decodes(&wire, &expected);
    wire[33..].fill(0xAA);
    check_decodes(&wire, &expected);
    // Signature end only needs its low bit.
    wire[9] = 0x01;
    check_decodes(&wire, &expected);
}

#[test]
fn bad_signature_start_fails_on_first_byte() {
    let mut wire = libzmq_null_31();
    wire[0] = 0x00;
    let mut dec = GreetingDecoder::new();
    assert_eq!(dec.feed(&wire[..1]), Err(ProtocolError::BadSignature));
    assert_eq!(dec.bytes_received(), 1);

    let mut dec = GreetingDecoder::new();
    assert_eq!(dec.feed(&wire), Err(ProtocolError::BadSignature));
    assert_eq!(dec.bytes_received(), 1);

    // A ZMTP 1.0 peer's short identity frame: 0x01 0x00.
    assert_eq!(
        GreetingDecoder::new().feed(b"\x01\x00"),
        Err(ProtocolError::BadSignature)
    );
    assert_eq!(Greeting::parse(&wire), Err(ProtocolError::BadSignature));
}

#[test]
fn bad_signature_end_fails_on_byte_9() {
    let mut wire = libzmq_null_31();
    wire[9] = 0x7E;
    assert_eq!(
        first_error_bytewise(&wire),
        Some((9, ProtocolError::BadSignature))
    );

    let mut dec = GreetingDecoder::new();
    assert_eq!(dec.feed(&wire[..9]).unwrap(), (9, None));
    assert_eq!(dec.feed(&wire[9..]), Err(ProtocolError::BadSignature));
    assert_eq!(dec.bytes_received(), 10);
    assert_eq!(Greeting::parse(&wire), Err(ProtocolError::BadSignature));
}

#[test]
fn old_major_fails_on_byte_10() {
    let mut wire = libzmq_null_31();
    wire[10] = 2;
    let err = ProtocolError::UnsupportedVersion { major: 2, minor: 0 };
    assert_eq!(first_error_bytewise(&wire), Some((10, err.clone())));

    let mut dec = GreetingDecoder::new();
    assert_eq!(dec.feed(&wire[..10]).unwrap(), (10, None));
    assert_eq!(dec.feed(&wire[10..]), Err(err));
    assert_eq!(dec.bytes_received(), 11);

    // parse has the whole greeting, so it reports the real minor version.
    assert_eq!(
        Greeting::parse(&wire),
        Err(ProtocolError::UnsupportedVersion { major: 2, minor: 1 })
    );
    for major in [0, 1] {
        wire[10] = major;
        assert_eq!(
            GreetingDecoder::new().feed(&wire),
            Err(ProtocolError::UnsupportedVersion { major, minor: 0 })
        );
    }
}

#[test]
fn errors_are_sticky() {
    let mut wire = libzmq_null_31();
    wire[9] = 0x00;
    let mut dec = GreetingDecoder::new();
    assert_eq!(dec.feed(&wire), Err(ProtocolError::BadSignature));
    let good = libzmq_null_31();
    for _ in 0..2 {
        assert_eq!(dec.feed(&good[10..]), Err(ProtocolError::BadSignature));
        assert_eq!(dec.feed(&[]), Err(ProtocolError::BadSignature));
        assert_eq!(dec.bytes_received(), 10);
    }
}

#[test]
fn consumes_no_byte_past_the_greeting() {
    let mut wire = libzmq_null_31().to_vec();
    wire.extend_from_slice(b"\x04\x19\x05READY");
    let expected = Greeting::new(Mechanism::Null, false);

    let mut dec = GreetingDecoder::new();
    assert_eq!(dec.feed(&wire).unwrap(), (64, Some(expected.clone())));
    // Complete: nothing more is consumed and the greeting is not returned twice.
    assert_eq!(dec.feed(&wire[64..]).unwrap(), (0, None));
    assert_eq!(dec.bytes_received(), 64);

    let mut dec = GreetingDecoder::new();
    assert_eq!(dec.feed(&[]).unwrap(), (0, None));
    assert_eq!(dec.feed(&wire[..11]).unwrap(), (11, None));
    assert_eq!(dec.feed(&wire[11..63]).unwrap(), (52, None));
    assert_eq!(dec.bytes_received(), 63);
    assert_eq!(dec.feed(&wire[63..]).unwrap(), (1, Some(expected)));
}

#[test]
fn mechanism_name_strips_only_trailing_nuls() {
    let mut g = Greeting::new(Mechanism::Null, false);
    g.mechanism = field(b"A\0B");
    assert_eq!(g.mechanism_name(), b"A\0B");
    g.mechanism = [0; 20];
    assert_eq!(g.mechanism_name(), b"");
    g.mechanism = [b'X'; 20];
    assert_eq!(g.mechanism_name(), &[b'X'; 20][..]);
}

#[test]
fn versions() {
    assert_eq!(Version::V3_0, Version { major: 3, minor: 0 });
    assert_eq!(Version::V3_1, Version { major: 3, minor: 1 });
    assert_eq!(Version::V3_1.to_string(), "3.1");
    assert_eq!(Version::V3_0.to_string(), "3.0");
    assert_eq!(
        Version {
            major: 12,
            minor: 34
        }
        .to_string(),
        "12.34"
    );
    assert!(Version::V3_0 < Version::V3_1);
    assert!(Version::V3_1 < Version { major: 4, minor: 0 });
    assert!(Version { major: 3, minor: 9 } < Version { major: 4, minor: 0 });

    assert_eq!(negotiated(Version::V3_1, Version::V3_1), Version::V3_1);
    assert_eq!(negotiated(Version::V3_1, Version::V3_0), Version::V3_0);
    assert_eq!(negotiated(Version::V3_0, Version::V3_1), Version::V3_0);
    assert_eq!(
        negotiated(Version::V3_1, Version { major: 3, minor: 7 }),
        Version::V3_1
    );
    assert_eq!(
        negotiated(Version::V3_1, Version { major: 4, minor: 0 }),
        Version::V3_1
    );
    assert_eq!(GREETING_LEN, 64);
}

/// The offset of the byte that makes `bytes` invalid, if any, with the error.
fn expected_error(bytes: &[u8; 64]) -> Option<(usize, ProtocolError)> {
    if bytes[0] != 0xFF {
        Some((0, ProtocolError::BadSignature))
    } else if bytes[9] & 1 == 0 {
        Some((9, ProtocolError::BadSignature))
    } else if bytes[10] < 3 {
        Some((
            10,
            ProtocolError::UnsupportedVersion {
                major: bytes[10],
                minor: 0,
            },
        ))
    } else {
        None
    }
}

/// Mostly-valid greetings: the three checked bytes are drawn so that each check
/// fails some of the time, the rest is arbitrary.
fn greeting_bytes() -> impl Strategy<Value = [u8; 64]> {
    (
        prop::collection::vec(any::<u8>(), 64),
        prop_oneof![4 => Just(0xFFu8), 1 => any::<u8>()],
        prop_oneof![4 => Just(0x7Fu8), 1 => any::<u8>()],
        prop_oneof![4 => 3u8..=255, 1 => 0u8..3],
    )
        .prop_map(|(rest, b0, b9, b10)| {
            let mut v: [u8; 64] = rest.try_into().unwrap();
            v[0] = b0;
            v[9] = b9;
            v[10] = b10;
            v
        })
}

/// Split points: a sorted list of offsets in 0..=64 (duplicates give empty chunks).
fn chunks_of(bytes: &[u8], mut cuts: Vec<usize>) -> Vec<&[u8]> {
    cuts.push(0);
    cuts.push(bytes.len());
    cuts.sort_unstable();
    cuts.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
}

proptest! {
    #[test]
    fn chunked_feed_matches_parse(
        bytes in greeting_bytes(),
        cuts in prop::collection::vec(0usize..=64, 0..8),
    ) {
        let mut dec = GreetingDecoder::new();
        let mut consumed = 0;
        let mut outcome = None;
        for chunk in chunks_of(&bytes, cuts) {
            match dec.feed(chunk) {
                Ok((used, g)) => {
                    prop_assert_eq!(used, chunk.len());
                    consumed += used;
                    if let Some(g) = g {
                        prop_assert_eq!(consumed, GREETING_LEN);
                        outcome = Some(Ok(g));
                    }
                }
                Err(e) => {
                    outcome = Some(Err(e));
                    break;
                }
            }
        }
        match expected_error(&bytes) {
            Some((at, err)) => {
                prop_assert_eq!(outcome, Some(Err(err)));
                prop_assert_eq!(dec.bytes_received(), at + 1);
            }
            None => {
                let g = outcome.unwrap().unwrap();
                prop_assert_eq!(Greeting::parse(&bytes), Ok(g.clone()));
                prop_assert_eq!(g.version, Version { major: bytes[10], minor: bytes[11] });
                prop_assert_eq!(&g.mechanism[..], &bytes[12..32]);
                prop_assert_eq!(g.as_server, bytes[32] != 0);
                // Re-encoding keeps every significant byte.
                let again = g.encode();
                prop_assert_eq!(&again[10..32], &bytes[10..32]);
                prop_assert_eq!(again[32], u8::from(bytes[32] != 0));
                prop_assert_eq!(Greeting::parse(&again), Ok(g));
            }
        }
    }
}
