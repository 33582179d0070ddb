//! Endpoint strings: `transport://address`, parsed and printed in canonical form.
//!
//! The syntax follows libzmq's (`zmq_tcp`, `zmq_ipc`, `zmq_inproc`, `zmq_udp`). The
//! string is split at the first `://`; an empty transport or address is
//! [`Error::InvalidEndpoint`] (`EINVAL`), a transport other than `tcp`, `ipc`, `inproc` and
//! `udp` is [`Error::UnsupportedTransport`] (`EPROTONOSUPPORT`). Parsing does not know
//! whether the endpoint will be bound or connected, so forms only valid for one of them
//! (`tcp://*:*`, `ipc://*`) are accepted here and checked by `bind`/`connect`.
//!
//! | form | meaning |
//! |---|---|
//! | `tcp://127.0.0.1:5555`, `tcp://[::1]:5555` | numeric address and port |
//! | `tcp://[fe80::1%eth0]:5555` | link-local IPv6 with a zone (interface name or index) |
//! | `tcp://localhost:5555`, `tcp://eth0:5555` | DNS name (connect) or interface name (bind) |
//! | `tcp://*:5555`, `tcp://*:*`, `tcp://127.0.0.1:0` | any interface; `*` or `0` as port: OS-assigned |
//! | `tcp://eth1:0;server:5555` | connect from a source address (split at the last `;`) |
//! | `ipc:///tmp/x`, `ipc://rel/path` | Unix domain socket path |
//! | `ipc://@name` | Linux abstract socket namespace |
//! | `ipc://*` | bind to a fresh private path |
//! | `inproc://name` | in-process |
//! | `udp://*:5555`, `udp://239.0.0.1:5555`, `udp://eth0;239.0.0.1:5555`, `udp://[ff02::1]:5555` | RADIO/DISH datagrams |
//!
//! ```
//! use zocket::endpoint::{Endpoint, Host, Port};
//!
//! let ep: Endpoint = "tcp://127.0.0.1:0".parse()?;
//! let Endpoint::Tcp(tcp) = &ep else { unreachable!() };
//! assert_eq!(tcp.host, Host::Ip("127.0.0.1".parse().unwrap()));
//! assert_eq!(tcp.port, Port::Any);
//! assert_eq!(ep.to_string(), "tcp://127.0.0.1:*");
//!
//! let err = "tcp://127.0.0.1".parse::<Endpoint>().unwrap_err();
//! assert_eq!(err.errno_name(), "EINVAL");
//! # Ok::<(), zocket::error::Error>(())
//! ```

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The longest IPC address accepted, in bytes (everything after `ipc://`, including the
/// `@` of an abstract name): one less than the 108 bytes of Linux's `sun_path`, as in
/// libzmq.
pub const IPC_PATH_MAX: usize = 107;

/// The longest host or interface name accepted, in bytes (the DNS limit).
const HOST_NAME_MAX: usize = 253;

/// A parsed endpoint: a transport and its address.
///
/// Parse with [`str::parse`] (see [`FromStr`]); [`Display`](fmt::Display) prints the
/// canonical form, which parses back to an equal value.
///
/// ```
/// use zocket::endpoint::Endpoint;
///
/// let ep: Endpoint = "tcp://[0:0::1]:5555".parse()?;
/// assert_eq!(ep.transport(), "tcp");
/// assert_eq!(ep.to_string(), "tcp://[::1]:5555");
/// assert_eq!(ep.to_string().parse::<Endpoint>()?, ep);
///
/// let err = "pgm://eth0;239.192.1.1:5555".parse::<Endpoint>().unwrap_err();
/// assert_eq!(err.errno_name(), "EPROTONOSUPPORT");
/// # Ok::<(), zocket::error::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `tcp://[source;]host:port`.
    Tcp(TcpEndpoint),
    /// `ipc://path`, `ipc://@abstract` or `ipc://*`.
    Ipc(IpcEndpoint),
    /// `inproc://name`: a non-empty name, unique per context.
    Inproc(String),
    /// `udp://[interface;]host:port`, for RADIO and DISH.
    Udp(UdpEndpoint),
}

