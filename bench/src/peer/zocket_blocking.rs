//! The zocket peer through the blocking API (`zocket::blocking::Socket`, on a
//! context of one worker thread), the counterpart of libzmq's blocking calls.

use std::time::Instant;

use bytes::Bytes;
use zocket::SocketType;
use zocket::blocking::Socket;

use super::{Args, PeerError, PeerResult, Role, ThrCounter};

/// As the async peer: messages up to this size are sent with `send_copy`.
const COPY_MAX: usize = 512;

fn socket(t: SocketType) -> Result<Socket, PeerError> {
    Socket::new(t).map_err(|e| PeerError::Failed(e.to_string()))
}

/// Runs one role (tcp and ipc point-to-point roles; the others are n/a).
pub(crate) fn run(a: &Args) -> PeerResult {
    match a.role {
        Role::Pull | Role::Router => {
            let routed = a.role == Role::Router;
            let s = socket(if routed {
                SocketType::Router
            } else {
                SocketType::Pull
            })?;
            let ep = s.bind(&a.endpoint)?;
            super::ready(&ep);
            let mut c = ThrCounter::default();
            for _ in 0..a.count {
                let m = s.recv()?;
                if routed {
                    c.on_routed(m.len(), m.last().map_or(0, |f| f.len()), a.size)?;
                } else {
                    c.on_message(m.byte_len(), a.size)?;
                }
            }
            c.finish(a.count);
            s.close()?;
        }
        Role::Push | Role::Dealer => {
            let s = socket(if a.role == Role::Dealer {
                SocketType::Dealer
            } else {
                SocketType::Push
            })?;
            s.connect(&a.endpoint)?;
            let payload = Bytes::from(vec![0u8; a.size]);
            let t0 = Instant::now();
            if a.size <= COPY_MAX {
                for _ in 0..a.count {
                    s.send_copy(&payload)?;
                }
            } else {
                for _ in 0..a.count {
                    s.send(payload.clone())?;
                }
            }
            let secs = t0.elapsed().as_secs_f64();
            s.close()?;
            super::result(&[
                ("count", a.count.to_string()),
                ("secs", format!("{secs:.9}")),
            ]);
        }
        Role::Rep => {
            let s = socket(SocketType::Rep)?;
            let ep = s.bind(&a.endpoint)?;
            super::ready(&ep);
            for _ in 0..a.count + a.warmup {
                let m = s.recv()?;
                s.send(m)?;
            }
            super::result(&[("count", (a.count + a.warmup).to_string())]);
            s.close()?;
        }
        Role::Req => {
            let s = socket(SocketType::Req)?;
            s.connect(&a.endpoint)?;
            let payload = Bytes::from(vec![0u8; a.size]);
            let mut rtt = Vec::with_capacity(a.count as usize);
            for i in 0..a.warmup + a.count {
                let t0 = Instant::now();
                s.send(payload.clone())?;
                let m = s.recv()?;
                let dt = t0.elapsed().as_nanos() as u64;
                super::check_reply(m.byte_len(), a.size)?;
                if i >= a.warmup {
                    rtt.push(dt);
                }
            }
            super::latency_result(rtt);
            s.close()?;
        }
        Role::Inproc | Role::Pub | Role::Sub => {
            return Err(PeerError::Unsupported(
                "the blocking peer runs the point-to-point roles only".into(),
            ));
        }
    }
    Ok(())
}
