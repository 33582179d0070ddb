//! The frame decoder fed arbitrary bytes in arbitrary chunks.
//!
//! Invariants: it never consumes more than it is given; every frame it returns fits
//! the limits and round-trips through the encoder; after an error it stays failed
//! and consumes nothing more.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use zocket_proto::frame::{FrameDecoder, encode_frame};
use zocket_proto::Limits;

fuzz_target!(|data: &[u8]| {
    let Some((&setup, data)) = data.split_first() else { return };
    let max_frame = [None, Some(0), Some(1), Some(255), Some(256), Some(1000)][usize::from(setup % 6)];
    let max_command = [0u64, 10, 300][usize::from(setup / 6 % 3)];
    let chunk = usize::from(setup / 18 % 7) + 1;
    let limits = Limits::default().with_max_frame_size(max_frame).with_max_command_size(max_command);
    let mut decoder = FrameDecoder::new(limits);
    let mut buf = BytesMut::new();
    let mut given = 0usize;
    let mut taken = 0usize;
    let mut failed = None;
    for piece in data.chunks(chunk) {
        buf.extend_from_slice(piece);
        given += piece.len();
        loop {
            let before = buf.len();
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => {
                    assert!(failed.is_none(), "frame after an error");
                    taken += before - buf.len();
                    let len = frame.body.len() as u64;
                    if frame.command {
                        assert!(len <= max_command);
                        assert!(!frame.more);
                    } else if let Some(max) = max_frame {
                        assert!(len <= max);
                    }
                    let mut again = BytesMut::new();
                    encode_frame(frame.more, frame.command, &frame.body, &mut again);
                    let mut check = FrameDecoder::new(Limits::default().with_max_command_size(u64::MAX));
                    assert_eq!(check.decode(&mut again).unwrap(), Some(frame));
                    assert!(again.is_empty());
                }
                Ok(None) => {
                    taken += before - buf.len();
                    break;
                }
                Err(e) => {
                    taken += before - buf.len();
                    if let Some(previous) = &failed {
                        assert_eq!(previous, &e, "error changed");
                        assert_eq!(before, buf.len(), "consumed after an error");
                    }
                    failed = Some(e);
                    break;
                }
            }
        }
        assert!(taken <= given);
    }
});
