//! A whole session fed arbitrary bytes, optionally after a valid greeting and READY,
//! with timers fired at arbitrary times.
//!
//! Invariants: no event and no output after a fatal error; every later call reports
//! `Error::Closed`; messages respect the frame-count limit and are never empty.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use zocket_proto::{Error, Event, Limits, Session, SessionConfig, SocketType};

const MAX_FRAMES: usize = 8;

fuzz_target!(|data: &[u8]| {
    let Some((&setup, data)) = data.split_first() else { return };
    let ours = SocketType::ALL[usize::from(setup % 21)];
    if ours == SocketType::Stream {
        return;
    }
    let config = SessionConfig::new(ours)
        .with_limits(Limits::default().with_max_frames_per_message(MAX_FRAMES).with_max_frame_size(Some(4096)))
        .with_heartbeat_ivl(Some(Duration::from_millis(100)));
    let start = Instant::now();
    let mut s = Session::new(config, start).unwrap();
    let mut input = Vec::new();
    if setup & 0x80 != 0 {
        let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, (setup >> 5) & 1];
        g.extend_from_slice(b"NULL");
        g.resize(64, 0);
        input.extend_from_slice(&g);
        input.extend_from_slice(b"\x04\x06\x05READY");
    }
    input.extend_from_slice(data);
    let chunk = usize::from(setup % 13) + 1;
    let mut closed = false;
    for (i, piece) in input.chunks(chunk).enumerate() {
        let now = start + Duration::from_millis(i as u64 * 7);
        let r = if i % 5 == 4 { s.handle_timeout(now) } else { s.handle_input(piece, now) };
        if closed {
            assert_eq!(r, Err(Error::Closed));
            assert!(s.poll_event().is_none(), "event after a fatal error");
            assert!(s.poll_transmit().is_none(), "output after a fatal error");
            continue;
        }
        while let Some(event) = s.poll_event() {
            if let Event::Message(m) = event {
                assert!(!m.is_empty() && m.len() <= MAX_FRAMES);
                assert!(m.iter().all(|f| f.len() <= 4096));
            }
        }
        if r.is_err() {
            assert!(s.is_closed());
            closed = true;
            // Events queued before the error stay deliverable; nothing new after.
            while s.poll_event().is_some() {}
        } else {
            while s.poll_transmit().is_some() {}
        }
    }
});
