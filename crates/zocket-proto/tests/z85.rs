//! Z85 (RFC 32): vectors, CURVE key sizes, rejected inputs and round trips.

use proptest::prelude::*;
use zocket_proto::z85::{self, Z85Error};

/// RFC 32 §Test Case.
const HELLO_BIN: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

/// A CURVE public key from libzmq's `zmq_curve` documentation, and its 32 bytes as
/// computed independently (Python's RFC 1924 base85 with the alphabet swapped).
const KEY_TEXT: &str = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID";
const KEY_BIN: [u8; 32] = [
    0xbb, 0x88, 0x47, 0x1d, 0x65, 0xe2, 0x65, 0x9b, 0x30, 0xc5, 0x5a, 0x53, 0x21, 0xce, 0xbb, 0x5a,
    0xab, 0x2b, 0x70, 0xa3, 0x98, 0x64, 0x5c, 0x26, 0xdc, 0xa2, 0xb2, 0xfc, 0xb4, 0x3f, 0xc5, 0x18,
];

#[test]
fn rfc_vector() {
    assert_eq!(z85::encode(&HELLO_BIN).unwrap(), "HelloWorld");
    assert_eq!(z85::decode("HelloWorld").unwrap(), HELLO_BIN);
    assert_eq!(z85::decode(b"HelloWorld").unwrap(), HELLO_BIN);
}

#[test]
fn curve_key() {
    let text = z85::encode(&KEY_BIN).unwrap();
    assert_eq!(text.len(), 40);
    assert_eq!(text, KEY_TEXT);
    assert_eq!(z85::decode(KEY_TEXT).unwrap(), KEY_BIN);
}

#[test]
fn counting_bytes_vector() {
    // 00 01 .. 1F, computed independently as for KEY_BIN.
    let data: Vec<u8> = (0..32).collect();
    let text = "009c61o!#m2NH?C3>iWS5d]J*6CRx17-skh9337x";
    assert_eq!(z85::encode(&data).unwrap(), text);
    assert_eq!(z85::decode(text).unwrap(), data);
}

#[test]
fn extremes_of_a_group() {
    assert_eq!(z85::encode(&[0; 4]).unwrap(), "00000");
    assert_eq!(z85::decode("00000").unwrap(), [0; 4]);
    assert_eq!(z85::encode(&[0xFF; 4]).unwrap(), "%nSc0");
    assert_eq!(z85::decode("%nSc0").unwrap(), [0xFF; 4]);
}

#[test]
fn empty_input() {
    assert_eq!(z85::encode(&[]).unwrap(), "");
    assert_eq!(z85::decode("").unwrap(), Vec::<u8>::new());
}

#[test]
fn bad_binary_length() {
    for len in [1, 2, 3, 5, 31, 33] {
        assert_eq!(
            z85::encode(&vec![0; len]),
            Err(Z85Error::BinaryLength { len })
        );
    }
}

#[test]
fn bad_text_length() {
    for len in [1, 4, 6, 39, 41] {
        assert_eq!(
            z85::decode("0".repeat(len)),
            Err(Z85Error::TextLength { len })
        );
    }
    // A CURVE key with its C terminator still attached is not Z85.
    assert_eq!(
        z85::decode(format!("{KEY_TEXT}\0")),
        Err(Z85Error::TextLength { len: 41 })
    );
}

#[test]
fn bad_characters() {
    // Printable ASCII characters that are not in the alphabet, then control and
    // non-ASCII bytes.
    for byte in [
        b' ', b'"', b'\'', b',', b';', b'\\', b'_', b'`', b'|', b'~', 0, b'\n', 0x7F, 0x80, 0xC3,
        0xFF,
    ] {
        let mut text = *b"HelloWorld";
        text[7] = byte;
        assert_eq!(
            z85::decode(text),
            Err(Z85Error::InvalidCharacter { byte, position: 7 }),
            "byte {byte:#04x}"
        );
    }
    // The first offender is reported.
    assert_eq!(
        z85::decode("Hel,o,orld"),
        Err(Z85Error::InvalidCharacter {
            byte: b',',
            position: 3
        })
    );
}

#[test]
fn overflowing_groups() {
    assert_eq!(
        z85::decode("%%%%%"),
        Err(Z85Error::Overflow { position: 0 })
    );
    assert_eq!(
        z85::decode("#####"),
        Err(Z85Error::Overflow { position: 0 })
    );
    // One above u32::MAX.
    assert_eq!(
        z85::decode("%nSc1"),
        Err(Z85Error::Overflow { position: 0 })
    );
    // The offending group is located.
    assert_eq!(
        z85::decode("HelloWorld%%%%%"),
        Err(Z85Error::Overflow { position: 10 })
    );
    assert_eq!(
        z85::decode("Hello$nSc0"),
        Err(Z85Error::Overflow { position: 5 })
    );
}

#[test]
fn error_messages_name_the_problem() {
    assert!(Z85Error::TextLength { len: 7 }.to_string().contains('7'));
    assert!(Z85Error::BinaryLength { len: 3 }.to_string().contains('3'));
    let bad = Z85Error::InvalidCharacter {
        byte: b'~',
        position: 12,
    }
    .to_string();
    assert!(bad.contains('~') && bad.contains("12"), "{bad}");
    assert!(
        Z85Error::Overflow { position: 35 }
            .to_string()
            .contains("35")
    );
}

proptest! {
    #[test]
    fn encode_decode_round_trip(words in proptest::collection::vec(any::<[u8; 4]>(), 0..=1024)) {
        let data: Vec<u8> = words.concat();
        let text = z85::encode(&data).unwrap();
        prop_assert_eq!(text.len(), data.len() / 4 * 5);
        prop_assert!(text.bytes().all(|b| b.is_ascii_graphic()));
        prop_assert_eq!(z85::decode(&text).unwrap(), data);
    }

    #[test]
    fn decode_is_canonical(text in proptest::collection::vec(any::<u8>(), 0..64)) {
        // Whatever decodes re-encodes to exactly the same text; the rest is an error,
        // never a panic.
        if let Ok(data) = z85::decode(&text) {
            prop_assert_eq!(z85::encode(&data).unwrap().into_bytes(), text);
        }
    }

    #[test]
    fn decode_of_valid_digits(digits in proptest::collection::vec(0usize..85, 0..=20)) {
        // Texts made only of alphabet characters fail only on length or overflow.
        let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
        let text: Vec<u8> = digits.iter().map(|&d| alphabet[d]).collect();
        match z85::decode(&text) {
            Ok(data) => prop_assert_eq!(z85::encode(&data).unwrap().into_bytes(), text),
            Err(Z85Error::TextLength { len }) => prop_assert!(len % 5 != 0),
            Err(Z85Error::Overflow { position }) => prop_assert_eq!(position % 5, 0),
            Err(e) => prop_assert!(false, "unexpected {e:?}"),
        }
    }
}
