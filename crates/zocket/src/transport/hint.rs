//! A connection's socket as a blocking receive sleeps on it directly.
//!
//! On a multi-thread runtime, bytes that arrive for a receive waiting on the
//! application's thread take two wake-ups: the worker's `epoll_wait` returns, and
//! the worker wakes the application's thread. A blocking receive (see
//! [`blocking`](crate::blocking)) can instead sleep in a poller of its own on the
//! connection's socket and wake on the bytes themselves. The engine's read half
//! must then read although tokio's reactor has not yet marked the socket readable
//! (the worker sees the same bytes a moment later): [`ReadHint`] carries that
//! news from the poller to [`HintedRead`].

use std::io::Read;
use std::os::fd::{AsRawFd, RawFd};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

/// Most bytes a read on the poller's news takes (a request or reply; what
/// else arrived is read through tokio once its reactor has seen it).
const DIRECT_READ: usize = 8 * 1024;

/// A connection's socket, for a poller to wait on, and whether the poller saw it
/// readable since the engine last read.
#[derive(Debug)]
pub(crate) struct ReadHint {
    fd: RawFd,
    readable: AtomicBool,
}

impl ReadHint {
    /// The socket's descriptor, to register with a poller (which must not
    /// outlive the connection's use of it; see [`blocking`](crate::blocking)).
    pub(crate) fn fd(&self) -> RawFd {
        self.fd
    }

    /// A poller saw the socket readable: the engine's next read tries the socket
    /// whatever tokio's reactor says.
    pub(crate) fn mark_readable(&self) {
        self.readable.store(true, Ordering::Release);
    }

    /// Whether a poller's news waits for the engine.
    pub(crate) fn is_marked(&self) -> bool {
        self.readable.load(Ordering::Acquire)
    }
}

/// The read half of a connection that also reads on a [`ReadHint`]'s news.
pub(crate) struct HintedRead<R> {
    inner: R,
    hint: Arc<ReadHint>,
    /// Where a read on the hint's news lands (allocated on the first one).
    scratch: Vec<u8>,
}

/// The read half of a socket, which can be read without tokio.
pub(crate) trait SocketHalf: AsyncRead + Unpin {
    /// The socket.
    fn socket(&self) -> socket2::SockRef<'_>;
}

impl SocketHalf for tokio::net::tcp::OwnedReadHalf {
    fn socket(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self.as_ref())
    }
}

impl SocketHalf for tokio::net::unix::OwnedReadHalf {
    fn socket(&self) -> socket2::SockRef<'_> {
        socket2::SockRef::from(self.as_ref())
    }
}

impl<R: SocketHalf> HintedRead<R> {
    /// Wraps the read half `inner` of a socket, and gives the hint a poller
    /// marks.
    pub(crate) fn new(inner: R) -> (HintedRead<R>, Arc<ReadHint>) {
        let hint = Arc::new(ReadHint {
            fd: inner.socket().as_raw_fd(),
            readable: AtomicBool::new(false),
        });
        let read = HintedRead {
            inner,
            hint: hint.clone(),
            scratch: Vec::new(),
        };
        (read, hint)
    }
}

impl<R: SocketHalf> AsyncRead for HintedRead<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.hint.readable.load(Ordering::Acquire) && buf.remaining() > 0 {
            let want = buf.remaining().min(DIRECT_READ);
            if this.scratch.len() < want {
                this.scratch.resize(DIRECT_READ, 0);
            }
            let socket = this.inner.socket();
            match (&*socket).read(&mut this.scratch[..want]) {
                Ok(n) => {
                    // One read per news: what else arrived the reactor reports
                    // (a stream is read in larger reads, through tokio).
                    this.hint.readable.store(false, Ordering::Release);
                    buf.put_slice(&this.scratch[..n]);
                    return Poll::Ready(Ok(()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    this.hint.readable.store(false, Ordering::Release);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_marked_hint_reads_what_the_reactor_has_not_seen_yet() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut peer = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
            let (stream, _) = listener.accept().await.unwrap();
            let (rd, _wr) = stream.into_split();
            let (mut rd, hint) = HintedRead::new(rd);
            let mut cx = Context::from_waker(std::task::Waker::noop());
            let mut buf = [0u8; 16];
            let mut read = |rd: &mut HintedRead<_>| {
                let mut rb = ReadBuf::new(&mut buf);
                match Pin::new(rd).poll_read(&mut cx, &mut rb) {
                    Poll::Ready(r) => Some(r.map(|()| rb.filled().to_vec()).unwrap()),
                    Poll::Pending => None,
                }
            };
            assert_eq!(read(&mut rd), None, "nothing sent yet");
            peer.write_all(b"hello").unwrap();
            // The reactor has not run since: tokio still holds the socket unready.
            assert_eq!(read(&mut rd), None);
            hint.mark_readable();
            assert_eq!(read(&mut rd), Some(b"hello".to_vec()));
            assert!(!hint.is_marked(), "one read per news");
            // News with nothing to read falls back to the reactor.
            hint.mark_readable();
            assert_eq!(read(&mut rd), None);
            assert!(!hint.is_marked());
        });
    }
}
