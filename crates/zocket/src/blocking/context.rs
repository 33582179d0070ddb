//! The runtime that blocking sockets run on, and the inside-a-runtime check.

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::{Arc, Mutex};

use tokio::runtime::{Handle, Runtime};

use crate::error::{Error, Result};

/// The worker count of the process-wide default [`Context`] and of
/// [`ContextBuilder::new`]: one worker thread drives every connection, which
/// measured fastest for typical loads (the calling threads poll their own sends and
/// receives).
pub const DEFAULT_WORKER_THREADS: usize = 1;

/// The process-wide default context, started by the first socket that needs it.
static GLOBAL: Mutex<Option<Context>> = Mutex::new(None);

/// A background tokio runtime that blocking sockets run on.
///
/// Most programs never name a context: [`Socket::new`](super::Socket::new) and the
/// typed `new` constructors use the process-wide default, started on first use with
/// [`DEFAULT_WORKER_THREADS`] worker threads. Build one with [`Context::builder`] to
/// choose the worker count, either for some sockets
/// ([`Socket::with_context`](super::Socket::with_context)) or for the whole process
/// ([`ContextBuilder::build_global`], before the first socket).
///
/// A context is a cheap handle: clones share one runtime, and every socket keeps its
/// context alive. When the last clone and the last socket of a context built with
/// [`ContextBuilder::build`] are gone, its runtime stops at once, without waiting for
/// anything (use [`Socket::close`](super::Socket::close) to deliver queued messages
/// first). The process-wide default runs until the process exits.
///
/// ```
/// use zocket::blocking::{Context, Pull, Push};
/// # fn main() -> zocket::Result<()> {
/// let ctx = Context::builder().worker_threads(2).build()?;
/// let pull = Pull::with_context(&ctx)?;
/// let endpoint = pull.bind("tcp://127.0.0.1:*")?;
/// let push = Push::with_context(&ctx)?;
/// push.connect(&endpoint)?;
/// push.send("work")?;
/// assert_eq!(&pull.recv()?[0][..], b"work");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

struct Inner {
    /// Always `Some` until dropped.
    runtime: Option<Runtime>,
    handle: Handle,
    worker_threads: usize,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Dropping a runtime blocks, which panics on a thread inside another runtime;
        // this stops it without waiting, from any thread.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("worker_threads", &self.inner.worker_threads)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A builder for a context with its own runtime.
    pub fn builder() -> ContextBuilder {
        ContextBuilder::new()
    }

    /// The process-wide default context, started now if this is the first use (with
    /// [`DEFAULT_WORKER_THREADS`] workers, unless [`ContextBuilder::build_global`]
    /// installed another). Fails only if the runtime's threads cannot be started.
    pub fn global() -> Result<Context> {
        let mut global = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(ctx) = &*global {
            return Ok(ctx.clone());
        }
        let ctx = ContextBuilder::new().build()?;
        *global = Some(ctx.clone());
        Ok(ctx)
    }

    /// The number of worker threads driving this context's connections.
    pub fn worker_threads(&self) -> usize {
        self.inner.worker_threads
    }

    /// Runs `fut` to completion on the calling thread, with this context's runtime
    /// driving I/O and timers. Refuses (instead of panicking, as tokio would) on a
    /// thread that is inside a tokio runtime.
    pub(crate) fn block_on<F: Future>(&self, fut: F) -> Result<F::Output> {
        outside_runtime()?;
        Ok(self.inner.handle.block_on(fut))
    }

    /// [`block_on`](Self::block_on) of a wait of `core`'s that sleeps in
    /// `poller`, so that a reply on a connection the wait reads itself wakes the
    /// calling thread directly (see [`poller`](super::poller)).
    pub(crate) fn block_on_polled<F: Future>(
        &self,
        poller: &mut super::poller::Poller,
        core: &crate::core::Core,
        fut: F,
    ) -> Result<F::Output> {
        outside_runtime()?;
        Ok(poller.block_on(&self.inner.handle, core, fut))
    }

    /// Starts `fut` on this context's runtime; works from any thread.
    pub(crate) fn spawn<F>(&self, fut: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        drop(self.inner.handle.spawn(fut));
    }
}

/// Refuses a call that may wait on a thread inside a tokio runtime (see the
/// [module documentation](super)).
pub(crate) fn outside_runtime() -> Result<()> {
    if Handle::try_current().is_ok() {
        return Err(Error::Io(io::Error::new(
            io::ErrorKind::Unsupported,
            InsideRuntime,
        )));
    }
    Ok(())
}

