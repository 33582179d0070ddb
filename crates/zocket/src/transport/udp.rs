//! The udp:// transport: RADIO/DISH datagrams and DGRAM's raw datagrams, no ZMTP.
//!
//! Only RADIO (connect), DISH (bind) and DGRAM (bind) may use it, as in libzmq; any
//! other combination is [`Error::IncompatibleTransport`] (`ENOCOMPATPROTO`), and DGRAM
//! uses nothing else. There is no handshake and nothing travels back: a RADIO sends
//! every group to its udp:// destinations and the DISH keeps the groups it joined.
//!
//! A RADIO/DISH datagram is `[glen: u8][group: glen bytes][body]`, at most
//! [`MAX_DATAGRAM`] bytes in all; a DGRAM datagram is the payload alone, at most as
//! long. A longer send is refused ([`Error::MessageTooLarge`]); a received datagram
//! that is longer, or shorter than `1 + glen`, is ignored, and so is one that finds
//! the socket's inbound queue at RCVHWM.
//!
//! Endpoints (notes §7.1): a DISH binds `udp://*:port`, `udp://127.0.0.1:port`,
//! `udp://eth0:port` (Linux: that device) or a multicast group, `udp://239.1.1.1:port`
//! or `udp://iface;239.1.1.1:port`: it binds the wildcard address with SO_REUSEADDR
//! and SO_REUSEPORT, so several sockets may share the port, and joins the group on
//! the interface (an address, a device name, or `*`). A RADIO connects to a host
//! (names are looked up once, at connect) or a group, sending multicast out of the
//! interface given, with `multicast_hops` and `multicast_loop` applied. The port `*`
//! (or 0) binds an ephemeral port, which the returned endpoint shows.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::Arc;

use bytes::Bytes;
use socket2::{Domain, Protocol, Type};
use tokio::net::UdpSocket;
use zocket_proto::{Message, SocketType};

use crate::core::Core;
use crate::endpoint::{Endpoint, Host, Port, UdpEndpoint};
use crate::error::Error;
use crate::monitor::MonitorEvent;
use crate::options::Options;
use crate::pipe::{Outbound, Pipe};

/// The largest datagram sent or accepted, in bytes (libzmq's `MAX_UDP_MSG`).
pub(crate) const MAX_DATAGRAM: usize = 8192;

/// Datagrams taken from the socket per hand-off to the application.
const RECV_BATCH: usize = 64;

/// Refuses the socket-type/transport combinations libzmq refuses with
/// `ENOCOMPATPROTO`: udp:// is for RADIO, DISH and DGRAM only, and DGRAM speaks
/// nothing else.
pub(crate) fn check_transport(socket_type: SocketType, endpoint: &Endpoint) -> Result<(), Error> {
    let is_udp = matches!(endpoint, Endpoint::Udp(_));
    let udp_type = matches!(
        socket_type,
        SocketType::Radio | SocketType::Dish | SocketType::Dgram
    );
    if (is_udp && !udp_type) || (!is_udp && socket_type == SocketType::Dgram) {
        return Err(Error::IncompatibleTransport {
            transport: endpoint.transport(),
            socket_type,
        });
    }
    Ok(())
}

fn incompatible(socket_type: SocketType) -> Error {
    Error::IncompatibleTransport {
        transport: "udp",
        socket_type,
    }
}

fn invalid(given: &str, reason: &'static str) -> Error {
    Error::InvalidEndpoint {
        endpoint: given.to_string(),
        reason,
    }
}

/// Parses a DGRAM address frame, `ip:port` (`[ipv6]:port` for IPv6).
pub(crate) fn parse_dgram_address(frame: &[u8]) -> Option<SocketAddr> {
    std::str::from_utf8(frame).ok()?.parse().ok()
}

/// Encodes a RADIO/DISH message `[group][body]` as one datagram.
fn encode(msg: &Message, out: &mut Vec<u8>) -> bool {
    let (Some(group), Some(body)) = (msg.get(0), msg.get(1)) else {
        return false;
    };
    let Ok(glen) = u8::try_from(group.len()) else {
        return false;
    };
    out.clear();
    out.push(glen);
    out.extend_from_slice(group);
    out.extend_from_slice(body);
    true
}

