//! The tcp:// transport: a listener task per bind, a connecter task per connect
//! (with reconnection and backoff), an engine task per connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket, TcpStream};

use crate::core::{Core, EndpointEntry};
use crate::endpoint::{Host, TcpEndpoint};
use crate::engine::{self, ConnInfo, EngineExit};
use crate::error::Error;
use crate::monitor::MonitorEvent;
use crate::options::Options;
use crate::pipe::Pipe;

fn tune(stream: &TcpStream, options: &Options) {
    let _ = stream.set_nodelay(true);
    let sock = socket2::SockRef::from(stream);
    if let Some(on) = options.tcp_keepalive {
        let _ = sock.set_keepalive(on);
        if on {
            let mut ka = socket2::TcpKeepalive::new();
            if let Some(idle) = options.tcp_keepalive_idle {
                ka = ka.with_time(idle);
            }
            if let Some(intvl) = options.tcp_keepalive_intvl {
                ka = ka.with_interval(intvl);
            }
            if let Some(cnt) = options.tcp_keepalive_cnt {
                ka = ka.with_retries(cnt);
            }
            let _ = sock.set_tcp_keepalive(&ka);
        }
    }
}

fn endpoint_text(addr: SocketAddr) -> String {
    format!("tcp://{addr}")
}

/// Binds and starts accepting; returns the resolved endpoint (ephemeral port filled in).
pub(crate) async fn bind(core: &Arc<Core>, ep: &TcpEndpoint, given: &str) -> Result<String, Error> {
    let options = core.options();
    let addrs = match (&ep.host, options.ipv6) {
        (Host::Any, true) => vec![SocketAddr::new(
            std::net::Ipv6Addr::UNSPECIFIED.into(),
            ep.port.number(),
        )],
        _ => match ep.bind_addr()? {
            Some(addr) => vec![addr],
            None => ep.resolve().await?,
        },
    };
    let mut last_err = None;
    let mut listener = None;
    for addr in addrs {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }?;
        socket.set_reuseaddr(true)?;
        match socket
            .bind(addr)
            .and_then(|()| socket.listen(options.backlog))
        {
            Ok(l) => {
                listener = Some(l);
                break;
            }
            Err(e) => last_err = Some(e),
        }
    }
    let listener = match listener {
        Some(l) => l,
        None => {
            let e = last_err.unwrap_or_else(|| std::io::Error::other("no address to bind"));
            core.emit(MonitorEvent::BindFailed {
                endpoint: given.to_string(),
                reason: e.to_string(),
            });
            return Err(Error::from_io_bind(e, given));
        }
    };
    let local = endpoint_text(listener.local_addr()?);
    core.emit(MonitorEvent::Listening {
        endpoint: local.clone(),
    });
    let task = {
        let core2 = core.clone();
        let local2 = local.clone();
        let mut tasks = core.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.spawn(accept_loop(core2, listener, local2))
    };
    core.endpoints
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(EndpointEntry {
            endpoint: local.clone(),
            bound: true,
            task,
            pipe: None,
        });
    Ok(local)
}

