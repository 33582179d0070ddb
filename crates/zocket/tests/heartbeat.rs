//! Heartbeats over TCP: PINGs keep a quiet connection alive; a peer that stops
//! answering is dropped.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zocket::{MonitorEvent, Pull, Push};

const T: Duration = Duration::from_secs(5);

/// Sends `text` from `push` and checks that `pull` receives it.
async fn pass_through(push: &Push, pull: &Pull, text: &'static str) {
    push.send(text).await.unwrap();
    let got = tokio::time::timeout(T, pull.recv()).await.unwrap().unwrap();
    assert_eq!(&got[0][..], text.as_bytes());
}

/// Checks that no event the monitor holds reports a lost connection.
fn assert_never_disconnected(m: &mut zocket::Monitor) {
    while let Some(ev) = m.try_recv() {
        assert!(!matches!(ev, MonitorEvent::Disconnected { .. }), "{ev:?}");
    }
}

#[tokio::test]
async fn quiet_connection_survives_many_intervals() {
    let pull = Pull::new().unwrap();
    let mut o = pull.options();
    o.heartbeat_ivl = Some(Duration::from_millis(30));
    pull.set_options(o.clone()).unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let push = Push::new().unwrap();
    push.set_options(o).unwrap();
    let mut m = pull.monitor();
    push.connect(&ep).await.unwrap();
    pass_through(&push, &pull, "before").await;
    // Ten intervals of silence from the application.
    tokio::time::sleep(Duration::from_millis(300)).await;
    pass_through(&push, &pull, "after").await;
    assert_never_disconnected(&mut m);
}

#[tokio::test]
async fn silent_peer_is_dropped_after_heartbeat_timeout() {
    let pull = Pull::new().unwrap();
    let mut o = pull.options();
    o.heartbeat_ivl = Some(Duration::from_millis(50));
    o.heartbeat_timeout = Some(Duration::from_millis(100));
    pull.set_options(o).unwrap();
    let mut m = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    // A peer that completes the handshake, then never says anything again.
    let mut s = TcpStream::connect(ep.trim_start_matches("tcp://"))
        .await
        .unwrap();
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
    g.extend_from_slice(b"NULL");
    g.resize(64, 0);
    s.write_all(&g).await.unwrap();
    s.write_all(b"\x04\x1a\x05READY\x0bSocket-Type\x00\x00\x00\x04PUSH")
        .await
        .unwrap();
    let reason = loop {
        let ev = tokio::time::timeout(T, m.recv()).await.unwrap().unwrap();
        if let MonitorEvent::Disconnected { reason, .. } = ev {
            break reason;
        }
    };
    assert!(reason.contains("heartbeat"), "{reason}");
    // It received at least one PING before being dropped.
    let mut got = Vec::new();
    let _ = tokio::time::timeout(T, s.read_to_end(&mut got)).await;
    assert!(
        got.windows(7).any(|w| w == b"\x04\x07\x04PING"),
        "no PING seen"
    );
}

/// A receive that waits polls its connection's engine itself; when it gives up
/// (here, at its timeout), the engine's wake-ups must go back to the engine's own
/// task, or nothing would answer the peer's PINGs while the application does
/// something else.
#[tokio::test]
async fn the_engine_answers_pings_after_a_receive_gave_up_waiting_on_it() {
    let pull = Pull::new().unwrap();
    let ep = pull.bind("tcp://127.0.0.1:*").await.unwrap();
    let push = Push::new().unwrap();
    let mut o = push.options();
    o.heartbeat_ivl = Some(Duration::from_millis(30));
    o.heartbeat_timeout = Some(Duration::from_millis(100));
    push.set_options(o).unwrap();
    let mut m = push.monitor();
    push.connect(&ep).await.unwrap();
    pass_through(&push, &pull, "first").await;
    // The receive drives the engine while it waits, then times out.
    let r = pull.recv_timeout(Some(Duration::from_millis(20))).await;
    assert!(matches!(r, Err(zocket::Error::Timeout)), "{r:?}");
    // Many heartbeat timeouts without a receive.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_never_disconnected(&mut m);
    pass_through(&push, &pull, "after").await;
}