/// Decodes a RADIO/DISH datagram into `[group][body]`; `None` when it is empty or
/// shorter than its group length says.
fn decode(datagram: &[u8]) -> Option<Message> {
    let (&glen, rest) = datagram.split_first()?;
    let glen = usize::from(glen);
    if rest.len() < glen {
        return None;
    }
    let mut msg = Message::single(Bytes::copy_from_slice(&rest[..glen]));
    msg.push_back(Bytes::copy_from_slice(&rest[glen..]));
    Some(msg)
}

/// An interface before `;`: where to join or send a multicast group.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Interface {
    /// `*`, or none given: the OS chooses.
    Any,
    /// A numeric IPv4 address of the interface.
    V4(Ipv4Addr),
    /// A device name (`eth0`, `lo`) or index (`2`), with its index.
    Device { name: String, index: u32 },
}

/// The index of network device `name`, or the index itself when numeric (names are
/// looked up on Linux only).
fn device_index(name: &str) -> Option<u32> {
    crate::endpoint::zone_index(name)
}

fn parse_interface(text: Option<&str>, given: &str) -> Result<Interface, Error> {
    let Some(text) = text else {
        return Ok(Interface::Any);
    };
    if text == "*" {
        return Ok(Interface::Any);
    }
    if let Ok(v4) = text.parse::<Ipv4Addr>() {
        return Ok(Interface::V4(v4));
    }
    let bare = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(text);
    if bare
        .split('%')
        .next()
        .is_some_and(|a| a.parse::<Ipv6Addr>().is_ok())
    {
        return Err(invalid(
            given,
            "an IPv6 interface must be named (eth0) or given by index, not by address",
        ));
    }
    let index = device_index(text).ok_or_else(|| invalid(given, "no such network interface"))?;
    Ok(Interface::Device {
        name: text.to_string(),
        index,
    })
}

/// The address of a numeric host (with its zone's index); `None` for `*` and names.
fn literal(host: &Host, port: u16, given: &str) -> Result<Option<SocketAddr>, Error> {
    Ok(match host {
        Host::Ip(ip) => Some(SocketAddr::new(*ip, port)),
        Host::Ipv6Zoned { addr, zone } => {
            let scope = device_index(zone)
                .ok_or_else(|| invalid(given, "unknown interface in IPv6 zone"))?;
            Some(SocketAddrV6::new(*addr, port, 0, scope).into())
        }
        _ => None,
    })
}

fn new_socket(family: &SocketAddr) -> std::io::Result<socket2::Socket> {
    let socket = socket2::Socket::new(
        Domain::for_address(*family),
        Type::DGRAM,
        Some(Protocol::UDP),
    )?;
    socket.set_nonblocking(true)?;
    Ok(socket)
}

fn apply_buffers(socket: &socket2::Socket, options: &Options) {
    if let Some(size) = options.sndbuf {
        let _ = socket.set_send_buffer_size(size);
    }
    if let Some(size) = options.rcvbuf {
        let _ = socket.set_recv_buffer_size(size);
    }
}

#[cfg(any(target_os = "linux", target_os = "android", target_os = "fuchsia"))]
fn bind_device(socket: &socket2::Socket, name: &str) -> std::io::Result<()> {
    socket.bind_device(Some(name.as_bytes()))
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_os = "fuchsia")))]
fn bind_device(_socket: &socket2::Socket, _name: &str) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "binding to a device by name needs Linux",
    ))
}

fn into_tokio(socket: socket2::Socket) -> std::io::Result<UdpSocket> {
    UdpSocket::from_std(socket.into())
}