impl Endpoint {
    /// The transport's name as written before `://`: `"tcp"`, `"ipc"`, `"inproc"` or
    /// `"udp"`.
    pub fn transport(&self) -> &'static str {
        match self {
            Endpoint::Tcp(_) => "tcp",
            Endpoint::Ipc(_) => "ipc",
            Endpoint::Inproc(_) => "inproc",
            Endpoint::Udp(_) => "udp",
        }
    }

    /// Whether this is a TCP endpoint whose port is `*` or `0`, i.e. the OS picks the
    /// port on bind (read it back from the bound socket). Connecting to such an endpoint
    /// is an error.
    pub fn is_bind_wildcard_port(&self) -> bool {
        match self {
            Endpoint::Tcp(tcp) => tcp.is_bind_wildcard_port(),
            _ => false,
        }
    }
}

impl FromStr for Endpoint {
    type Err = Error;

    /// Parses an endpoint string; see the [module documentation](self) for the forms.
    ///
    /// Errors: [`Error::InvalidEndpoint`] (no `://`, empty transport or address, bad
    /// address for the transport) and [`Error::UnsupportedTransport`].
    fn from_str(s: &str) -> Result<Endpoint> {
        let invalid = |reason: &'static str| Error::InvalidEndpoint {
            endpoint: s.to_owned(),
            reason,
        };
        let (transport, address) = s
            .split_once("://")
            .ok_or_else(|| invalid("missing \"://\" between transport and address"))?;
        if transport.is_empty() {
            return Err(invalid("empty transport"));
        }
        if address.is_empty() {
            return Err(invalid("empty address"));
        }
        let parsed = match transport {
            "tcp" => parse_tcp(address).map(Endpoint::Tcp),
            "ipc" => parse_ipc(address).map(Endpoint::Ipc),
            "inproc" => Ok(Endpoint::Inproc(address.to_owned())),
            "udp" => parse_udp(address).map(Endpoint::Udp),
            _ => {
                return Err(Error::UnsupportedTransport {
                    endpoint: s.to_owned(),
                });
            }
        };
        parsed.map_err(invalid)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(tcp) => tcp.fmt(f),
            Endpoint::Ipc(ipc) => ipc.fmt(f),
            Endpoint::Inproc(name) => write!(f, "inproc://{name}"),
            Endpoint::Udp(udp) => udp.fmt(f),
        }
    }
}

/// The host part of a TCP or UDP endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Host {
    /// `*`: every interface (bind). Resolves to `0.0.0.0`; binding `[::]` when IPv6 is
    /// enabled is the socket's decision, not the endpoint's.
    Any,
    /// A numeric IPv4 address, or an IPv6 address written in brackets.
    Ip(IpAddr),
    /// An IPv6 address with a zone, `[fe80::1%eth0]` or `[fe80::1%2]`: the zone is an
    /// interface name or a numeric interface index. It is kept, not dropped, because a
    /// link-local address is ambiguous without it.
    Ipv6Zoned {
        /// The address.
        addr: Ipv6Addr,
        /// The zone as written after `%`.
        zone: String,
    },
    /// A DNS name (connect) or an interface name such as `eth0` (bind, source
    /// addresses): letters, digits, `-`, `.` and `_`, at most 253 bytes.
    Name(String),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Any => f.write_str("*"),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Ipv6Zoned { addr, zone } => write!(f, "[{addr}%{zone}]"),
            Host::Name(name) => f.write_str(name),
        }
    }
}

impl Host {
    /// Whether the host is a multicast address.
    fn is_multicast(&self) -> bool {
        match self {
            Host::Ip(ip) => ip.is_multicast(),
            Host::Ipv6Zoned { addr, .. } => addr.is_multicast(),
            Host::Any | Host::Name(_) => false,
        }
    }

