//! Transports: how bytes reach a peer.
//!
//! Stream transports (tcp, ipc) share one listener loop (an engine task per accepted
//! connection) and one connecter loop (dial, run an engine, reconnect with backoff);
//! each transport only knows how to bind, accept and dial.

pub(crate) mod hint;
pub(crate) mod inproc;
pub(crate) mod ipc;
pub(crate) mod shared_write;
pub(crate) mod tcp;
pub(crate) mod udp;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncRead;

use crate::core::Core;
use crate::engine::drive::drive;
use crate::engine::{self, ConnInfo, EngineExit};
use crate::error::Error;
use crate::monitor::MonitorEvent;
use crate::options::Options;
use crate::pipe::Pipe;
use shared_write::{DirectWrite, SharedWrite};

/// The read half of a connection.
pub(crate) type BoxRead = Box<dyn AsyncRead + Send + Unpin>;

/// One established connection.
pub(crate) struct Conn {
    pub(crate) rd: BoxRead,
    /// The write half, shared so that senders can write to an idle connection
    /// directly (see [`shared_write`]).
    pub(crate) wr: Arc<dyn DirectWrite>,
    /// The peer's address, where the transport has one.
    pub(crate) peer: Option<SocketAddr>,
    /// The socket, for a blocking receive to sleep on (see [`hint`]).
    pub(crate) hint: Option<Arc<hint::ReadHint>>,
}

impl Conn {
    /// A connection over split halves.
    fn new(
        rd: impl AsyncRead + Send + Unpin + 'static,
        wr: impl DirectWrite + 'static,
        peer: Option<SocketAddr>,
        hint: Option<Arc<hint::ReadHint>>,
    ) -> Conn {
        Conn {
            rd: Box::new(rd),
            wr: Arc::new(wr),
            peer,
            hint,
        }
    }
}

/// A bound listener of any stream transport.
pub(crate) enum Listener {
    Tcp(tokio::net::TcpListener),
    Ipc(ipc::IpcListener),
}

impl Listener {
    async fn accept(&self, options: &Options) -> std::io::Result<Conn> {
        match self {
            Listener::Tcp(l) => tcp::accept(l, options).await,
            Listener::Ipc(l) => l.accept().await,
        }
    }
}

/// Where a connecter dials.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Tcp(crate::endpoint::TcpEndpoint),
    Ipc(crate::endpoint::IpcEndpoint),
}

impl Target {
    async fn dial(&self, options: &Options) -> std::io::Result<Conn> {
        match self {
            Target::Tcp(ep) => tcp::dial(ep, options).await,
            Target::Ipc(ep) => ipc::dial(ep).await,
        }
    }
}

/// Runs the engine the socket type speaks: raw bytes for STREAM, ZMTP otherwise.
/// While it runs, a receive on the socket may poll it (see [`engine::drive`]).
async fn run_engine(core: &Arc<Core>, conn: Conn, pipe: &Arc<Pipe>, info: &ConnInfo) -> EngineExit {
    let (c, p, i) = (core.clone(), pipe.clone(), info.clone());
    let hint = conn.hint.clone();
    if core.socket_type == zocket_proto::SocketType::Stream {
        let engine =
            async move { engine::raw::run(&c, conn.rd, SharedWrite(conn.wr), &p, &i).await };
        drive(core, hint, engine).await
    } else {
        drive(core, hint, async move {
            engine::zmtp::run(&c, conn.rd, conn.wr, &p, &i).await
        })
        .await
    }
}

/// A pipe for one connection (or connecter) of `core`: STREAM's raw engine takes
/// whole messages, a ZMTP engine takes small ones encoded by the sender, except
/// from the types that send each message to many pipes (PUB, XPUB, RADIO): one
/// shared message per pipe costs their sender less than one copy per pipe (PUB→4
/// SUB at 256 B, quick bench: 722k–874k msg/s per subscriber with shared
/// messages, 648k–707k with copies).
fn new_pipe(core: &Core, options: &Options) -> Pipe {
    if core.socket_type == zocket_proto::SocketType::Stream
        || crate::pattern::fans_out(core.socket_type)
    {
        Pipe::for_options(options)
    } else {
        Pipe::for_zmtp(options)
    }
}

/// Starts accepting on a bound listener; `local` is the resolved endpoint.
pub(crate) fn listen(core: &Arc<Core>, listener: Listener, local: String) {
    core.emit(MonitorEvent::Listening {
        endpoint: local.clone(),
    });
    let task = core.spawn(accept_loop(core.clone(), listener, local.clone()));
    core.add_endpoint(local, true, task, None);
}

async fn accept_loop(core: Arc<Core>, listener: Listener, local: String) {
    let mut closing = core.closing();
    loop {
        let options = core.options();
        let accepted = tokio::select! {
            r = listener.accept(&options) => r,
            _ = closing.wait_for(|c| *c) => return,
        };
        match accepted {
            Ok(conn) => {
                core.emit(MonitorEvent::Accepted {
                    endpoint: local.clone(),
                    peer: conn.peer,
                });
                let info = ConnInfo {
                    endpoint: local.clone(),
                    peer: conn.peer,
                };
                let core2 = core.clone();
                core.spawn(async move {
                    let pipe = Arc::new(new_pipe(&core2, &options));
                    let exit = run_engine(&core2, conn, &pipe, &info).await;
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
pub(crate) fn connect(core: &Arc<Core>, target: Target, given: String) {
    let options = core.options();
    let pipe = Arc::new(new_pipe(core, &options));
    core.take_connect_routing_id(&pipe);
    if !options.immediate {
        core.attach(&pipe);
    }
    let task = core.spawn(connect_loop(
        core.clone(),
        target,
        given.clone(),
        pipe.clone(),
    ));
    core.add_endpoint(given, false, task, Some(pipe));
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

async fn connect_loop(core: Arc<Core>, target: Target, given: String, pipe: Arc<Pipe>) {
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
        match target.dial(&options).await {
            Ok(conn) => {
                core.emit(MonitorEvent::Connected {
                    endpoint: given.clone(),
                    peer: conn.peer,
                });
                if options.immediate {
                    core.attach(&pipe);
                }
                let info = ConnInfo {
                    endpoint: given.clone(),
                    peer: conn.peer,
                };
                let exit = run_engine(&core, conn, &pipe, &info).await;
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
        if options.reconnect_ivl.is_none() {
            core.emit(MonitorEvent::Closed {
                endpoint: given.clone(),
            });
            return;
        }
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

/// Binds `endpoint` on a stream transport and starts accepting; returns the resolved
/// endpoint.
pub(crate) async fn bind(
    core: &Arc<Core>,
    endpoint: &crate::Endpoint,
    given: &str,
) -> Result<String, Error> {
    let bound = match endpoint {
        crate::Endpoint::Tcp(ep) => tcp::bind(core, ep, given).await,
        crate::Endpoint::Ipc(ep) => ipc::bind(ep, given),
        _ => {
            return Err(Error::UnsupportedTransport {
                endpoint: given.to_string(),
            });
        }
    };
    match bound {
        Ok((listener, local)) => {
            listen(core, listener, local.clone());
            Ok(local)
        }
        Err(e) => {
            core.emit(MonitorEvent::BindFailed {
                endpoint: given.to_string(),
                reason: e.to_string(),
            });
            Err(e)
        }
    }
}
