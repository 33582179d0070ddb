//! Hostile peers: each is dropped with a monitor event while the socket's other
//! peers keep sending and receiving without loss.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use zocket::{Monitor, MonitorEvent, Socket, SocketType};

const T: Duration = Duration::from_secs(5);

/// A libzmq-style NULL 3.1 greeting.
fn greeting() -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1];
    g.extend_from_slice(b"NULL");
    g.resize(64, 0);
    g
}

fn ready(socket_type: &str) -> Vec<u8> {
    let mut body = vec![5];
    body.extend_from_slice(b"READY\x0bSocket-Type");
    body.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    body.extend_from_slice(socket_type.as_bytes());
    let mut f = vec![0x04, body.len() as u8];
    f.extend_from_slice(&body);
    f
}

/// A PULL with one well-behaved PUSH peer that keeps sending numbered messages.
struct Fixture {
    pull: Socket,
    endpoint: String,
    monitor: Monitor,
    good: Socket,
    sent: u32,
    received: u32,
}

impl Fixture {
    async fn new(handshake_ivl: Option<Duration>) -> Fixture {
        let pull = Socket::new(SocketType::Pull).unwrap();
        let mut o = pull.options();
        o.handshake_ivl = handshake_ivl;
        o.maxmsgsize = Some(1 << 20);
        pull.set_options(o).unwrap();
        let monitor = pull.monitor();
        let endpoint = pull.bind("tcp://127.0.0.1:*").await.unwrap();
        let good = Socket::new(SocketType::Push).unwrap();
        good.connect(&endpoint).await.unwrap();
        let mut f = Fixture {
            pull,
            endpoint,
            monitor,
            good,
            sent: 0,
            received: 0,
        };
        f.exchange(10).await;
        f
    }

    /// The good peer sends `n` messages and all arrive, in order.
    async fn exchange(&mut self, n: u32) {
        for _ in 0..n {
            self.good
                .send(self.sent.to_be_bytes().to_vec())
                .await
                .unwrap();
            self.sent += 1;
        }
        while self.received < self.sent {
            let m = tokio::time::timeout(T, self.pull.recv())
                .await
                .expect("good peer starved")
                .unwrap();
            assert_eq!(&m[0][..], &self.received.to_be_bytes());
            self.received += 1;
        }
    }

    /// Waits for the event that reports the hostile peer's end.
    async fn expect_drop(&mut self) -> MonitorEvent {
        loop {
            let ev = tokio::time::timeout(T, self.monitor.recv())
                .await
                .expect("no event")
                .unwrap();
            if matches!(
                ev,
                MonitorEvent::HandshakeFailed { .. } | MonitorEvent::Disconnected { .. }
            ) {
                return ev;
            }
        }
    }

    async fn hostile(&self) -> TcpStream {
        let addr = self.endpoint.trim_start_matches("tcp://");
        TcpStream::connect(addr).await.unwrap()
    }
}

/// Reads until the peer closes; returns what it sent.
async fn read_to_close(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    tokio::time::timeout(T, s.read_to_end(&mut got))
        .await
        .expect("not closed")
        .ok();
    got
}

#[tokio::test]
async fn bad_greeting() {
    let mut f = Fixture::new(None).await;
    let mut s = f.hostile().await;
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let ev = f.expect_drop().await;
    assert!(
        matches!(
            ev,
            MonitorEvent::HandshakeFailed {
                protocol_code: Some(_),
                ..
            }
        ),
        "{ev:?}"
    );
    read_to_close(&mut s).await;
    f.exchange(100).await;
}

#[tokio::test]
async fn frame_length_2_pow_63() {
    let mut f = Fixture::new(None).await;
    let mut s = f.hostile().await;
    s.write_all(&greeting()).await.unwrap();
    s.write_all(&ready("PUSH")).await.unwrap();
    let mut frame = vec![0x02];
    frame.extend_from_slice(&(1u64 << 63).to_be_bytes());
    s.write_all(&frame).await.unwrap();
    let ev = f.expect_drop().await;
    assert!(
        matches!(&ev, MonitorEvent::Disconnected { reason, .. } if reason.contains("exceeds")),
        "{ev:?}"
    );
    f.exchange(100).await;
}

#[tokio::test]
async fn frame_over_maxmsgsize() {
    let mut f = Fixture::new(None).await;
    let mut s = f.hostile().await;
    s.write_all(&greeting()).await.unwrap();
    s.write_all(&ready("PUSH")).await.unwrap();
    let mut frame = vec![0x02];
    frame.extend_from_slice(&((1u64 << 20) + 1).to_be_bytes());
    s.write_all(&frame).await.unwrap();
    f.expect_drop().await;
    f.exchange(100).await;
}

#[tokio::test]
async fn garbage_after_ready() {
    let mut f = Fixture::new(None).await;
    let mut s = f.hostile().await;
    s.write_all(&greeting()).await.unwrap();
    s.write_all(&ready("PUSH")).await.unwrap();
    // A valid message, then a command frame whose name runs past its end.
    s.write_all(b"\x00\x03bad\x04\x03\x09ab").await.unwrap();
    let ev = f.expect_drop().await;
    assert!(matches!(ev, MonitorEvent::Disconnected { .. }), "{ev:?}");
    // The hostile peer's whole message before the garbage was delivered; the good
    // peer's stream is intact around it.
    let m = tokio::time::timeout(T, f.pull.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&m[0][..], b"bad");
    f.exchange(100).await;
}

#[tokio::test]
async fn handshake_slower_than_handshake_ivl() {
    let mut f = Fixture::new(Some(Duration::from_millis(200))).await;
    let mut s = f.hostile().await;
    s.write_all(&greeting()[..20]).await.unwrap();
    let ev = f.expect_drop().await;
    assert!(
        matches!(&ev, MonitorEvent::HandshakeFailed { protocol_code: None, reason, .. } if reason.contains("handshake")),
        "{ev:?}"
    );
    read_to_close(&mut s).await;
    f.exchange(100).await;
}

#[tokio::test]
async fn socket_type_mismatch() {
    let mut f = Fixture::new(None).await;
    let mut s = f.hostile().await;
    s.write_all(&greeting()).await.unwrap();
    s.write_all(&ready("PULL")).await.unwrap();
    let ev = f.expect_drop().await;
    assert!(
        matches!(
            ev,
            MonitorEvent::HandshakeFailed {
                protocol_code: Some(0x1000_0018),
                ..
            }
        ),
        "{ev:?}"
    );
    read_to_close(&mut s).await;
    // A zocket PULL peer is refused the same way.
    let wrong = Socket::new(SocketType::Pull).unwrap();
    wrong.connect(&f.endpoint).await.unwrap();
    f.expect_drop().await;
    f.exchange(100).await;
}

#[tokio::test]
async fn many_empty_more_frames() {
    let mut f = Fixture::new(None).await;
    let mut s = f.hostile().await;
    s.write_all(&greeting()).await.unwrap();
    s.write_all(&ready("PUSH")).await.unwrap();
    let chunk = [0x01u8, 0x00].repeat(32 * 1024);
    let writer = tokio::spawn(async move {
        for _ in 0..100 {
            if s.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let ev = f.expect_drop().await;
    assert!(
        matches!(&ev, MonitorEvent::Disconnected { reason, .. } if reason.contains("frames")),
        "{ev:?}"
    );
    let _ = tokio::time::timeout(T, writer).await;
    f.exchange(100).await;
}