/// Configures and starts a [`Context`].
///
/// ```
/// # fn main() -> zocket::Result<()> {
/// let ctx = zocket::blocking::Context::builder().worker_threads(2).build()?;
/// assert_eq!(ctx.worker_threads(), 2);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ContextBuilder {
    worker_threads: usize,
    thread_name: String,
}

impl Default for ContextBuilder {
    fn default() -> Self {
        ContextBuilder::new()
    }
}

impl ContextBuilder {
    /// The defaults: [`DEFAULT_WORKER_THREADS`] workers named `zocket-blocking`.
    pub fn new() -> ContextBuilder {
        ContextBuilder {
            worker_threads: DEFAULT_WORKER_THREADS,
            thread_name: "zocket-blocking".to_string(),
        }
    }

    /// How many worker threads drive the connections (at least 1).
    pub fn worker_threads(mut self, n: usize) -> ContextBuilder {
        self.worker_threads = n;
        self
    }

    /// The name of the runtime's threads, as debuggers and `top -H` show them.
    pub fn thread_name(mut self, name: impl Into<String>) -> ContextBuilder {
        self.thread_name = name.into();
        self
    }

    /// Starts the runtime. Fails with [`Error::InvalidOption`] for zero workers, or
    /// [`Error::Io`] if the threads cannot be started.
    pub fn build(self) -> Result<Context> {
        if self.worker_threads == 0 {
            return Err(Error::InvalidOption {
                option: "worker_threads",
                reason: "a blocking context needs at least one worker thread".into(),
            });
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.worker_threads)
            .thread_name(self.thread_name)
            .enable_all()
            .build()?;
        Ok(Context {
            inner: Arc::new(Inner {
                handle: runtime.handle().clone(),
                runtime: Some(runtime),
                worker_threads: self.worker_threads,
            }),
        })
    }

    /// Starts the runtime and makes it the process-wide default, which
    /// [`Context::global`] and every `new` constructor then use. Call it before the
    /// first blocking socket is created: once the default exists it fails with
    /// [`Error::InvalidOption`].
    ///
    /// ```
    /// # fn main() -> zocket::Result<()> {
    /// use zocket::blocking::{Context, Pair};
    /// Context::builder().worker_threads(2).build_global()?;
    /// let pair = Pair::new()?;
    /// assert_eq!(pair.as_socket().context().worker_threads(), 2);
    /// # Ok(()) }
    /// ```
    pub fn build_global(self) -> Result<Context> {
        let mut global = GLOBAL.lock().unwrap_or_else(|e| e.into_inner());
        if global.is_some() {
            return Err(Error::InvalidOption {
                option: "worker_threads",
                reason: "the process-wide blocking context is already running".into(),
            });
        }
        let ctx = self.build()?;
        *global = Some(ctx.clone());
        Ok(ctx)
    }
}

/// Why a blocking call failed on a thread that is inside a tokio runtime.
///
/// Waiting there would stall (or, in tokio's own `block_on`, panic) the runtime
/// whose thread it is, so every blocking method that may wait returns
/// [`Error::Io`] of kind [`Unsupported`](io::ErrorKind::Unsupported) (errno name
/// `ENOTSUP`) carrying this value instead. Test for it with
/// [`is_inside_runtime`]. In async code use the async [`crate::Socket`]; a thread
/// started with `std::thread::spawn` is outside any runtime, while a
/// `tokio::task::spawn_blocking` closure is inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InsideRuntime;

impl fmt::Display for InsideRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "a zocket::blocking call cannot wait on a thread inside a tokio runtime; \
             use the async zocket::Socket there, or call from a plain std::thread",
        )
    }
}

impl std::error::Error for InsideRuntime {}

/// Whether `err` is the [`InsideRuntime`] refusal of a blocking call.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> zocket::Result<()> {
/// use zocket::blocking::{Rep, is_inside_runtime};
/// let rep = Rep::new()?;
/// let err = rep.bind("tcp://127.0.0.1:*").unwrap_err();
/// assert!(is_inside_runtime(&err));
/// # Ok(()) }
/// ```
pub fn is_inside_runtime(err: &Error) -> bool {
    match err {
        Error::Io(e) => e
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<InsideRuntime>().is_some()),
        _ => false,
    }
}
