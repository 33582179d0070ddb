//! A stream's write half shared by its engine and, while the connection is idle,
//! the socket's senders.
//!
//! An engine with nothing to write lends the write half to its pipe
//! ([`Pipe::lend`](crate::pipe::Pipe::lend)); the next small message sent on that
//! pipe is written by the sending thread itself, without waking the engine's task.
//! That takes one thread hand-off out of each request and reply. Engines lend
//! only where that pays: on a current-thread runtime, or when the process may
//! use one CPU, and never for a blocking socket (see
//! `engine::zmtp::lends_write_half` and `Core::set_direct_writes`). The engine takes
//! the half back ([`Pipe::reclaim`](crate::pipe::Pipe::reclaim)) before it writes
//! anything itself, and both sides write only under the pipe's lock, so bytes never
//! interleave.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tokio::io::AsyncWrite;

/// A write half that can be written through a shared reference.
pub(crate) trait DirectWrite: Send + Sync {
    /// Waits until the stream may accept bytes.
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;
    /// Writes what the kernel takes now; `WouldBlock` when it takes nothing.
    fn try_write(&self, buf: &[u8]) -> io::Result<usize>;
    /// Vectored [`try_write`](Self::try_write).
    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize>;
}

impl DirectWrite for tokio::net::tcp::OwnedWriteHalf {
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.as_ref().poll_write_ready(cx)
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.as_ref().try_write(buf)
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.as_ref().try_write_vectored(bufs)
    }
}

impl DirectWrite for tokio::net::unix::OwnedWriteHalf {
    fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.as_ref().poll_write_ready(cx)
    }

    fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        self.as_ref().try_write(buf)
    }

    fn try_write_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.as_ref().try_write_vectored(bufs)
    }
}

/// The engine's view of a shared write half, as an [`AsyncWrite`]. The stream's
/// write side shuts down when the last holder drops it.
pub(crate) struct SharedWrite(pub(crate) Arc<dyn DirectWrite>);

impl SharedWrite {
    fn poll_with(
        &self,
        cx: &mut Context<'_>,
        mut op: impl FnMut(&dyn DirectWrite) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        loop {
            ready!(self.0.poll_write_ready(cx))?;
            match op(&*self.0) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                r => return Poll::Ready(r),
            }
        }
    }
}

impl AsyncWrite for SharedWrite {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_with(cx, |w| w.try_write(buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_with(cx, |w| w.try_write_vectored(bufs))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // The write side shuts down when the last reference to the half is dropped.
        Poll::Ready(Ok(()))
    }
}
