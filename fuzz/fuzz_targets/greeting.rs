//! The greeting decoder fed arbitrary bytes in arbitrary chunks.
//!
//! Invariants: consumed ≤ given; a greeting is produced exactly when 64 bytes were
//! consumed and equals `Greeting::parse` of those bytes; after an error the decoder
//! consumes nothing and repeats the error.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zocket_proto::greeting::{Greeting, GreetingDecoder, GREETING_LEN};

fuzz_target!(|data: &[u8]| {
    let Some((&setup, data)) = data.split_first() else { return };
    let chunk = usize::from(setup % 70) + 1;
    let mut decoder = GreetingDecoder::new();
    let mut consumed = Vec::new();
    let mut failed = None;
    for piece in data.chunks(chunk) {
        match decoder.feed(piece) {
            Ok((used, done)) => {
                assert!(failed.is_none(), "success after an error");
                assert!(used <= piece.len());
                consumed.extend_from_slice(&piece[..used]);
                assert!(consumed.len() <= GREETING_LEN);
                if let Some(g) = done {
                    assert_eq!(consumed.len(), GREETING_LEN);
                    let bytes: [u8; GREETING_LEN] = consumed[..].try_into().unwrap();
                    assert_eq!(Greeting::parse(&bytes).unwrap(), g);
                    assert!(g.version.major >= 3);
                    return;
                }
                assert!(used == piece.len(), "stopped early without a greeting or an error");
            }
            Err(e) => {
                if let Some(previous) = &failed {
                    assert_eq!(previous, &e);
                }
                failed = Some(e);
            }
        }
    }
});
