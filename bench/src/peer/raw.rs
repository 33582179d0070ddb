//! The raw-TCP ceiling: tokio streams, a 4-byte little-endian length before each
//! payload, writes batched through a 64 KiB `BufWriter` (frames larger than it
//! by reference, up to 256 KiB to a vectored write), reads decoded from one
//! `BytesMut` into zero-copy `Bytes` frames. No protocol, no queues, no HWM: what
//! a messaging library on tokio could reach at best with the same process split.
//!
//! The one-way roles also run over `ipc://` (tokio Unix streams), and `dealer` /
//! `router` are `push` / `pull` (no routing id: the ceiling of DEALER→ROUTER).
//! There is no inproc ceiling.

use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
use tokio::net::{TcpListener, TcpStream, UnixListener, UnixStream};

use super::{Args, PeerError, PeerResult, Role, SubCounter, ThrCounter};

/// Smallest free space offered to a read.
const READ_CHUNK: usize = 64 * 1024;
/// Write batching.
const WRITE_BUF: usize = 64 * 1024;
/// Bytes of frames larger than [`WRITE_BUF`] gathered into one vectored write
/// (zocket's engines write up to 256 KiB at a time).
const LARGE_BATCH: usize = 256 * 1024;

fn addr(endpoint: &str) -> Result<String, PeerError> {
    let hostport = endpoint
        .strip_prefix("tcp://")
        .ok_or_else(|| PeerError::Unsupported(format!("raw peer speaks tcp only: {endpoint}")))?;
    Ok(match hostport.strip_suffix(":*") {
        Some(host) => format!("{host}:0"),
        None => hostport.to_string(),
    })
}

async fn listen(endpoint: &str) -> Result<TcpListener, PeerError> {
    let l = TcpListener::bind(addr(endpoint)?).await?;
    super::ready(&format!("tcp://{}", l.local_addr()?));
    Ok(l)
}

async fn accept(l: &TcpListener) -> Result<TcpStream, PeerError> {
    let (s, _) = l.accept().await?;
    s.set_nodelay(true)?;
    Ok(s)
}

async fn dial(endpoint: &str) -> Result<TcpStream, PeerError> {
    let s = TcpStream::connect(addr(endpoint)?).await?;
    s.set_nodelay(true)?;
    Ok(s)
}

/// Splits length-prefixed frames out of a stream.
struct FrameReader<R> {
    rd: R,
    buf: BytesMut,
}

impl<R: tokio::io::AsyncRead + Unpin> FrameReader<R> {
    fn new(rd: R) -> Self {
        FrameReader {
            rd,
            buf: BytesMut::with_capacity(READ_CHUNK),
        }
    }

    async fn next(&mut self) -> std::io::Result<Bytes> {
        loop {
            let mut want = READ_CHUNK / 4;
            if self.buf.len() >= 4 {
                let len = u32::from_le_bytes([self.buf[0], self.buf[1], self.buf[2], self.buf[3]])
                    as usize;
                if self.buf.len() >= 4 + len {
                    self.buf.advance(4);
                    return Ok(self.buf.split_to(len).freeze());
                }
                want = want.max(4 + len - self.buf.len());
            }
            if self.buf.capacity() - self.buf.len() < want {
                self.buf.reserve(want.max(READ_CHUNK));
            }
            if self.rd.read_buf(&mut self.buf).await? == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
        }
    }
}

async fn write_frame<W: tokio::io::AsyncWrite + Unpin>(
    w: &mut BufWriter<W>,
    payload: &[u8],
) -> std::io::Result<()> {
    w.write_all(&(payload.len() as u32).to_le_bytes()).await?;
    w.write_all(payload).await
}

/// Receives `a.count` frames from `rd` and prints the receiver's `RESULT`.
async fn recv_all<R: tokio::io::AsyncRead + Unpin>(rd: R, a: &Args) -> PeerResult {
    let mut rd = FrameReader::new(rd);
    let mut c = ThrCounter::default();
    for _ in 0..a.count {
        let f = rd.next().await?;
        c.on_message(f.len(), a.size)?;
    }
    c.finish(a.count);
    Ok(())
}