    /// The socket address for a host that needs no look-up; `Ok(None)` for a name. The
    /// error is the reason a zone could not be turned into an interface index.
    fn literal_addr(&self, port: Port) -> std::result::Result<Option<SocketAddr>, &'static str> {
        let port = port.number();
        Ok(match self {
            Host::Any => Some(SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port)),
            Host::Ip(ip) => Some(SocketAddr::new(*ip, port)),
            Host::Ipv6Zoned { addr, zone } => {
                let scope = zone_index(zone).ok_or("unknown interface in IPv6 zone")?;
                Some(SocketAddrV6::new(*addr, port, 0, scope).into())
            }
            Host::Name(_) => None,
        })
    }
}

/// The port of a TCP or UDP endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// `*` or `0`: the OS assigns an ephemeral port on bind. Printed as `*`.
    Any,
    /// A port number from 1 to 65535.
    Number(u16),
}

impl Port {
    /// The port as a number, `0` for [`Port::Any`].
    pub fn number(self) -> u16 {
        match self {
            Port::Any => 0,
            Port::Number(n) => n,
        }
    }
}

impl From<u16> for Port {
    /// `0` becomes [`Port::Any`], anything else [`Port::Number`].
    fn from(n: u16) -> Port {
        if n == 0 { Port::Any } else { Port::Number(n) }
    }
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Port::Any => f.write_str("*"),
            Port::Number(n) => write!(f, "{n}"),
        }
    }
}

/// A TCP endpoint: `tcp://host:port` or `tcp://source;host:port`.
///
/// ```
/// use zocket::endpoint::{Endpoint, Host, Port};
///
/// let ep: Endpoint = "tcp://eth1:0;server1:5555".parse()?;
/// let Endpoint::Tcp(tcp) = ep else { unreachable!() };
/// let source = tcp.source.as_ref().unwrap();
/// assert_eq!(source.host, Host::Name("eth1".into()));
/// assert_eq!(source.port, Port::Any);
/// assert_eq!(tcp.host, Host::Name("server1".into()));
/// assert_eq!(tcp.port, Port::Number(5555));
/// assert_eq!(tcp.to_string(), "tcp://eth1:*;server1:5555");
/// # Ok::<(), zocket::error::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TcpEndpoint {
    /// The local address to connect from (the part before the last `;`), if given.
    pub source: Option<TcpSource>,
    /// The host to bind or connect to.
    pub host: Host,
    /// The port to bind or connect to.
    pub port: Port,
}

/// The source address of a TCP connect, `host:port` before the `;`. The host is an
/// interface name or a numeric address (never looked up in DNS); port `*`/`0` lets the
/// OS choose.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct TcpSource {
    /// The local interface or address.
    pub host: Host,
    /// The local port.
    pub port: Port,
}

impl TcpSource {
    /// The socket address to bind before connecting, when it needs no look-up:
    /// `Ok(None)` for an interface name.
    ///
    /// Errors: [`Error::InvalidEndpoint`] when an IPv6 zone names no interface.
    pub fn socket_addr(&self) -> Result<Option<SocketAddr>> {
        self.host
            .literal_addr(self.port)
            .map_err(|reason| Error::InvalidEndpoint {
                endpoint: self.to_string(),
                reason,
            })
    }
}

impl fmt::Display for TcpSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl TcpEndpoint {
    /// Whether the port is `*` or `0` (the OS picks it on bind).
    pub fn is_bind_wildcard_port(&self) -> bool {
        self.port == Port::Any
    }