/// Joins `group` on `interface`, receiving only the groups this socket joined.
fn join(socket: &socket2::Socket, group: SocketAddr, interface: &Interface) -> std::io::Result<()> {
    match (group, interface) {
        (SocketAddr::V4(g), Interface::Any) => {
            socket.join_multicast_v4(g.ip(), &Ipv4Addr::UNSPECIFIED)?;
        }
        (SocketAddr::V4(g), Interface::V4(addr)) => socket.join_multicast_v4(g.ip(), addr)?,
        (SocketAddr::V4(g), Interface::Device { index, .. }) => {
            join_v4_on_device(socket, g.ip(), *index)?
        }
        (SocketAddr::V6(g), Interface::Any) => socket.join_multicast_v6(g.ip(), g.scope_id())?,
        (SocketAddr::V6(g), Interface::Device { index, .. }) => {
            socket.join_multicast_v6(g.ip(), *index)?;
        }
        (SocketAddr::V6(_), Interface::V4(_)) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "an IPv6 group cannot be joined on an IPv4 interface",
            ));
        }
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    match group {
        // Linux otherwise delivers the groups other sockets of the host joined on
        // the same port.
        SocketAddr::V4(_) => socket.set_multicast_all_v4(false)?,
        SocketAddr::V6(_) => socket.set_multicast_all_v6(false)?,
    }
    Ok(())
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn join_v4_on_device(
    socket: &socket2::Socket,
    group: &Ipv4Addr,
    index: u32,
) -> std::io::Result<()> {
    socket.join_multicast_v4_n(group, &socket2::InterfaceIndexOrAddress::Index(index))
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn join_v4_on_device(
    _socket: &socket2::Socket,
    _group: &Ipv4Addr,
    _index: u32,
) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "joining an IPv4 group on a named device needs Linux; give the interface's address",
    ))
}

/// Opens the socket a DISH or DGRAM binds; returns it with the endpoint to report.
fn open_bound(
    ep: &UdpEndpoint,
    options: &Options,
    given: &str,
) -> Result<(UdpSocket, String), Error> {
    let port = ep.port.number();
    let io = |e: std::io::Error| Error::from_io_bind(e, given);
    if ep.is_multicast() {
        let group = literal(&ep.host, port, given)?
            .ok_or_else(|| invalid(given, "a multicast group must be a numeric address"))?;
        let interface = parse_interface(ep.interface.as_deref(), given)?;
        let any = match group {
            SocketAddr::V4(_) => SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port),
            SocketAddr::V6(_) => SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port),
        };
        let socket = new_socket(&any).map_err(io)?;
        // Every socket of the group may share the port.
        socket.set_reuse_address(true).map_err(io)?;
        #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
        socket.set_reuse_port(true).map_err(io)?;
        if any.is_ipv6() {
            socket.set_only_v6(true).map_err(io)?;
        }
        apply_buffers(&socket, options);
        socket.bind(&any.into()).map_err(io)?;
        join(&socket, group, &interface).map_err(io)?;
        let local = bound_port(&socket).map_err(io)?;
        let shown = UdpEndpoint {
            interface: ep.interface.clone(),
            host: ep.host.clone(),
            port: Port::from(local),
        };
        return Ok((into_tokio(socket).map_err(io)?, shown.to_string()));
    }
    let (addr, device) = match &ep.host {
        Host::Any if options.ipv6 => (SocketAddr::new(Ipv6Addr::UNSPECIFIED.into(), port), None),
        Host::Any => (SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port), None),
        Host::Name(name) => {
            // As in libzmq, a bind names a device, never a host to look up.
            if device_index(name).is_none() {
                return Err(invalid(given, "no such network interface"));
            }
            (
                SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port),
                Some(name.as_str()),
            )
        }
        host => match literal(host, port, given)? {
            Some(addr) => (addr, None),
            None => return Err(invalid(given, "cannot bind this address")),
        },
    };
    let socket = new_socket(&addr).map_err(io)?;
    if let Some(device) = device {
        bind_device(&socket, device).map_err(io)?;
    }
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        // `udp://*` with the ipv6 option: dual-stack.
        let _ = socket.set_only_v6(false);
    }
    apply_buffers(&socket, options);
    socket.bind(&addr.into()).map_err(io)?;
    let local = SocketAddr::new(addr.ip(), bound_port(&socket).map_err(io)?);
    let shown = match (&ep.host, device) {
        (_, Some(name)) => format!("udp://{name}:{}", local.port()),
        (Host::Ipv6Zoned { .. }, None) => UdpEndpoint {
            interface: None,
            host: ep.host.clone(),
            port: Port::from(local.port()),
        }
        .to_string(),
        _ => format!("udp://{local}"),
    };
    Ok((into_tokio(socket).map_err(io)?, shown))
}

