//! Connection metadata: building, wire encoding, parsing of valid and hostile blocks.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use zocket_proto::{Metadata, ProtocolError, UsageError};

/// The metadata of the RFC 23/37 worked example (DEALER, empty identity).
const RFC_DEALER: &[u8] = b"\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00";

fn encode(md: &Metadata) -> Vec<u8> {
    let mut out = BytesMut::new();
    md.encode(&mut out);
    assert_eq!(out.len(), md.encoded_len());
    out.to_vec()
}

fn parse(data: &'static [u8]) -> Result<Metadata, ProtocolError> {
    Metadata::parse(Bytes::from_static(data))
}

fn pairs(md: &Metadata) -> Vec<(Vec<u8>, Vec<u8>)> {
    md.iter().map(|(n, v)| (n.to_vec(), v.to_vec())).collect()
}

#[test]
fn rfc_example_encodes_exactly() {
    let mut md = Metadata::new();
    md.insert("Socket-Type", "DEALER").unwrap();
    md.insert("Identity", Bytes::new()).unwrap();
    assert_eq!(encode(&md), RFC_DEALER);
    assert_eq!(md.encoded_len(), 35);
}

#[test]
fn rfc_example_parses() {
    let data = Bytes::from_static(RFC_DEALER);
    let md = Metadata::parse(data.clone()).unwrap();
    assert_eq!(md.len(), 2);
    assert_eq!(
        pairs(&md),
        [
            (b"Socket-Type".to_vec(), b"DEALER".to_vec()),
            (b"Identity".to_vec(), vec![])
        ]
    );
    assert_eq!(&md.get("Socket-Type").unwrap()[..], b"DEALER");
    assert!(md.get("Identity").unwrap().is_empty());
    // Zero-copy: the value points into the parsed buffer.
    let value = md.get("Socket-Type").unwrap();
    let offset = value.as_ptr() as usize - data.as_ptr() as usize;
    assert_eq!(offset, 16);
}

#[test]
fn empty_metadata() {
    let md = Metadata::new();
    assert!(md.is_empty());
    assert_eq!(md.len(), 0);
    assert_eq!(md.encoded_len(), 0);
    assert!(encode(&md).is_empty());
    assert_eq!(parse(b"").unwrap(), md);
    assert_eq!(Metadata::default(), md);
}

#[test]
fn get_is_case_sensitive() {
    let md = parse(RFC_DEALER).unwrap();
    assert!(md.get("socket-type").is_none());
    assert!(md.get("SOCKET-TYPE").is_none());
    assert!(md.get("Socket-Typ").is_none());
    assert!(md.get("Socket-Type ").is_none());
}

#[test]
fn insert_replaces_in_place() {
    let mut md = Metadata::new();
    md.insert("A", "1").unwrap();
    md.insert("B", "2").unwrap();
    md.insert("C", "3").unwrap();
    md.insert("B", "two").unwrap();
    // A different case is a different name.
    md.insert("b", "other").unwrap();
    assert_eq!(
        pairs(&md),
        [
            (b"A".to_vec(), b"1".to_vec()),
            (b"B".to_vec(), b"two".to_vec()),
            (b"C".to_vec(), b"3".to_vec()),
            (b"b".to_vec(), b"other".to_vec()),
        ]
    );
}

#[test]
fn insert_rejects_bad_names() {
    let mut md = Metadata::new();
    for name in [
        &b""[..],
        b"with space",
        b"colon:",
        b"nul\0",
        b"slash/",
        "ünï".as_bytes(),
    ] {
        let err = md.insert(Bytes::copy_from_slice(name), "v").unwrap_err();
        assert!(
            matches!(err, UsageError::InvalidPropertyName { .. }),
            "{name:?}: {err:?}"
        );
    }
    let long = vec![b'x'; 256];
    assert!(matches!(
        md.insert(long, "v"),
        Err(UsageError::InvalidPropertyName { .. })
    ));
    assert!(md.is_empty(), "failed inserts must not change anything");
    // The full character set and the longest name are accepted.
    md.insert("AZaz09-_.+", "v").unwrap();
    md.insert(vec![b'n'; 255], "v").unwrap();
    assert_eq!(md.len(), 2);
}

#[test]
fn invalid_name_error_carries_the_name() {
    let err = Metadata::new().insert("bad name", "").unwrap_err();
    assert_eq!(
        err,
        UsageError::InvalidPropertyName {
            name: "bad name".into()
        }
    );
}

#[test]
fn insert_accepts_binary_values() {
    let mut md = Metadata::new();
    md.insert("X-Bin", vec![0u8, 0xFF, 0, 1]).unwrap();
    assert_eq!(encode(&md), b"\x05X-Bin\x00\x00\x00\x04\x00\xff\x00\x01");
}

#[test]
fn long_value_length_is_big_endian() {
    let mut md = Metadata::new();
    md.insert("V", vec![7u8; 0x0001_0203]).unwrap();
    let bytes = encode(&md);
    assert_eq!(&bytes[..6], b"\x01V\x00\x01\x02\x03");
    assert_eq!(bytes.len(), 6 + 0x0001_0203);
    assert_eq!(Metadata::parse(bytes.into()).unwrap(), md);
}