    /// The address to bind or connect to when it needs no look-up: `*` gives
    /// `0.0.0.0:port`, a numeric address gives itself (with the zone's interface index
    /// for a zoned IPv6 address); `Ok(None)` for a name, which needs [`resolve`](Self::resolve).
    ///
    /// Errors: [`Error::InvalidEndpoint`] when an IPv6 zone names no interface.
    ///
    /// ```
    /// use zocket::endpoint::Endpoint;
    ///
    /// let Endpoint::Tcp(tcp) = "tcp://*:5555".parse()? else { unreachable!() };
    /// assert_eq!(tcp.bind_addr()?, Some("0.0.0.0:5555".parse().unwrap()));
    /// let Endpoint::Tcp(tcp) = "tcp://example.com:5555".parse()? else { unreachable!() };
    /// assert_eq!(tcp.bind_addr()?, None);
    /// # Ok::<(), zocket::error::Error>(())
    /// ```
    pub fn bind_addr(&self) -> Result<Option<SocketAddr>> {
        self.host
            .literal_addr(self.port)
            .map_err(|reason| Error::InvalidEndpoint {
                endpoint: self.to_string(),
                reason,
            })
    }

    /// Resolves the host to socket addresses: names through the system resolver
    /// ([`tokio::net::lookup_host`]), everything else as [`bind_addr`](Self::bind_addr)
    /// does. The source address, if any, is not resolved.
    ///
    /// Interface names (`tcp://eth0:5555`) are not mapped to their addresses yet; they go
    /// to the resolver like any name, which normally fails.
    ///
    /// Errors: [`Error::Io`] when the look-up fails (its message names the endpoint),
    /// [`Error::AddrNotAvailable`] when it finds no address, and the errors of
    /// [`bind_addr`](Self::bind_addr).
    ///
    /// ```
    /// use zocket::endpoint::Endpoint;
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> zocket::error::Result<()> {
    /// let Endpoint::Tcp(tcp) = "tcp://127.0.0.1:5555".parse()? else { unreachable!() };
    /// assert_eq!(tcp.resolve().await?, vec!["127.0.0.1:5555".parse().unwrap()]);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn resolve(&self) -> Result<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = match &self.host {
            Host::Name(name) => tokio::net::lookup_host((name.as_str(), self.port.number()))
                .await
                .map_err(|e| {
                    Error::Io(std::io::Error::new(
                        e.kind(),
                        format!("cannot resolve {name:?} for {self}: {e}"),
                    ))
                })?
                .collect(),
            _ => self.bind_addr()?.into_iter().collect(),
        };
        if addrs.is_empty() {
            return Err(Error::AddrNotAvailable {
                endpoint: self.to_string(),
            });
        }
        Ok(addrs)
    }
}

impl fmt::Display for TcpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tcp://")?;
        if let Some(source) = &self.source {
            write!(f, "{source};")?;
        }
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// An IPC (Unix domain socket) endpoint.
///
/// The address after `ipc://` may be at most [`IPC_PATH_MAX`] (107) bytes; a longer one
/// is [`Error::InvalidEndpoint`] with the reason `"path too long"` (libzmq reports
/// `ENAMETOOLONG`, zocket `EINVAL`). It may not contain a NUL byte.
///
/// ```
/// use zocket::endpoint::{Endpoint, IpcEndpoint};
///
/// let ep: Endpoint = "ipc://@zocket-test".parse()?;
/// assert_eq!(ep, Endpoint::Ipc(IpcEndpoint::Abstract(b"zocket-test".to_vec())));
/// assert_eq!("ipc://@".parse::<Endpoint>().unwrap_err().errno_name(), "EINVAL");
/// # Ok::<(), zocket::error::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IpcEndpoint {
    /// A filesystem path, absolute (`ipc:///tmp/x`) or relative (`ipc://x`).
    Path(PathBuf),
    /// `ipc://@name`: a name in Linux's abstract namespace, without the `@`. On the
    /// wire the address is a NUL byte followed by exactly these bytes (no trailing NUL).
    /// Never empty.
    Abstract(Vec<u8>),
    /// `ipc://*`: bind to a socket in a new private temporary directory.
    Any,
}

impl fmt::Display for IpcEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpcEndpoint::Path(path) => write!(f, "ipc://{}", path.display()),
            IpcEndpoint::Abstract(name) => {
                write!(f, "ipc://@{}", String::from_utf8_lossy(name))
            }
            IpcEndpoint::Any => f.write_str("ipc://*"),
        }
    }
}

