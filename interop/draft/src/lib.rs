//! A thin, safe handle on libzmq 4.3.5 built with its draft API, just wide enough for
//! the interop tests of zocket's draft socket types (`tests/draft.rs`).
//!
//! libzmq is compiled from the source the `zeromq-src` crate carries (see `build.rs`)
//! and linked statically. Only the C functions these tests call are declared here.

#![warn(missing_docs, unreachable_pub, rust_2018_idioms)]

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::fmt;

/// `ZMQ_SERVER`.
pub const SERVER: c_int = 12;
/// `ZMQ_CLIENT`.
pub const CLIENT: c_int = 13;
/// `ZMQ_RADIO`.
pub const RADIO: c_int = 14;
/// `ZMQ_DISH`.
pub const DISH: c_int = 15;
/// `ZMQ_GATHER`.
pub const GATHER: c_int = 16;
/// `ZMQ_SCATTER`.
pub const SCATTER: c_int = 17;
/// `ZMQ_PEER`.
pub const PEER: c_int = 19;
/// `ZMQ_CHANNEL`.
pub const CHANNEL: c_int = 20;

const ZMQ_SNDMORE: c_int = 2;
const ZMQ_LINGER: c_int = 17;
const ZMQ_RCVTIMEO: c_int = 27;
const ZMQ_SNDTIMEO: c_int = 28;
const ZMQ_LAST_ENDPOINT: c_int = 32;

/// `zmq_msg_t`: 64 opaque bytes, pointer-aligned.
#[repr(C, align(8))]
struct RawMsg([u8; 64]);

// SAFETY: these are libzmq's public C API (zmq.h, draft section included), with the
// signatures it declares; the library is linked by build.rs.
unsafe extern "C" {
    fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int);
    fn zmq_errno() -> c_int;
    fn zmq_strerror(errnum: c_int) -> *const c_char;
    fn zmq_ctx_new() -> *mut c_void;
    fn zmq_ctx_term(context: *mut c_void) -> c_int;
    fn zmq_socket(context: *mut c_void, kind: c_int) -> *mut c_void;
    fn zmq_close(socket: *mut c_void) -> c_int;
    fn zmq_setsockopt(
        socket: *mut c_void,
        option: c_int,
        value: *const c_void,
        len: usize,
    ) -> c_int;
    fn zmq_getsockopt(
        socket: *mut c_void,
        option: c_int,
        value: *mut c_void,
        len: *mut usize,
    ) -> c_int;
    fn zmq_bind(socket: *mut c_void, endpoint: *const c_char) -> c_int;
    fn zmq_connect(socket: *mut c_void, endpoint: *const c_char) -> c_int;
    fn zmq_connect_peer(socket: *mut c_void, endpoint: *const c_char) -> u32;
    fn zmq_msg_init(msg: *mut RawMsg) -> c_int;
    fn zmq_msg_init_size(msg: *mut RawMsg, size: usize) -> c_int;
    fn zmq_msg_data(msg: *mut RawMsg) -> *mut c_void;
    fn zmq_msg_size(msg: *const RawMsg) -> usize;
    fn zmq_msg_send(msg: *mut RawMsg, socket: *mut c_void, flags: c_int) -> c_int;
    fn zmq_msg_recv(msg: *mut RawMsg, socket: *mut c_void, flags: c_int) -> c_int;
    fn zmq_msg_close(msg: *mut RawMsg) -> c_int;
    fn zmq_msg_set_routing_id(msg: *mut RawMsg, routing_id: u32) -> c_int;
    fn zmq_msg_routing_id(msg: *mut RawMsg) -> u32;
    fn zmq_msg_set_group(msg: *mut RawMsg, group: *const c_char) -> c_int;
    fn zmq_msg_group(msg: *mut RawMsg) -> *const c_char;
    fn zmq_join(socket: *mut c_void, group: *const c_char) -> c_int;
}

/// A libzmq error: its errno and `zmq_strerror` text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZmqError {
    /// The errno value (`EAGAIN` = 11, `EHOSTUNREACH` = 113, …).
    pub errno: i32,
    /// libzmq's description.
    pub text: String,
}

impl fmt::Display for ZmqError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "libzmq errno {}: {}", self.errno, self.text)
    }
}

impl std::error::Error for ZmqError {}

/// The error libzmq reports for the call that just failed on this thread.
fn last_error() -> ZmqError {
    // SAFETY: zmq_errno has no preconditions; zmq_strerror returns a static string.
    let (errno, text) = unsafe {
        let e = zmq_errno();
        (
            e,
            CStr::from_ptr(zmq_strerror(e))
                .to_string_lossy()
                .into_owned(),
        )
    };
    ZmqError { errno, text }
}