async fn accept_loop(core: Arc<Core>, listener: TcpListener, local: String) {
    let mut closing = core.closing();
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = closing.changed() => return,
        };
        match accepted {
            Ok((stream, peer)) => {
                let options = core.options();
                tune(&stream, &options);
                core.emit(MonitorEvent::Accepted {
                    endpoint: local.clone(),
                    peer: Some(peer),
                });
                let info = ConnInfo {
                    endpoint: local.clone(),
                    peer: Some(peer),
                };
                let core2 = core.clone();
                let mut tasks = core.tasks.lock().unwrap_or_else(|e| e.into_inner());
                tasks.spawn(async move {
                    let pipe = Arc::new(Pipe::new(options.sndhwm, options.rcvhwm));
                    let (rd, wr) = stream.into_split();
                    let exit = engine::run(&core2, rd, wr, &pipe, &info).await;
                    core2.emit(exit.event(&info));
                    core2.detach(&pipe);
                });
            }
            Err(e) => {
                core.emit(MonitorEvent::AcceptFailed {
                    endpoint: local.clone(),
                    reason: e.to_string(),
                });
                // Out of file descriptors and the like: back off briefly.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Starts connecting (returns at once); messages queue on the pipe meanwhile.
pub(crate) fn connect(core: &Arc<Core>, ep: TcpEndpoint, given: String) -> Result<(), Error> {
    if ep.is_bind_wildcard_port() || matches!(ep.host, Host::Any) {
        return Err(Error::InvalidEndpoint {
            endpoint: given,
            reason: "connect needs a host and a port number",
        });
    }
    let options = core.options();
    let pipe = Arc::new(Pipe::new(options.sndhwm, options.rcvhwm));
    core.take_connect_routing_id(&pipe);
    if !options.immediate {
        core.attach(&pipe);
    }
    let task = {
        let mut tasks = core.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.spawn(connect_loop(core.clone(), ep, given.clone(), pipe.clone()))
    };
    core.endpoints
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(EndpointEntry {
            endpoint: given,
            bound: false,
            task,
            pipe: Some(pipe),
        });
    Ok(())
}

async fn dial(ep: &TcpEndpoint, options: &Options) -> std::io::Result<TcpStream> {
    let addrs = ep.resolve().await.map_err(std::io::Error::other)?;
    let mut last = None;
    for addr in addrs {
        let attempt = TcpStream::connect(addr);
        let r = match options.connect_timeout {
            Some(t) => tokio::time::timeout(t, attempt)
                .await
                .unwrap_or_else(|_| Err(std::io::ErrorKind::TimedOut.into())),
            None => attempt.await,
        };
        match r {
            Ok(s) => return Ok(s),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("name resolved to no address")))
}

fn next_interval(options: &Options, current: Duration) -> Duration {
    match options.reconnect_ivl_max {
        Some(max) if max > current => (current * 2).min(max),
        Some(max) => max,
        None => current,
    }
}

fn jitter(ivl: Duration, options: &Options) -> Duration {
    if options.reconnect_ivl_max.is_some() {
        return ivl;
    }
    // libzmq: without a maximum, each wait is IVL + random(0..IVL).
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let ms = ivl.as_millis() as u64;
    ivl + Duration::from_millis(if ms == 0 { 0 } else { u64::from(nanos) % ms })
}

async fn connect_loop(core: Arc<Core>, ep: TcpEndpoint, given: String, pipe: Arc<Pipe>) {
    let mut closing = core.closing();
    let mut ivl = core
        .options()
        .reconnect_ivl
        .unwrap_or(Duration::from_millis(100));
    loop {
        if pipe.is_terminated() {
            return;
        }
        let options = core.options();
        if *closing.borrow() && pipe.queued() == 0 {
            return;
        }
        match dial(&ep, &options).await {
            Ok(stream) => {
                tune(&stream, &options);
                let peer = stream.peer_addr().ok();
                core.emit(MonitorEvent::Connected {
                    endpoint: given.clone(),
                    peer,
                });
                if options.immediate {
                    core.attach(&pipe);
                }
                let info = ConnInfo {
                    endpoint: given.clone(),
                    peer,
                };
                let (rd, wr) = stream.into_split();
                let exit = engine::run(&core, rd, wr, &pipe, &info).await;
                core.emit(exit.event(&info));
                core.disconnected(pipe.id());
                if options.immediate {
                    core.suspend(&pipe);
                }
                match exit {
                    EngineExit::Closed | EngineExit::Terminated => return,
                    ref e if e.is_fatal_for_endpoint() => {
                        core.emit(MonitorEvent::Closed {
                            endpoint: given.clone(),
                        });
                        core.detach(&pipe);
                        return;
                    }
                    _ => ivl = options.reconnect_ivl.unwrap_or(ivl),
                }
            }
            Err(e) => {
                core.emit(MonitorEvent::ConnectDelayed {
                    endpoint: given.clone(),
                    reason: e.to_string(),
                });
            }
        }
        let Some(_) = options.reconnect_ivl else {
            core.emit(MonitorEvent::Closed {
                endpoint: given.clone(),
            });
            return;
        };
        let wait = jitter(ivl, &options);
        core.emit(MonitorEvent::ConnectRetried {
            endpoint: given.clone(),
            interval: wait,
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = closing.changed(), if !*closing.borrow() => {}
        }
        ivl = next_interval(&options, ivl);
    }
}