/// A UDP endpoint (RADIO/DISH): `udp://host:port` or `udp://interface;group:port`.
///
/// With an interface (the part before the last `;`, an interface name or a numeric
/// non-multicast address, never looked up in DNS) the destination must be a numeric
/// multicast address.
///
/// ```
/// use zocket::endpoint::Endpoint;
///
/// let Endpoint::Udp(udp) = "udp://eth0;239.0.0.1:5555".parse()? else { unreachable!() };
/// assert_eq!(udp.interface.as_deref(), Some("eth0"));
/// assert!(udp.is_multicast());
/// assert!("udp://eth0;10.0.0.1:5555".parse::<Endpoint>().is_err());
/// # Ok::<(), zocket::error::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct UdpEndpoint {
    /// The interface to join or send the multicast group on, as written.
    pub interface: Option<String>,
    /// The address to bind (DISH) or send to (RADIO), or the multicast group.
    pub host: Host,
    /// The port.
    pub port: Port,
}

impl UdpEndpoint {
    /// Whether the host is a multicast group address (`224.0.0.0/4` or `ff00::/8`).
    pub fn is_multicast(&self) -> bool {
        self.host.is_multicast()
    }
}

impl fmt::Display for UdpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("udp://")?;
        if let Some(interface) = &self.interface {
            write!(f, "{interface};")?;
        }
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// The reason an address is invalid, wrapped into [`Error::InvalidEndpoint`] by the caller.
type Reason = &'static str;

fn parse_tcp(address: &str) -> std::result::Result<TcpEndpoint, Reason> {
    let (source, dest) = match address.rsplit_once(';') {
        Some((source, dest)) => (Some(source), dest),
        None => (None, address),
    };
    let source = match source {
        Some("") => return Err("empty source address before ';'"),
        Some(source) => {
            let (host, port) = parse_host_port(source)?;
            Some(TcpSource { host, port })
        }
        None => None,
    };
    if dest.is_empty() {
        return Err("empty address after ';'");
    }
    let (host, port) = parse_host_port(dest)?;
    Ok(TcpEndpoint { source, host, port })
}

fn parse_udp(address: &str) -> std::result::Result<UdpEndpoint, Reason> {
    let (interface, dest) = match address.rsplit_once(';') {
        Some((interface, dest)) => (Some(interface), dest),
        None => (None, address),
    };
    if dest.is_empty() {
        return Err("empty address after ';'");
    }
    let (host, port) = parse_host_port(dest)?;
    if let Some(interface) = interface {
        if parse_interface(interface)?.is_multicast() {
            return Err("the interface must not be a multicast address");
        }
        if !host.is_multicast() {
            return Err("an interface may only be given with a multicast destination");
        }
    }
    Ok(UdpEndpoint {
        interface: interface.map(str::to_owned),
        host,
        port,
    })
}

fn parse_ipc(address: &str) -> std::result::Result<IpcEndpoint, Reason> {
    if address.len() > IPC_PATH_MAX {
        return Err("path too long");
    }
    if address.contains('\0') {
        return Err("path contains a NUL byte");
    }
    if address == "*" {
        return Ok(IpcEndpoint::Any);
    }
    match address.strip_prefix('@') {
        Some("") => Err("empty abstract socket name"),
        Some(name) => Ok(IpcEndpoint::Abstract(name.as_bytes().to_vec())),
        None => Ok(IpcEndpoint::Path(PathBuf::from(address))),
    }
}

/// Parses `host:port` where host is `*`, IPv4, `[IPv6]`, `[IPv6%zone]` or a name.
fn parse_host_port(s: &str) -> std::result::Result<(Host, Port), Reason> {
    if let Some(rest) = s.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or("unclosed '[' in host")?;
        let port = match after.strip_prefix(':') {
            Some(port) => port,
            None if after.is_empty() => return Err("missing port"),
            None => return Err("expected ':' and a port after ']'"),
        };
        let host = parse_bracketed(inside)?;
        return Ok((host, parse_port(port)?));
    }
    let (host, port) = s.rsplit_once(':').ok_or("missing port")?;
    Ok((parse_bare_host(host)?, parse_port(port)?))
}