fn check(rc: c_int) -> Result<(), ZmqError> {
    if rc == -1 { Err(last_error()) } else { Ok(()) }
}

/// libzmq's version, as `(major, minor, patch)`.
pub fn version() -> (i32, i32, i32) {
    let (mut a, mut b, mut c) = (0, 0, 0);
    // SAFETY: three valid out-pointers.
    unsafe { zmq_version(&mut a, &mut b, &mut c) };
    (a, b, c)
}

/// A libzmq context. Sockets borrow it, so they are closed before it terminates.
#[derive(Debug)]
pub struct Context(*mut c_void);

// SAFETY: a libzmq context is thread-safe.
unsafe impl Send for Context {}
// SAFETY: as above.
unsafe impl Sync for Context {}

impl Context {
    /// A new context.
    pub fn new() -> Context {
        // SAFETY: no preconditions.
        let ctx = unsafe { zmq_ctx_new() };
        assert!(!ctx.is_null(), "zmq_ctx_new failed: {}", last_error());
        Context(ctx)
    }

    /// A socket of type `kind` whose every wait is bounded by `timeout_ms`, with a
    /// short linger. Fails with EINVAL when libzmq was built without the draft API
    /// and `kind` is a draft type.
    pub fn socket(&self, kind: c_int, timeout_ms: i32) -> Result<LzSocket<'_>, ZmqError> {
        // SAFETY: the context is live for 'self.
        let raw = unsafe { zmq_socket(self.0, kind) };
        if raw.is_null() {
            return Err(last_error());
        }
        let s = LzSocket { raw, _ctx: self };
        s.set_int(ZMQ_RCVTIMEO, timeout_ms)?;
        s.set_int(ZMQ_SNDTIMEO, timeout_ms)?;
        s.set_int(ZMQ_LINGER, 1000)?;
        Ok(s)
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        // SAFETY: every socket borrowed the context and has been closed.
        unsafe { zmq_ctx_term(self.0) };
    }
}

/// One libzmq socket.
#[derive(Debug)]
pub struct LzSocket<'c> {
    raw: *mut c_void,
    _ctx: &'c Context,
}

// SAFETY: the draft types are libzmq's thread-safe sockets; the tests use each socket
// from one thread at a time anyway.
unsafe impl Send for LzSocket<'_> {}

/// An owned `zmq_msg_t`, closed on drop.
struct Msg(RawMsg);

impl Msg {
    fn empty() -> Msg {
        let mut m = Msg(RawMsg([0; 64]));
        // SAFETY: m.0 is a writable zmq_msg_t.
        unsafe { zmq_msg_init(&mut m.0) };
        m
    }

    fn with_data(data: &[u8]) -> Msg {
        let mut m = Msg(RawMsg([0; 64]));
        // SAFETY: m.0 is writable; after a successful init_size the message owns
        // `data.len()` writable bytes at zmq_msg_data.
        unsafe {
            assert_eq!(zmq_msg_init_size(&mut m.0, data.len()), 0, "out of memory");
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                zmq_msg_data(&mut m.0).cast::<u8>(),
                data.len(),
            );
        }
        m
    }

    fn data(&mut self) -> Vec<u8> {
        // SAFETY: an initialised message has zmq_msg_size readable bytes at its data.
        unsafe {
            let len = zmq_msg_size(&self.0);
            if len == 0 {
                return Vec::new();
            }
            std::slice::from_raw_parts(zmq_msg_data(&mut self.0).cast::<u8>(), len).to_vec()
        }
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        // SAFETY: the message was initialised and is closed once.
        unsafe { zmq_msg_close(&mut self.0) };
    }
}

fn c_endpoint(endpoint: &str) -> CString {
    CString::new(endpoint).expect("endpoint without NUL bytes")
}