fn bound_port(socket: &socket2::Socket) -> std::io::Result<u16> {
    socket
        .local_addr()?
        .as_socket()
        .map(|a| a.port())
        .ok_or_else(|| std::io::Error::other("not an IP socket"))
}

/// Opens a RADIO's socket towards `dest`, with the multicast options applied.
fn open_sender(
    dest: SocketAddr,
    interface: &Interface,
    options: &Options,
) -> std::io::Result<UdpSocket> {
    let socket = new_socket(&dest)?;
    apply_buffers(&socket, options);
    if dest.ip().is_multicast() {
        match dest {
            SocketAddr::V4(_) => {
                socket.set_multicast_loop_v4(options.multicast_loop)?;
                if options.multicast_hops > 0 {
                    socket.set_multicast_ttl_v4(options.multicast_hops)?;
                }
                match interface {
                    Interface::Any => {}
                    Interface::V4(addr) => socket.set_multicast_if_v4(addr)?,
                    Interface::Device { name, .. } => bind_device(&socket, name)?,
                }
            }
            SocketAddr::V6(d) => {
                socket.set_multicast_loop_v6(options.multicast_loop)?;
                if options.multicast_hops > 0 {
                    socket.set_multicast_hops_v6(options.multicast_hops)?;
                }
                match interface {
                    Interface::Any if d.scope_id() != 0 => {
                        socket.set_multicast_if_v6(d.scope_id())?
                    }
                    Interface::Any => {}
                    Interface::Device { index, .. } => socket.set_multicast_if_v6(*index)?,
                    Interface::V4(_) => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidInput,
                            "an IPv6 group cannot be sent on an IPv4 interface",
                        ));
                    }
                }
            }
        }
    }
    into_tokio(socket)
}

/// Looks up a RADIO's destination host; IPv4 first unless the ipv6 option is set.
async fn resolve(
    name: &str,
    port: u16,
    options: &Options,
    given: &str,
) -> Result<SocketAddr, Error> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|e| {
            Error::Io(std::io::Error::new(
                e.kind(),
                format!("cannot resolve {name:?} for {given}: {e}"),
            ))
        })?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.iter().find(|a| options.ipv6 && a.is_ipv6()))
        .copied()
        .ok_or_else(|| Error::AddrNotAvailable {
            endpoint: given.to_string(),
        })
}

/// Runs the socket's task and records the endpoint, for unbind/disconnect.
fn register(
    core: &Arc<Core>,
    endpoint: String,
    bound: bool,
    pipe: Arc<Pipe>,
    role: Role,
    socket: UdpSocket,
) {
    let task = core.spawn(run(core.clone(), socket, pipe.clone(), role));
    core.add_endpoint(endpoint, bound, task, Some(pipe));
}

/// Binds a DISH or DGRAM; returns the resolved endpoint (ephemeral port filled in).
pub(crate) fn bind(core: &Arc<Core>, ep: &UdpEndpoint, given: &str) -> Result<String, Error> {
    let role = match core.socket_type {
        SocketType::Dish => Role::Dish,
        SocketType::Dgram => Role::Dgram,
        // libzmq: a RADIO connects to its udp:// destinations, never binds.
        other => return Err(incompatible(other)),
    };
    if role == Role::Dgram
        && core
            .endpoints
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .any(|e| e.bound)
    {
        return Err(Error::NotSupported {
            operation: "binding a second endpoint (DGRAM has one socket)",
            socket_type: SocketType::Dgram,
        });
    }
    let options = core.options();
    let (socket, local) = open_bound(ep, &options, given).inspect_err(|e| {
        core.emit(MonitorEvent::BindFailed {
            endpoint: given.to_string(),
            reason: e.to_string(),
        });
    })?;
    let pipe = Arc::new(Pipe::for_datagrams(&options));
    core.attach(&pipe);
    register(core, local.clone(), true, pipe, role, socket);
    core.emit(MonitorEvent::Listening {
        endpoint: local.clone(),
    });
    Ok(local)
}

