//! The zocket peer, through the public `zocket::Socket` API only.

use std::time::{Duration, Instant};

use bytes::Bytes;
use zocket::{Socket, SocketType};

use super::{Args, PeerError, PeerResult, Role, SubCounter, ThrCounter};

/// Messages up to this size are sent with `Socket::send_copy` (see the PUSH role):
/// up to a few hundred bytes the copy is cheaper for the sending thread than a
/// shared `Bytes`; at 4 KiB it is dearer (zocket's `send_copy` docs).
const COPY_MAX: usize = 512;

/// Inproc messages up to this size are sent with `Socket::send_copy`: zocket's
/// inproc pipes copy them into runs, which costs no allocation; a larger copy
/// would be a message of its own, dearer than sharing the caller's `Bytes`.
const INPROC_COPY_MAX: usize = 32;

fn socket(t: SocketType) -> Result<Socket, PeerError> {
    Socket::new(t).map_err(|e| match e {
        zocket::Error::NotSupported { .. } => PeerError::Unsupported(format!("{t:?}: {e}")),
        other => PeerError::Failed(other.to_string()),
    })
}

fn first_byte(m: &zocket::Message) -> Option<u8> {
    m.first().and_then(|f| f.first().copied())
}

/// Runs one role.
pub(crate) async fn run(a: &Args) -> PeerResult {
    match a.role {
        Role::Pull | Role::Router => {
            let routed = a.role == Role::Router;
            let s = socket(if routed {
                SocketType::Router
            } else {
                SocketType::Pull
            })?;
            let ep = s.bind(&a.endpoint).await?;
            super::ready(&ep);
            let mut c = ThrCounter::default();
            for _ in 0..a.count {
                let m = s.recv().await?;
                if routed {
                    c.on_routed(m.len(), m.last().map_or(0, |f| f.len()), a.size)?;
                } else {
                    c.on_message(m.byte_len(), a.size)?;
                }
            }
            c.finish(a.count);
            s.close().await?;
        }
        Role::Push | Role::Dealer => {
            let s = socket(if a.role == Role::Dealer {
                SocketType::Dealer
            } else {
                SocketType::Push
            })?;
            s.connect(&a.endpoint).await?;
            let payload = Bytes::from(vec![0u8; a.size]);
            let t0 = Instant::now();
            // As libzmq's peer builds a message of the size in place: small
            // messages are copied (`send_copy`, straight into the connection's
            // batch, like `zmq_send`), larger ones shared (`send` of a `Bytes`,
            // like `zmq_msg_send`), whichever the library documents as cheaper.
            if a.size <= COPY_MAX {
                for _ in 0..a.count {
                    s.send_copy(&payload).await?;
                }
            } else {
                for _ in 0..a.count {
                    s.send(payload.clone()).await?;
                }
            }
            let secs = t0.elapsed().as_secs_f64();
            // LINGER is infinite by default: close waits until everything is written.
            s.close().await?;
            super::result(&[
                ("count", a.count.to_string()),
                ("secs", format!("{secs:.9}")),
            ]);
        }
        Role::Inproc => {
            // The receiver runs here (in block_on), the sender in a task of the runtime.
            let pull = socket(SocketType::Pull)?;
            let ep = pull.bind(&a.endpoint).await?;
            let push = socket(SocketType::Push)?;
            push.connect(&ep).await?;
            let (size, count) = (a.size, a.count);
            let sender = tokio::spawn(async move {
                let payload = Bytes::from(vec![0u8; size]);
                // Copied up to the size that zocket's inproc pipes encode
                // (`send_copy` docs), shared beyond it.
                if size <= INPROC_COPY_MAX {
                    for _ in 0..count {
                        push.send_copy(&payload).await?;
                    }
                } else {
                    for _ in 0..count {
                        push.send(payload.clone()).await?;
                    }
                }
                push.close().await
            });
            let mut c = ThrCounter::default();
            for _ in 0..a.count {
                let m = pull.recv().await?;
                c.on_message(m.byte_len(), a.size)?;
            }
            c.finish(a.count);
            sender.await??;
            pull.close().await?;
        }
        Role::Rep => {
            let s = socket(SocketType::Rep)?;
            let ep = s.bind(&a.endpoint).await?;
            super::ready(&ep);
            for _ in 0..a.count + a.warmup {
                let m = s.recv().await?;
                s.send(m).await?;
            }
            super::result(&[("count", (a.count + a.warmup).to_string())]);
            s.close().await?;
        }
        Role::Req => {
            let s = socket(SocketType::Req)?;
            s.connect(&a.endpoint).await?;
            let payload = Bytes::from(vec![0u8; a.size]);
            let mut rtt = Vec::with_capacity(a.count as usize);
            for i in 0..a.warmup + a.count {
                let t0 = Instant::now();
                s.send(payload.clone()).await?;
                let m = s.recv().await?;
                let dt = t0.elapsed().as_nanos() as u64;
                super::check_reply(m.byte_len(), a.size)?;
                if i >= a.warmup {
                    rtt.push(dt);
                }
            }
            super::latency_result(rtt);
            s.close().await?;
        }
        Role::Pub => {
            let s = socket(SocketType::Pub)?;
            let ep = s.bind(&a.endpoint).await?;
            super::ready(&ep);
            super::publish(a, async |payload: Bytes| {
                s.send(payload).await?;
                Ok(())
            })
            .await?;
            let mut o = s.options();
            o.linger = Some(Duration::ZERO);
            s.set_options(o)?;
            s.close().await?;
        }
        Role::Sub => {
            let s = socket(SocketType::Sub)?;
            s.subscribe(b"")?;
            s.connect(&a.endpoint).await?;
            let mut c = SubCounter::default();
            loop {
                let m = s.recv().await?;
                if !c.on_message(first_byte(&m)) {
                    break;
                }
            }
            c.finish();
            let mut o = s.options();
            o.linger = Some(Duration::ZERO);
            s.set_options(o)?;
            s.close().await?;
        }
    }
    Ok(())
}