/// Parses the inside of `[...]`: an IPv6 address with an optional `%zone`.
fn parse_bracketed(inside: &str) -> std::result::Result<Host, Reason> {
    let (addr, zone) = match inside.split_once('%') {
        Some((addr, zone)) => (addr, Some(zone)),
        None => (inside, None),
    };
    let addr: Ipv6Addr = addr
        .parse()
        .map_err(|_| "brackets must enclose an IPv6 address")?;
    match zone {
        None => Ok(Host::Ip(IpAddr::V6(addr))),
        Some("") => Err("empty IPv6 zone after '%'"),
        Some(zone) if !is_name(zone) || zone.bytes().all(|b| b == b'.') => Err("invalid IPv6 zone"),
        Some(zone) => Ok(Host::Ipv6Zoned {
            addr,
            zone: zone.to_owned(),
        }),
    }
}

/// Parses a host without brackets: `*`, an IPv4 address or a name.
fn parse_bare_host(host: &str) -> std::result::Result<Host, Reason> {
    if host.is_empty() {
        return Err("empty host");
    }
    if host == "*" {
        return Ok(Host::Any);
    }
    if host.contains(':') {
        return Err("an IPv6 address must be enclosed in brackets");
    }
    if host.contains('%') {
        return Err("a zone ('%') is only allowed in a bracketed IPv6 address");
    }
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err("invalid IPv4 address");
    }
    if host.len() > HOST_NAME_MAX {
        return Err("host name too long");
    }
    if !is_name(host) {
        return Err("invalid character in host (allowed: letters, digits, '-', '.', '_')");
    }
    Ok(Host::Name(host.to_owned()))
}

/// Parses a UDP interface: `*`, a numeric address (IPv6 with or without brackets) or an
/// interface name.
fn parse_interface(interface: &str) -> std::result::Result<Host, Reason> {
    if interface.is_empty() {
        return Err("empty interface before ';'");
    }
    if let Some(rest) = interface.strip_prefix('[') {
        return match rest.strip_suffix(']') {
            Some(inside) => parse_bracketed(inside),
            None => Err("unclosed '[' in interface"),
        };
    }
    if let Ok(ip) = interface.parse::<Ipv6Addr>() {
        return Ok(Host::Ip(IpAddr::V6(ip)));
    }
    parse_bare_host(interface)
}

/// Whether `s` is a non-empty run of letters, digits, `-`, `.` and `_`.
fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

/// Parses a port: `*`, or decimal digits giving 0 to 65535 (`0` meaning any).
fn parse_port(port: &str) -> std::result::Result<Port, Reason> {
    if port.is_empty() {
        return Err("missing port");
    }
    if port == "*" {
        return Ok(Port::Any);
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err("port must be a number, '*' or 0");
    }
    let significant = port.trim_start_matches('0');
    if significant.len() > 5 {
        return Err("port out of range (at most 65535)");
    }
    let n: u32 = if significant.is_empty() {
        0
    } else {
        significant.parse().map_err(|_| "port must be a number")?
    };
    let n = u16::try_from(n).map_err(|_| "port out of range (at most 65535)")?;
    Ok(Port::from(n))
}

/// The interface index an IPv6 zone names: a number as is, an interface name through
/// `/sys/class/net` on Linux.
pub(crate) fn zone_index(zone: &str) -> Option<u32> {
    if zone.bytes().all(|b| b.is_ascii_digit()) {
        return zone.parse().ok();
    }
    interface_index(zone)
}

#[cfg(target_os = "linux")]
fn interface_index(name: &str) -> Option<u32> {
    let path = std::path::Path::new("/sys/class/net")
        .join(name)
        .join("ifindex");
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

#[cfg(not(target_os = "linux"))]
fn interface_index(_name: &str) -> Option<u32> {
    None
}
