//! The raw engine: one task per STREAM connection, moving bytes with no ZMTP.
//!
//! Each read becomes one message (boundaries are whatever the kernel delivered, as
//! in libzmq); each message the application sends is written as it is. An empty
//! message closes the connection.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use zocket_proto::{Message, Metadata, PeerInfo, Version};

use super::{ConnInfo, EngineExit};
use crate::core::Core;
use crate::pipe::{Outbound, Pipe};

/// Bytes offered to each read (libzmq's `ZMQ_IN_BATCH_SIZE` is 8 KiB; more is fine).
const READ_CHUNK: usize = 64 * 1024;

/// Runs one raw connection until it ends.
pub(crate) async fn run<R, W>(
    core: &Arc<Core>,
    mut rd: R,
    mut wr: W,
    pipe: &Arc<Pipe>,
    _info: &ConnInfo,
) -> EngineExit
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let peer = PeerInfo {
        version: Version::V3_1,
        socket_type: None,
        identity: Bytes::new(),
        metadata: Metadata::new(),
    };
    if let Err(why) = core.ready(pipe, &peer) {
        return EngineExit::Refused(why);
    }
    let mut closing = core.closing();
    let mut out: VecDeque<Bytes> = VecDeque::new();
    let mut drained = Vec::new();
    let mut close_after_flush = false;
    let mut buf = BytesMut::new();
    loop {
        if pipe.is_terminated() {
            return EngineExit::Terminated;
        }
        drained.clear();
        if pipe.drain(&mut drained, 256) {
            core.notify_send_ready();
        }
        for o in drained.drain(..) {
            if close_after_flush {
                break;
            }
            if let Outbound::Message(m) = o {
                if m.byte_len() == 0 {
                    // The application closes this peer: write what it sent before,
                    // then close; anything queued after is dropped.
                    close_after_flush = true;
                } else {
                    out.extend(m);
                }
            }
        }
        let is_closing = *closing.borrow();
        if is_closing && out.is_empty() && pipe.queued() == 0 {
            return EngineExit::Closed;
        }
        if close_after_flush && out.is_empty() {
            return EngineExit::Terminated;
        }
        let can_read = !pipe.inbound_full();
        if buf.capacity() < READ_CHUNK / 4 {
            buf.reserve(READ_CHUNK);
        }
        tokio::select! {
            r = rd.read_buf(&mut buf), if can_read => match r {
                Ok(0) => return EngineExit::PeerClosed,
                Ok(_) => core.push_inbound(
                    pipe,
                    &mut VecDeque::from([Message::single(buf.split().freeze())]),
                ),
                Err(e) => return EngineExit::Io(e),
            },
            r = wr.write(out.front().map_or(&[][..], |b| &b[..])), if !out.is_empty() => match r {
                Ok(0) => return EngineExit::PeerClosed,
                Ok(n) => {
                    let front = out.front_mut().expect("non-empty");
                    if n >= front.len() { out.pop_front(); } else { front.advance(n); }
                }
                Err(e) => return EngineExit::Io(e),
            },
            () = pipe.wait_outbound(), if out.is_empty() && !close_after_flush => {}
            () = pipe.wait_read_resume(), if !can_read => {}
            r = closing.changed(), if !is_closing => if r.is_err() { close_after_flush = true; },
        }
    }
}