/// Connects a RADIO: resolves the destination and opens the socket now (errors are
/// reported here), then sends whatever the RADIO queues for it.
pub(crate) async fn connect(core: &Arc<Core>, ep: &UdpEndpoint, given: &str) -> Result<(), Error> {
    if core.socket_type != SocketType::Radio {
        // libzmq: a DISH (or DGRAM) binds its udp:// endpoints, never connects.
        return Err(incompatible(core.socket_type));
    }
    if matches!(ep.host, Host::Any) || ep.port == Port::Any {
        return Err(invalid(given, "connect needs a host and a port number"));
    }
    let options = core.options();
    let port = ep.port.number();
    let dest = match (&ep.host, literal(&ep.host, port, given)?) {
        (_, Some(addr)) => addr,
        (Host::Name(name), None) => resolve(name, port, &options, given).await?,
        (_, None) => return Err(invalid(given, "connect needs a host and a port number")),
    };
    let interface = parse_interface(ep.interface.as_deref(), given)?;
    let socket = open_sender(dest, &interface, &options)?;
    let pipe = Arc::new(Pipe::for_datagrams(&options));
    core.attach(&pipe);
    register(
        core,
        given.to_string(),
        false,
        pipe,
        Role::Radio(dest),
        socket,
    );
    core.emit(MonitorEvent::Connected {
        endpoint: given.to_string(),
        peer: Some(dest),
    });
    Ok(())
}

/// What a udp:// socket does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Sends `[group][body]` datagrams to one destination.
    Radio(SocketAddr),
    /// Receives `[group][body]` datagrams.
    Dish,
    /// Sends and receives `[address][payload]`.
    Dgram,
}

/// Sends one queued message; a datagram the OS refuses is lost, as UDP's are.
async fn send_one(socket: &UdpSocket, role: Role, msg: &Message, scratch: &mut Vec<u8>) {
    let sent = match role {
        Role::Radio(dest) => {
            if !encode(msg, scratch) {
                return;
            }
            socket.send_to(scratch, dest).await
        }
        Role::Dgram => {
            let (Some(addr), Some(payload)) =
                (msg.get(0).and_then(|a| parse_dgram_address(a)), msg.get(1))
            else {
                return;
            };
            socket.send_to(payload, addr).await
        }
        Role::Dish => return,
    };
    if let Err(e) = sent {
        tracing::debug!(error = %e, "udp: datagram not sent");
    }
}

/// Turns one received datagram into a message, if it is well formed.
fn receive_one(role: Role, datagram: &[u8], from: SocketAddr) -> Option<Message> {
    if datagram.len() > MAX_DATAGRAM {
        return None;
    }
    match role {
        Role::Dish => decode(datagram),
        Role::Dgram => {
            let mut msg = Message::single(from.to_string());
            msg.push_back(Bytes::copy_from_slice(datagram));
            Some(msg)
        }
        Role::Radio(_) => None,
    }
}