#[test]
fn iterators() {
    let md = parse(RFC_DEALER).unwrap();
    let it = md.iter();
    assert_eq!(it.len(), 2);
    let names: Vec<&[u8]> = md.iter().rev().map(|(n, _)| &n[..]).collect();
    assert_eq!(names, [&b"Identity"[..], b"Socket-Type"]);
    let mut count = 0;
    for (name, _) in &md {
        assert!(!name.is_empty());
        count += 1;
    }
    assert_eq!(count, 2);
}

#[test]
fn parse_keeps_duplicates_and_get_returns_first() {
    let md = parse(b"\x01A\x00\x00\x00\x01x\x01A\x00\x00\x00\x01y").unwrap();
    assert_eq!(md.len(), 2);
    assert_eq!(&md.get("A").unwrap()[..], b"x");
    assert_eq!(pairs(&md)[1], (b"A".to_vec(), b"y".to_vec()));
}

#[test]
fn parse_is_lenient_on_names_like_libzmq() {
    // Zero-length name, and characters outside the RFC grammar.
    let md = parse(b"\x00\x00\x00\x00\x01v\x03a b\x00\x00\x00\x00").unwrap();
    assert_eq!(
        pairs(&md),
        [(vec![], b"v".to_vec()), (b"a b".to_vec(), vec![])]
    );
    assert_eq!(&md.get("").unwrap()[..], b"v");
}

fn assert_invalid(data: &'static [u8]) {
    match parse(data) {
        Err(ProtocolError::InvalidMetadata { .. }) => {}
        other => panic!("{data:?}: expected InvalidMetadata, got {other:?}"),
    }
}

#[test]
fn hostile_truncated_property_name() {
    assert_invalid(b"\x0bSocket-Typ");
    assert_invalid(b"\xff");
    assert_invalid(b"\x01");
}

#[test]
fn hostile_truncated_value_length() {
    assert_invalid(b"\x01A");
    assert_invalid(b"\x01A\x00\x00\x00");
    assert_invalid(b"\x00");
    assert_invalid(b"\x00\x00\x00\x00");
}

#[test]
fn hostile_value_past_end() {
    assert_invalid(b"\x0bSocket-Type\x00\x00\x00\x07DEALER");
    assert_invalid(b"\x01A\x00\x00\x00\x01");
}

#[test]
fn hostile_huge_declared_value_length() {
    // 4 GiB declared, 3 bytes present: refused without allocating.
    assert_invalid(b"\x01A\xff\xff\xff\xffabc");
    assert_invalid(b"\x01A\x80\x00\x00\x00");
}

#[test]
fn hostile_trailing_bytes() {
    let mut data = RFC_DEALER.to_vec();
    for tail in [&[0u8][..], b"\x01", b"\x08Ident", b"\x08Identity\x00\x00"] {
        data.truncate(RFC_DEALER.len());
        data.extend_from_slice(tail);
        assert!(
            matches!(
                Metadata::parse(data.clone().into()),
                Err(ProtocolError::InvalidMetadata { .. })
            ),
            "tail {tail:?}"
        );
    }
}

prop_compose! {
    fn name()(name in "[A-Za-z0-9._+-]{1,40}") -> String { name }
}

proptest! {
    #[test]
    fn encode_parse_round_trip(
        props in proptest::collection::vec((name(), proptest::collection::vec(any::<u8>(), 0..300)), 0..12)
    ) {
        let mut md = Metadata::new();
        for (n, v) in &props {
            md.insert(n.clone(), v.clone()).unwrap();
        }
        let bytes = encode(&md);
        let parsed = Metadata::parse(bytes.into()).unwrap();
        prop_assert_eq!(&parsed, &md);
        for (n, _) in &props {
            prop_assert_eq!(parsed.get(n), md.get(n));
        }
    }

    #[test]
    fn parse_then_encode_is_identity(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        // Any block that parses re-encodes to exactly the same bytes; anything else is
        // InvalidMetadata, never a panic.
        match Metadata::parse(data.clone().into()) {
            Ok(md) => prop_assert_eq!(encode(&md), data),
            Err(e) => prop_assert!(matches!(e, ProtocolError::InvalidMetadata { .. }), "{:?}", e),
        }
    }

    #[test]
    fn every_strict_prefix_of_a_block_is_rejected_or_shorter(
        props in proptest::collection::vec((name(), proptest::collection::vec(any::<u8>(), 0..20)), 1..5),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut md = Metadata::new();
        for (n, v) in &props {
            md.insert(n.clone(), v.clone()).unwrap();
        }
        let bytes = encode(&md);
        let cut = cut.index(bytes.len());
        // A cut between properties parses to the leading properties; any other cut is
        // invalid.
        match Metadata::parse(Bytes::copy_from_slice(&bytes[..cut])) {
            Ok(prefix) => {
                prop_assert!(prefix.len() < md.len());
                prop_assert!(md.iter().zip(prefix.iter()).all(|(a, b)| a == b));
                prop_assert_eq!(prefix.encoded_len(), cut);
            }
            Err(e) => prop_assert!(matches!(e, ProtocolError::InvalidMetadata { .. }), "{:?}", e),
        }
    }
}