impl LzSocket<'_> {
    fn set_int(&self, option: c_int, value: c_int) -> Result<(), ZmqError> {
        // SAFETY: a live socket and a pointer to an int of the size given.
        check(unsafe {
            zmq_setsockopt(
                self.raw,
                option,
                (&raw const value).cast(),
                std::mem::size_of::<c_int>(),
            )
        })
    }

    /// Sets `ZMQ_RCVTIMEO`, in milliseconds.
    pub fn set_rcvtimeo(&self, ms: i32) -> Result<(), ZmqError> {
        self.set_int(ZMQ_RCVTIMEO, ms)
    }

    /// Binds; returns the resolved endpoint (`ZMQ_LAST_ENDPOINT`).
    pub fn bind(&self, endpoint: &str) -> Result<String, ZmqError> {
        let ep = c_endpoint(endpoint);
        // SAFETY: a live socket and a NUL-terminated string.
        check(unsafe { zmq_bind(self.raw, ep.as_ptr()) })?;
        let mut buf = [0u8; 256];
        let mut len = buf.len();
        // SAFETY: buf has len writable bytes.
        check(unsafe {
            zmq_getsockopt(
                self.raw,
                ZMQ_LAST_ENDPOINT,
                buf.as_mut_ptr().cast(),
                &mut len,
            )
        })?;
        let s = CStr::from_bytes_until_nul(&buf[..len]).expect("NUL-terminated endpoint");
        Ok(s.to_string_lossy().into_owned())
    }

    /// Connects.
    pub fn connect(&self, endpoint: &str) -> Result<(), ZmqError> {
        let ep = c_endpoint(endpoint);
        // SAFETY: a live socket and a NUL-terminated string.
        check(unsafe { zmq_connect(self.raw, ep.as_ptr()) })
    }

    /// PEER: connects and returns the new connection's routing id.
    pub fn connect_peer(&self, endpoint: &str) -> Result<u32, ZmqError> {
        let ep = c_endpoint(endpoint);
        // SAFETY: a live socket and a NUL-terminated string.
        match unsafe { zmq_connect_peer(self.raw, ep.as_ptr()) } {
            0 => Err(last_error()),
            id => Ok(id),
        }
    }

    /// Sends one frame: to `routing_id` if given (SERVER, PEER), with `ZMQ_SNDMORE`
    /// if `more`.
    pub fn send_flags(
        &self,
        data: &[u8],
        routing_id: Option<u32>,
        more: bool,
    ) -> Result<(), ZmqError> {
        let mut m = Msg::with_data(data);
        if let Some(id) = routing_id {
            // SAFETY: an initialised message.
            check(unsafe { zmq_msg_set_routing_id(&mut m.0, id) })?;
        }
        let flags = if more { ZMQ_SNDMORE } else { 0 };
        // SAFETY: an initialised message and a live socket; on success libzmq takes
        // the content and leaves an empty message, which drop closes.
        check(unsafe { zmq_msg_send(&mut m.0, self.raw, flags) })
    }

    /// Sends one single-frame message.
    pub fn send(&self, data: &[u8]) -> Result<(), ZmqError> {
        self.send_flags(data, None, false)
    }

    /// Sends one single-frame message to the connection with `routing_id`.
    pub fn send_to(&self, routing_id: u32, data: &[u8]) -> Result<(), ZmqError> {
        self.send_flags(data, Some(routing_id), false)
    }

    /// Receives one message and its routing id (0 for types without one), waiting
    /// up to the socket's timeout.
    pub fn recv_routed(&self) -> Result<(u32, Vec<u8>), ZmqError> {
        let mut m = Msg::empty();
        // SAFETY: an initialised message and a live socket.
        check(unsafe { zmq_msg_recv(&mut m.0, self.raw, 0) })?;
        // SAFETY: a received message.
        let id = unsafe { zmq_msg_routing_id(&mut m.0) };
        Ok((id, m.data()))
    }

    /// Receives one message, waiting up to the socket's timeout.
    pub fn recv(&self) -> Result<Vec<u8>, ZmqError> {
        self.recv_routed().map(|(_, data)| data)
    }

    /// DISH: joins `group`.
    pub fn join(&self, group: &str) -> Result<(), ZmqError> {
        let g = CString::new(group).expect("group without NUL bytes");
        // SAFETY: a live socket and a NUL-terminated string.
        check(unsafe { zmq_join(self.raw, g.as_ptr()) })
    }

    /// RADIO: sends `data` to `group`.
    pub fn send_group(&self, group: &str, data: &[u8]) -> Result<(), ZmqError> {
        let g = CString::new(group).expect("group without NUL bytes");
        let mut m = Msg::with_data(data);
        // SAFETY: an initialised message and a NUL-terminated group (copied by libzmq).
        check(unsafe { zmq_msg_set_group(&mut m.0, g.as_ptr()) })?;
        // SAFETY: as in send_flags.
        check(unsafe { zmq_msg_send(&mut m.0, self.raw, 0) })
    }

    /// DISH: receives one message and its group, waiting up to the socket's timeout.
    pub fn recv_group(&self) -> Result<(String, Vec<u8>), ZmqError> {
        let mut m = Msg::empty();
        // SAFETY: an initialised message and a live socket.
        check(unsafe { zmq_msg_recv(&mut m.0, self.raw, 0) })?;
        // SAFETY: a received message; libzmq returns a NUL-terminated group it owns.
        let group = unsafe { CStr::from_ptr(zmq_msg_group(&mut m.0)) }
            .to_string_lossy()
            .into_owned();
        Ok((group, m.data()))
    }
}

impl Drop for LzSocket<'_> {
    fn drop(&mut self) {
        // SAFETY: a live socket, closed once.
        unsafe { zmq_close(self.raw) };
    }
}
