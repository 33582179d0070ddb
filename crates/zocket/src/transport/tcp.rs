//! The tcp:// transport: binding, accepting and dialing TCP connections.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpSocket, TcpStream};

use super::{Conn, Listener};
use crate::core::Core;
use crate::endpoint::{Host, TcpEndpoint};
use crate::error::Error;
use crate::options::Options;

/// Applies TCP_NODELAY, the buffer sizes, TCP_MAXRT and the keepalive options to a
/// new connection.
fn tune(stream: &TcpStream, options: &Options) {
    let _ = stream.set_nodelay(true);
    let sock = socket2::SockRef::from(stream);
    if let Some(size) = options.sndbuf {
        let _ = sock.set_send_buffer_size(size);
    }
    if let Some(size) = options.rcvbuf {
        let _ = sock.set_recv_buffer_size(size);
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Some(maxrt) = options.tcp_maxrt {
        let _ = sock.set_tcp_user_timeout(Some(maxrt));
    }
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

fn conn(stream: TcpStream, options: &Options) -> Conn {
    tune(&stream, options);
    let peer = stream.peer_addr().ok();
    let (rd, wr) = stream.into_split();
    let (rd, hint) = super::hint::HintedRead::new(rd);
    Conn::new(rd, wr, peer, Some(hint))
}

/// Binds; returns the listener and the resolved endpoint (ephemeral port filled in).
pub(crate) async fn bind(
    core: &Arc<Core>,
    ep: &TcpEndpoint,
    given: &str,
) -> Result<(Listener, String), Error> {
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
                let local = format!("tcp://{}", l.local_addr()?);
                return Ok((Listener::Tcp(l), local));
            }
            Err(e) => last_err = Some(e),
        }
    }
    let e = last_err.unwrap_or_else(|| std::io::Error::other("no address to bind"));
    Err(Error::from_io_bind(e, given))
}

/// Accepts one connection.
pub(crate) async fn accept(listener: &TcpListener, options: &Options) -> std::io::Result<Conn> {
    let (stream, _) = listener.accept().await?;
    Ok(conn(stream, options))
}

/// Checks that `ep` can be dialed (a host and a port number).
pub(crate) fn check_connect(ep: &TcpEndpoint, given: &str) -> Result<(), Error> {
    if ep.is_bind_wildcard_port() || matches!(ep.host, Host::Any) {
        return Err(Error::InvalidEndpoint {
            endpoint: given.to_string(),
            reason: "connect needs a host and a port number",
        });
    }
    Ok(())
}

/// Resolves and dials, trying each address in turn.
pub(crate) async fn dial(ep: &TcpEndpoint, options: &Options) -> std::io::Result<Conn> {
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
            Ok(s) => return Ok(conn(s, options)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("name resolved to no address")))
}
