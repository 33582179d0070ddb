//! The rzmq peer (crate `rzmq`, default features: no io_uring), through its public
//! API: one `Context` per process, terminated at the end (LINGER -1 by default, so
//! `term` waits until queued messages are written).

use std::time::Instant;

use bytes::Bytes;
use rzmq::socket::options::{LAST_ENDPOINT, LINGER, SUBSCRIBE};
use rzmq::{Context, Msg, Socket, SocketType};

use super::{Args, PeerError, PeerResult, Role, SubCounter, ThrCounter};

/// Binds and returns the resolved endpoint (rzmq's `bind` returns nothing, so it is
/// read back from `LAST_ENDPOINT`; `:*` is asked for as port 0).
async fn bind(s: &Socket, endpoint: &str) -> Result<String, PeerError> {
    s.bind(&endpoint.replace(":*", ":0")).await?;
    let ep = s.get_option(LAST_ENDPOINT).await?;
    Ok(String::from_utf8_lossy(&ep)
        .trim_end_matches('\0')
        .to_string())
}

fn first_byte(m: &Msg) -> Option<u8> {
    m.data().and_then(|d| d.first().copied())
}

/// Sends `count` messages of `size` bytes as fast as `s` takes them; returns seconds.
async fn send_all(s: &Socket, size: usize, count: u64) -> Result<f64, PeerError> {
    let payload = Bytes::from(vec![0u8; size]);
    let t0 = Instant::now();
    for _ in 0..count {
        s.send(Msg::from_bytes(payload.clone())).await?;
    }
    Ok(t0.elapsed().as_secs_f64())
}

/// Receives `a.count` messages (ROUTER: `[routing id][body]` when `routed`) and
/// prints the receiver's `RESULT`.
async fn recv_all(s: &Socket, a: &Args, routed: bool) -> PeerResult {
    let mut c = ThrCounter::default();
    for _ in 0..a.count {
        if routed {
            let m = s.recv_multipart().await?;
            c.on_routed(m.len(), m.last().map_or(0, Msg::size), a.size)?;
        } else {
            let m = s.recv().await?;
            c.on_message(m.size(), a.size)?;
        }
    }
    c.finish(a.count);
    Ok(())
}

/// Runs one role.
pub(crate) async fn run(a: &Args) -> PeerResult {
    let ctx = Context::new()?;
    let result = run_in(&ctx, a).await;
    ctx.term().await?;
    result
}

async fn run_in(ctx: &Context, a: &Args) -> PeerResult {
    match a.role {
        Role::Pull | Role::Router => {
            let routed = a.role == Role::Router;
            let s = ctx.socket(if routed {
                SocketType::Router
            } else {
                SocketType::Pull
            })?;
            super::ready(&bind(&s, &a.endpoint).await?);
            recv_all(&s, a, routed).await?;
        }
        Role::Push | Role::Dealer => {
            let s = ctx.socket(if a.role == Role::Dealer {
                SocketType::Dealer
            } else {
                SocketType::Push
            })?;
            s.connect(&a.endpoint).await?;
            let secs = send_all(&s, a.size, a.count).await?;
            super::result(&[
                ("count", a.count.to_string()),
                ("secs", format!("{secs:.9}")),
            ]);
        }
        Role::Inproc => {
            // The receiver runs here (in block_on), the sender in a task of the runtime.
            let pull = ctx.socket(SocketType::Pull)?;
            let ep = bind(&pull, &a.endpoint).await?;
            let push = ctx.socket(SocketType::Push)?;
            push.connect(&ep).await?;
            let (size, count) = (a.size, a.count);
            let sender = tokio::spawn(async move { send_all(&push, size, count).await });
            recv_all(&pull, a, false).await?;
            sender.await??;
        }
        Role::Rep => {
            let s = ctx.socket(SocketType::Rep)?;
            super::ready(&bind(&s, &a.endpoint).await?);
            for _ in 0..a.count + a.warmup {
                let m = s.recv_multipart().await?;
                s.send_multipart(m).await?;
            }
            super::result(&[("count", (a.count + a.warmup).to_string())]);
        }
        Role::Req => {
            let s = ctx.socket(SocketType::Req)?;
            s.connect(&a.endpoint).await?;
            let payload = Bytes::from(vec![0u8; a.size]);
            let mut rtt = Vec::with_capacity(a.count as usize);
            for i in 0..a.warmup + a.count {
                let t0 = Instant::now();
                s.send(Msg::from_bytes(payload.clone())).await?;
                let m = s.recv().await?;
                let dt = t0.elapsed().as_nanos() as u64;
                super::check_reply(m.size(), a.size)?;
                if i >= a.warmup {
                    rtt.push(dt);
                }
            }
            super::latency_result(rtt);
        }
        Role::Pub => {
            let s = ctx.socket(SocketType::Pub)?;
            super::ready(&bind(&s, &a.endpoint).await?);
            super::publish(a, async |payload: Bytes| {
                s.send(Msg::from_bytes(payload)).await?;
                Ok(())
            })
            .await?;
            s.set_option(LINGER, 0i32).await?;
        }
        Role::Sub => {
            let s = ctx.socket(SocketType::Sub)?;
            s.set_option_raw(SUBSCRIBE, b"").await?;
            s.connect(&a.endpoint).await?;
            let mut c = SubCounter::default();
            loop {
                let m = s.recv().await?;
                if !c.on_message(first_byte(&m)) {
                    break;
                }
            }
            c.finish();
            s.set_option(LINGER, 0i32).await?;
        }
    }
    Ok(())
}
