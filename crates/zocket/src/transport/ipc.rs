//! The ipc:// transport: Unix domain stream sockets, with filesystem paths, Linux
//! abstract names (`ipc://@name`) and `ipc://*` (a socket in a new private
//! temporary directory).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::net::{UnixListener, UnixStream};

use super::{Conn, Listener};
use crate::endpoint::IpcEndpoint;
use crate::error::Error;

/// A bound Unix listener that removes its socket file (and the private directory of
/// `ipc://*`) when dropped.
pub(crate) struct IpcListener {
    listener: UnixListener,
    cleanup: Option<PathBuf>,
    private_dir: Option<PathBuf>,
}

impl Drop for IpcListener {
    fn drop(&mut self) {
        if let Some(path) = &self.cleanup {
            let _ = std::fs::remove_file(path);
        }
        if let Some(dir) = &self.private_dir {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

impl IpcListener {
    /// Accepts one connection.
    pub(crate) async fn accept(&self) -> std::io::Result<Conn> {
        let (stream, _) = self.listener.accept().await?;
        Ok(conn(stream))
    }
}

fn conn(stream: UnixStream) -> Conn {
    let (rd, wr) = stream.into_split();
    let (rd, hint) = super::hint::HintedRead::new(rd);
    Conn::new(rd, wr, None, Some(hint))
}

#[cfg(target_os = "linux")]
fn abstract_addr(name: &[u8]) -> std::io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    std::os::unix::net::SocketAddr::from_abstract_name(name)
}

#[cfg(not(target_os = "linux"))]
fn abstract_addr(_name: &[u8]) -> std::io::Result<std::os::unix::net::SocketAddr> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "abstract socket names are Linux-only",
    ))
}

/// A new private directory for `ipc://*`, under `$TMPDIR` (or the system default).
fn private_dir() -> std::io::Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = std::env::temp_dir();
    loop {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("zocket-{}-{n}-{nanos:08x}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

fn bind_path(path: &Path) -> std::io::Result<UnixListener> {
    // As libzmq does, binding replaces a socket file left by an earlier process.
    if std::fs::symlink_metadata(path).is_ok_and(|m| {
        use std::os::unix::fs::FileTypeExt;
        m.file_type().is_socket()
    }) {
        let _ = std::fs::remove_file(path);
    }
    UnixListener::bind(path)
}

/// Binds; returns the listener and the resolved endpoint.
pub(crate) fn bind(ep: &IpcEndpoint, given: &str) -> Result<(Listener, String), Error> {
    let io = |e| Error::from_io_bind(e, given);
    let (listener, cleanup, private, text) = match ep {
        IpcEndpoint::Path(path) => {
            let l = bind_path(path).map_err(io)?;
            (
                l,
                Some(path.clone()),
                None,
                format!("ipc://{}", path.display()),
            )
        }
        IpcEndpoint::Abstract(name) => {
            let addr = abstract_addr(name).map_err(io)?;
            let std_listener = std::os::unix::net::UnixListener::bind_addr(&addr).map_err(io)?;
            std_listener.set_nonblocking(true).map_err(io)?;
            let l = UnixListener::from_std(std_listener).map_err(io)?;
            (
                l,
                None,
                None,
                format!("ipc://@{}", String::from_utf8_lossy(name)),
            )
        }
        IpcEndpoint::Any => {
            let dir = private_dir().map_err(io)?;
            let path = dir.join("socket");
            let l = bind_path(&path).map_err(io)?;
            let text = format!("ipc://{}", path.display());
            (l, Some(path), Some(dir), text)
        }
    };
    let listener = IpcListener {
        listener,
        cleanup,
        private_dir: private,
    };
    Ok((Listener::Ipc(listener), text))
}

/// Checks that `ep` can be dialed (`ipc://*` cannot).
pub(crate) fn check_connect(ep: &IpcEndpoint, given: &str) -> Result<(), Error> {
    if matches!(ep, IpcEndpoint::Any) {
        return Err(Error::InvalidEndpoint {
            endpoint: given.to_string(),
            reason: "ipc://* can only be bound",
        });
    }
    Ok(())
}

/// Dials a Unix socket.
pub(crate) async fn dial(ep: &IpcEndpoint) -> std::io::Result<Conn> {
    let stream = match ep {
        IpcEndpoint::Path(path) => UnixStream::connect(path).await?,
        IpcEndpoint::Abstract(name) => {
            let addr = abstract_addr(name)?;
            // A Unix-domain connect completes or fails at once; it never waits on a network.
            let std_stream = std::os::unix::net::UnixStream::connect_addr(&addr)?;
            std_stream.set_nonblocking(true)?;
            UnixStream::from_std(std_stream)?
        }
        IpcEndpoint::Any => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "ipc://* cannot be dialed",
            ));
        }
    };
    Ok(conn(stream))
}