/// Sends `a.count` frames on `wr` and prints the sender's `RESULT`.
async fn send_all<W: tokio::io::AsyncWrite + Unpin>(wr: W, a: &Args) -> PeerResult {
    let mut w = BufWriter::with_capacity(WRITE_BUF, wr);
    let payload = vec![0u8; a.size];
    let t0 = Instant::now();
    if 4 + a.size <= WRITE_BUF {
        for _ in 0..a.count {
            write_frame(&mut w, &payload).await?;
        }
    } else {
        // Frames larger than the buffer are batched by reference, several to a
        // vectored write (as a messaging library's I/O thread batches them),
        // not written one system call per frame.
        let header = (a.size as u32).to_le_bytes();
        let per_write = (LARGE_BATCH / (4 + a.size)).max(1);
        let mut left = a.count as usize;
        while left > 0 {
            let n = left.min(per_write);
            let mut slices: Vec<IoSlice<'_>> = (0..n)
                .flat_map(|_| [IoSlice::new(&header), IoSlice::new(&payload)])
                .collect();
            let mut rest = &mut slices[..];
            while !rest.is_empty() {
                let written = w.write_vectored(rest).await?;
                if written == 0 {
                    return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into());
                }
                IoSlice::advance_slices(&mut rest, written);
            }
            left -= n;
        }
    }
    w.flush().await?;
    let secs = t0.elapsed().as_secs_f64();
    w.shutdown().await?;
    super::result(&[
        ("count", a.count.to_string()),
        ("secs", format!("{secs:.9}")),
    ]);
    Ok(())
}

/// Spins for `ns` nanoseconds: a stand-in for a library's own work between a
/// receive and the send that follows it (see [`Args::work_ns`]).
fn busy(ns: u64) {
    if ns == 0 {
        return;
    }
    let t = Instant::now();
    while t.elapsed() < Duration::from_nanos(ns) {
        std::hint::spin_loop();
    }
}

/// Runs one role.
pub(crate) async fn run(a: &Args) -> PeerResult {
    match a.role {
        Role::Pull | Role::Router => match a.endpoint.strip_prefix("ipc://") {
            Some(path) => {
                let l = UnixListener::bind(path)?;
                super::ready(&a.endpoint);
                recv_all(l.accept().await?.0, a).await?;
            }
            None => {
                let l = listen(&a.endpoint).await?;
                recv_all(accept(&l).await?, a).await?;
            }
        },
        Role::Push | Role::Dealer => match a.endpoint.strip_prefix("ipc://") {
            Some(path) => send_all(UnixStream::connect(path).await?, a).await?,
            None => send_all(dial(&a.endpoint).await?, a).await?,
        },
        Role::Inproc => {
            return Err(PeerError::Unsupported(
                "the raw ceiling has no inproc transport".into(),
            ));
        }
        Role::Rep => {
            let l = listen(&a.endpoint).await?;
            let (rd, wr) = accept(&l).await?.into_split();
            let mut rd = FrameReader::new(rd);
            let mut w = BufWriter::with_capacity(WRITE_BUF, wr);
            for _ in 0..a.count + a.warmup {
                let f = rd.next().await?;
                busy(a.work_ns);
                write_frame(&mut w, &f).await?;
                w.flush().await?;
            }
            super::result(&[("count", (a.count + a.warmup).to_string())]);
        }
        Role::Req => {
            let (rd, wr) = dial(&a.endpoint).await?.into_split();
            let mut rd = FrameReader::new(rd);
            let mut w = BufWriter::with_capacity(WRITE_BUF, wr);
            let payload = vec![0u8; a.size];
            let mut rtt = Vec::with_capacity(a.count as usize);
            for i in 0..a.warmup + a.count {
                let t0 = Instant::now();
                busy(a.work_ns);
                write_frame(&mut w, &payload).await?;
                w.flush().await?;
                let f = rd.next().await?;
                let dt = t0.elapsed().as_nanos() as u64;
                super::check_reply(f.len(), a.size)?;
                if i >= a.warmup {
                    rtt.push(dt);
                }
            }
            super::latency_result(rtt);
        }
        Role::Pub => {
            // Fan-out by hand: the publisher waits for every subscriber and never
            // drops, so the slowest one paces the rest.
            let l = listen(&a.endpoint).await?;
            let mut subs = Vec::with_capacity(a.subs);
            for _ in 0..a.subs.max(1) {
                subs.push(BufWriter::with_capacity(WRITE_BUF, accept(&l).await?));
            }
            let warm = super::tagged(a.size, super::TAG_WARM);
            let data = super::tagged(a.size, super::TAG_DATA);
            let end = super::tagged(a.size, super::TAG_END);
            while super::stage() < 1 {
                for w in &mut subs {
                    write_frame(w, &warm).await?;
                    w.flush().await?;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            let t0 = Instant::now();
            for _ in 0..a.count {
                for w in &mut subs {
                    write_frame(w, &data).await?;
                }
            }
            for w in &mut subs {
                write_frame(w, &end).await?;
                w.flush().await?;
            }
            let secs = t0.elapsed().as_secs_f64();
            for _ in 0..20_000 {
                if super::stage() >= 2 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            super::result(&[
                ("count", a.count.to_string()),
                ("secs", format!("{secs:.9}")),
            ]);
        }
        Role::Sub => {
            let mut rd = FrameReader::new(dial(&a.endpoint).await?);
            let mut c = SubCounter::default();
            loop {
                let f = rd.next().await?;
                if !c.on_message(f.first().copied()) {
                    break;
                }
            }
            c.finish();
        }
    }
    Ok(())
}
