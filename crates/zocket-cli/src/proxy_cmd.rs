//! `zocket proxy`: forwards between a frontend and a backend socket (and copies to
//! an optional capture socket), e.g. an XSUB/XPUB hub or a ROUTER/DEALER queue.

use std::time::Duration;

use clap::Args;
use zocket::proxy::Proxy;
use zocket::{Error, Options, Socket, SocketType};

use crate::failure::Failure;

/// Arguments of `zocket proxy`.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// The frontend's socket type (xsub, router, pull, …).
    #[arg(long, value_name = "TYPE")]
    frontend: String,
    /// Binds the frontend to ENDPOINT (repeatable).
    #[arg(long = "frontend-bind", value_name = "ENDPOINT")]
    frontend_bind: Vec<String>,
    /// Connects the frontend to ENDPOINT (repeatable).
    #[arg(long = "frontend-connect", value_name = "ENDPOINT")]
    frontend_connect: Vec<String>,
    /// The backend's socket type (xpub, dealer, push, …).
    #[arg(long, value_name = "TYPE")]
    backend: String,
    /// Binds the backend to ENDPOINT (repeatable).
    #[arg(long = "backend-bind", value_name = "ENDPOINT")]
    backend_bind: Vec<String>,
    /// Connects the backend to ENDPOINT (repeatable).
    #[arg(long = "backend-connect", value_name = "ENDPOINT")]
    backend_connect: Vec<String>,
    /// A capture socket's type (push, pub, …): every forwarded message is copied to it.
    #[arg(long, value_name = "TYPE")]
    capture: Option<String>,
    /// Binds the capture socket to ENDPOINT (repeatable).
    #[arg(long = "capture-bind", value_name = "ENDPOINT")]
    capture_bind: Vec<String>,
    /// Connects the capture socket to ENDPOINT (repeatable).
    #[arg(long = "capture-connect", value_name = "ENDPOINT")]
    capture_connect: Vec<String>,
    /// Sets an option on every socket of the proxy (repeatable), e.g. -o sndhwm=10.
    #[arg(short = 'o', long = "option", value_name = "NAME=VALUE")]
    options: Vec<String>,
    /// Stops after forwarding N messages from the frontend to the backend, then prints
    /// the statistics. Default: runs until interrupted.
    #[arg(short = 'n', long, value_name = "N")]
    count: Option<u64>,
}

async fn open(
    role: &str,
    kind: &str,
    bind: &[String],
    connect: &[String],
    options: &[String],
) -> Result<Socket, Failure> {
    let t = SocketType::from_name_ignore_case(kind)
        .ok_or_else(|| Failure::new(format!("unknown socket type {kind:?} for the {role}")))?;
    let socket =
        Socket::new(t).map_err(|e| Failure::new(format!("cannot create the {role}: {e}")))?;
    let mut o: Options = socket.options();
    crate::run::apply_options(&mut o, options)?;
    socket
        .set_options(o)
        .map_err(|e| Failure::new(e.to_string()))?;
    if bind.is_empty() && connect.is_empty() {
        return Err(Failure::new(format!(
            "the {role} needs --{role}-bind or --{role}-connect"
        )));
    }
    for ep in bind {
        let bound = socket
            .bind(ep)
            .await
            .map_err(|e| Failure::endpoint("bind", ep, e))?;
        eprintln!("zocket: {role} bound {bound}");
    }
    for ep in connect {
        socket
            .connect(ep)
            .await
            .map_err(|e| Failure::endpoint("connect", ep, e))?;
    }
    Ok(socket)
}

/// Runs the proxy.
pub(crate) async fn run(a: &ProxyArgs) -> Result<(), Failure> {
    let frontend = open(
        "frontend",
        &a.frontend,
        &a.frontend_bind,
        &a.frontend_connect,
        &a.options,
    )
    .await?;
    let backend = open(
        "backend",
        &a.backend,
        &a.backend_bind,
        &a.backend_connect,
        &a.options,
    )
    .await?;
    let mut proxy = Proxy::new(frontend, backend);
    if let Some(kind) = &a.capture {
        proxy = proxy.with_capture(
            open(
                "capture",
                kind,
                &a.capture_bind,
                &a.capture_connect,
                &a.options,
            )
            .await?,
        );
    }
    let control = proxy.control();
    let running = tokio::spawn(proxy.run());
    if let Some(n) = a.count {
        while control.statistics().backend.messages_out < n && !running.is_finished() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        control.terminate();
    }
    let result = running
        .await
        .map_err(|e| Failure::new(format!("proxy stopped: {e}")))?;
    let s = control.statistics();
    eprintln!(
        "zocket: proxy forwarded {} messages ({} bytes) frontend->backend and {} ({} bytes) backend->frontend",
        s.backend.messages_out, s.backend.bytes_out, s.frontend.messages_out, s.frontend.bytes_out
    );
    result.map_err(|e: Error| Failure::new(format!("proxy failed: {e}")))
}
