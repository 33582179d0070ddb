//! The zmq.rs peer (crate `zeromq`), through its public API.

use std::time::{Duration, Instant};

use bytes::Bytes;
use zeromq::{Socket, SocketRecv, SocketSend, ZmqMessage};

use super::{Args, PeerError, PeerResult, Role, SubCounter, ThrCounter};

fn byte_len(m: &ZmqMessage) -> usize {
    m.iter().map(Bytes::len).sum()
}

fn first_byte(m: &ZmqMessage) -> Option<u8> {
    m.get(0).and_then(|f| f.first().copied())
}

/// Waits until the runner closes our stdin (it does once the receiver is done):
/// zmq.rs has no linger, so closing right after the last send may lose messages.
async fn wait_for_runner() {
    while super::stage() < 2 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Sends `a.count` messages of `a.size` bytes as fast as `s` takes them, prints the
/// sender's `RESULT`, then waits for the runner (no linger).
async fn send_all<S: SocketSend>(s: &mut S, a: &Args) -> PeerResult {
    let payload = Bytes::from(vec![0u8; a.size]);
    let t0 = Instant::now();
    for _ in 0..a.count {
        s.send(ZmqMessage::from(payload.clone())).await?;
    }
    let secs = t0.elapsed().as_secs_f64();
    super::result(&[
        ("count", a.count.to_string()),
        ("secs", format!("{secs:.9}")),
    ]);
    wait_for_runner().await;
    Ok(())
}

/// Runs one role.
pub(crate) async fn run(a: &Args) -> PeerResult {
    // zmq.rs does not parse `:*`; port 0 asks the OS for one the same way.
    let bind = a.endpoint.replace(":*", ":0");
    match a.role {
        Role::Pull => {
            let mut s = zeromq::PullSocket::new();
            let ep = s.bind(&bind).await?;
            super::ready(&ep.to_string());
            let mut c = ThrCounter::default();
            for _ in 0..a.count {
                let m = s.recv().await?;
                c.on_message(byte_len(&m), a.size)?;
            }
            c.finish(a.count);
            let _ = s.close().await;
        }
        Role::Push => {
            let mut s = zeromq::PushSocket::new();
            s.connect(&a.endpoint).await?;
            send_all(&mut s, a).await?;
            let _ = s.close().await;
        }
        Role::Router => {
            let mut s = zeromq::RouterSocket::new();
            let ep = s.bind(&bind).await?;
            super::ready(&ep.to_string());
            let mut c = ThrCounter::default();
            for _ in 0..a.count {
                let m = s.recv().await?;
                let body = m.iter().last().map_or(0, Bytes::len);
                c.on_routed(m.len(), body, a.size)?;
            }
            c.finish(a.count);
            let _ = s.close().await;
        }
        Role::Dealer => {
            let mut s = zeromq::DealerSocket::new();
            s.connect(&a.endpoint).await?;
            send_all(&mut s, a).await?;
            let _ = s.close().await;
        }
        Role::Inproc => {
            return Err(PeerError::Unsupported(
                "zmq.rs 0.4 has no inproc transport".into(),
            ));
        }
        Role::Rep => {
            let mut s = zeromq::RepSocket::new();
            let ep = s.bind(&bind).await?;
            super::ready(&ep.to_string());
            for _ in 0..a.count + a.warmup {
                let m = s.recv().await?;
                s.send(m).await?;
            }
            super::result(&[("count", (a.count + a.warmup).to_string())]);
            wait_for_runner().await;
            let _ = s.close().await;
        }
        Role::Req => {
            let mut s = zeromq::ReqSocket::new();
            s.connect(&a.endpoint).await?;
            let payload = Bytes::from(vec![0u8; a.size]);
            let mut rtt = Vec::with_capacity(a.count as usize);
            for i in 0..a.warmup + a.count {
                let t0 = Instant::now();
                s.send(ZmqMessage::from(payload.clone())).await?;
                let m = s.recv().await?;
                let dt = t0.elapsed().as_nanos() as u64;
                super::check_reply(byte_len(&m), a.size)?;
                if i >= a.warmup {
                    rtt.push(dt);
                }
            }
            super::latency_result(rtt);
            let _ = s.close().await;
        }
        Role::Pub => {
            let mut s = zeromq::PubSocket::new();
            let ep = s.bind(&bind).await?;
            super::ready(&ep.to_string());
            super::publish(a, async |payload: Bytes| {
                s.send(ZmqMessage::from(payload)).await?;
                Ok(())
            })
            .await?;
            let _ = s.close().await;
        }
        Role::Sub => {
            let mut s = zeromq::SubSocket::new();
            s.connect(&a.endpoint).await?;
            s.subscribe("").await?;
            let mut c = SubCounter::default();
            loop {
                let m = s.recv().await?;
                if !c.on_message(first_byte(&m)) {
                    break;
                }
            }
            c.finish();
            let _ = s.close().await;
        }
    }
    Ok(())
}