/// Runs one udp:// socket until the socket closes or the endpoint is removed.
async fn run(core: Arc<Core>, socket: UdpSocket, pipe: Arc<Pipe>, role: Role) {
    let sends = role != Role::Dish;
    let receives = !matches!(role, Role::Radio(_));
    let mut closing = core.closing();
    // One byte more than accepted, to tell an oversized datagram from a full one.
    let mut buf = vec![0u8; if receives { MAX_DATAGRAM + 1 } else { 0 }];
    let mut scratch = Vec::with_capacity(MAX_DATAGRAM);
    let mut drained = Vec::new();
    let mut batch = std::collections::VecDeque::new();
    loop {
        if pipe.is_terminated() {
            return;
        }
        let is_closing = *closing.borrow();
        if is_closing && core.options().linger == Some(std::time::Duration::ZERO) {
            return;
        }
        loop {
            drained.clear();
            if pipe.drain(&mut drained, 256) {
                core.notify_send_ready();
            }
            if drained.is_empty() {
                break;
            }
            for out in drained.drain(..) {
                if let (true, Outbound::Message(m)) = (sends, out) {
                    send_one(&socket, role, &m, &mut scratch).await;
                }
            }
        }
        if is_closing {
            return;
        }
        tokio::select! {
            r = socket.recv_from(&mut buf), if receives => {
                let mut failed = false;
                let mut next = Some(r);
                for _ in 0..RECV_BATCH {
                    let Some(r) = next.take() else { break };
                    match r {
                        Ok((n, from)) => batch.extend(receive_one(role, &buf[..n], from)),
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                        Err(e) => {
                            tracing::debug!(error = %e, "udp: receive failed");
                            failed = true;
                            break;
                        }
                    }
                    next = Some(socket.try_recv_from(&mut buf));
                }
                // What finds the queue at RCVHWM is dropped, as libzmq does.
                batch.truncate(pipe.inbound_room());
                core.push_inbound(&pipe, &mut batch);
                if failed {
                    // Do not spin on an error that repeats.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            }
            () = pipe.wait_outbound(), if sends => {}
            _ = closing.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datagram_layout_round_trips() {
        let mut msg = Message::single("group");
        msg.push_back("body");
        let mut out = Vec::new();
        assert!(encode(&msg, &mut out));
        assert_eq!(out, b"\x05groupbody");
        assert_eq!(decode(&out), Some(msg));
        assert_eq!(decode(b""), None);
        assert_eq!(decode(b"\x03ab"), None);
        let mut empty = Message::single("");
        empty.push_back("");
        assert_eq!(decode(b"\x00"), Some(empty));
        assert!(!encode(&Message::single("one frame"), &mut out));
        let mut long = Message::single(vec![b'g'; 256]);
        long.push_back("b");
        assert!(!encode(&long, &mut out));
    }

    #[test]
    fn interfaces_parse_as_libzmq_reads_them() {
        let given = "udp://x";
        assert_eq!(parse_interface(None, given).unwrap(), Interface::Any);
        assert_eq!(parse_interface(Some("*"), given).unwrap(), Interface::Any);
        assert_eq!(
            parse_interface(Some("127.0.0.1"), given).unwrap(),
            Interface::V4(Ipv4Addr::LOCALHOST)
        );
        assert_eq!(
            parse_interface(Some("3"), given).unwrap(),
            Interface::Device {
                name: "3".into(),
                index: 3
            }
        );
        for ipv6 in ["::1", "[::1]", "[fe80::1%2]"] {
            let e = parse_interface(Some(ipv6), given).unwrap_err();
            assert_eq!(e.errno_name(), "EINVAL", "{ipv6}");
        }
        let e = parse_interface(Some("no-such-device-zz"), given).unwrap_err();
        assert!(e.to_string().contains("no such network interface"), "{e}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn loopback_device_is_found_by_name() {
        let Interface::Device { index, .. } = parse_interface(Some("lo"), "udp://x").unwrap()
        else {
            panic!("not a device")
        };
        assert!(index > 0);
    }

    #[tokio::test]
    async fn radio_socket_carries_the_multicast_options() {
        let mut options = Options::for_type(SocketType::Radio);
        let dest: SocketAddr = "239.255.0.9:5555".parse().unwrap();
        let s = open_sender(dest, &Interface::V4(Ipv4Addr::LOCALHOST), &options).unwrap();
        let r = socket2::SockRef::from(&s);
        assert_eq!(r.multicast_ttl_v4().unwrap(), 1);
        assert!(r.multicast_loop_v4().unwrap());
        assert_eq!(r.multicast_if_v4().unwrap(), Ipv4Addr::LOCALHOST);
        options.multicast_hops = 7;
        options.multicast_loop = false;
        let s = open_sender(dest, &Interface::Any, &options).unwrap();
        let r = socket2::SockRef::from(&s);
        assert_eq!(r.multicast_ttl_v4().unwrap(), 7);
        assert!(!r.multicast_loop_v4().unwrap());
    }

    #[test]
    fn only_radio_dish_and_dgram_use_udp() {
        let udp: Endpoint = "udp://127.0.0.1:5555".parse().unwrap();
        let tcp: Endpoint = "tcp://127.0.0.1:5555".parse().unwrap();
        for t in SocketType::ALL {
            let udp_ok = matches!(t, SocketType::Radio | SocketType::Dish | SocketType::Dgram);
            assert_eq!(check_transport(t, &udp).is_ok(), udp_ok, "{t}");
            assert_eq!(
                check_transport(t, &tcp).is_ok(),
                t != SocketType::Dgram,
                "{t}"
            );
        }
        let e = check_transport(SocketType::Dgram, &tcp).unwrap_err();
        assert!(e.to_string().contains("tcp"), "{e}");
    }
}
