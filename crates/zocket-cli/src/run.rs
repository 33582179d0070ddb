//! The socket commands: open a socket as the arguments say, then send, receive,
//! request or reply.
//!
//! Every command ends by closing its socket, which waits (up to LINGER, by default
//! for ever, as in libzmq) until queued messages are written: a sender exits once its
//! peers have the messages. `-o linger=DUR` bounds that wait.

use std::ffi::OsString;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use zocket::{Error, Message, MonitorEvent, Options, Socket, SocketType};

use crate::args::{
    DishArgs, Duplex, Endpoints, RadioArgs, RecvOnly, RepArgs, Replying, ReqArgs, SendOnly,
    Sending, Setup, SubArgs, XSubArgs,
};
use crate::failure::Failure;
use crate::format::{Format, join_frames, render};
use crate::input::{Input, os_bytes};

/// Everything needed to open a socket.
struct Plan<'a> {
    socket_type: SocketType,
    endpoints: &'a Endpoints,
    setup: &'a Setup,
    send_timeout: Option<Duration>,
    recv_timeout: Option<Duration>,
    subscribe: &'a [OsString],
}

/// Applies the `-o NAME=VALUE` options to `o`.
pub(crate) fn apply_options(o: &mut Options, given: &[String]) -> Result<(), Failure> {
    for opt in given {
        let (name, value) = opt.split_once('=').ok_or_else(|| {
            Failure::new(format!(
                "option {opt:?} is not NAME=VALUE (e.g. -o sndhwm=10)"
            ))
        })?;
        o.set_by_name(name, value).map_err(|e| match e {
            Error::UnknownOption { .. } => {
                Failure::new(format!("{e}; known options: {}", Options::NAMES.join(", ")))
            }
            e => Failure::new(e.to_string()),
        })?;
    }
    Ok(())
}

/// Creates the socket, applies options and subscriptions, starts the monitor, binds
/// and connects.
async fn open(plan: Plan<'_>) -> Result<Opened, Failure> {
    let t = plan.socket_type;
    let socket = Socket::new(t).map_err(|e| match e {
        Error::NotSupported { .. } => Failure::new(format!(
            "{} sockets are not implemented in zocket yet",
            t.as_str()
        )),
        e => Failure::new(format!("cannot create a {} socket: {e}", t.as_str())),
    })?;
    let mut o = socket.options();
    apply_options(&mut o, &plan.setup.options)?;
    if let Some(d) = plan.send_timeout {
        o.sndtimeo = Some(d);
    }
    if let Some(d) = plan.recv_timeout {
        o.rcvtimeo = Some(d);
    }
    socket
        .set_options(o)
        .map_err(|e| Failure::new(e.to_string()))?;
    let mut monitor = None;
    if plan.setup.monitor {
        let mut events = socket.monitor();
        monitor = Some(tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if event == MonitorEvent::MonitorStopped {
                    break;
                }
                eprintln!("zocket: monitor: {event}");
            }
        }));
    }
    for topic in plan.subscribe {
        socket
            .subscribe(os_bytes(topic)?)
            .map_err(|e| Failure::new(format!("cannot subscribe: {e}")))?;
    }
    if t == SocketType::Sub && plan.subscribe.is_empty() {
        socket
            .subscribe(b"")
            .map_err(|e| Failure::new(format!("cannot subscribe: {e}")))?;
    }
    for ep in &plan.endpoints.bind {
        let bound = socket
            .bind(ep)
            .await
            .map_err(|e| Failure::endpoint("bind", ep, e))?;
        // A wildcard (tcp://127.0.0.1:*, ipc://*) was resolved: say to what.
        if bound != *ep {
            eprintln!("zocket: bound {bound}");
        }
    }
    for ep in &plan.endpoints.connect {
        socket
            .connect(ep)
            .await
            .map_err(|e| Failure::endpoint("connect", ep, e))?;
    }
    Ok(Opened {
        socket: Arc::new(socket),
        monitor,
    })
}

/// An open socket, and the task printing its events (with --monitor).
struct Opened {
    socket: Arc<Socket>,
    monitor: Option<tokio::task::JoinHandle<()>>,
}

impl Opened {
    /// Closes the socket, waiting up to LINGER for queued messages to go out, then
    /// lets the monitor print the last events.
    async fn close(self) -> Result<(), Failure> {
        let closed = match Arc::try_unwrap(self.socket) {
            Ok(s) => s
                .close()
                .await
                .map_err(|e| Failure::new(format!("cannot close: {e}"))),
            // Still shared by a task that was stopped: dropping starts the close.
            Err(_) => Ok(()),
        };
        if let Some(task) = self.monitor {
            let _ = tokio::time::timeout(Duration::from_secs(1), task).await;
        }
        closed
    }
}

/// Writes received messages to stdout in the chosen format.
struct Printer {
    format: Format,
    separator: Option<Vec<u8>>,
}

impl Printer {
    fn new(format: Format, setup: &Setup) -> Result<Printer, Failure> {
        Ok(Printer {
            format,
            separator: separator(setup)?,
        })
    }

    fn print(&self, msg: &Message) -> Result<(), Failure> {
        let bytes = render(self.format, msg, self.separator.as_deref());
        let mut out = std::io::stdout().lock();
        out.write_all(&bytes)
            .and_then(|()| out.flush())
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::BrokenPipe => Failure::StdoutClosed,
                _ => Failure::new(format!("cannot write to stdout: {e}")),
            })
    }
}

fn separator(setup: &Setup) -> Result<Option<Vec<u8>>, Failure> {
    setup.separator.as_ref().map(os_bytes).transpose()
}

/// The messages to send: --data (repeating as `repeat` says), --file, or stdin.
fn input(sending: &Sending, setup: &Setup, repeat: bool) -> Result<Input, Failure> {
    let sep = separator(setup)?;
    if !sending.data.is_empty() {
        Input::data(&sending.data, sep.as_deref(), repeat)
    } else {
        Input::lines(sending.file.as_deref(), sep.as_deref())
    }
}

/// Sends the input: waits --delay first, --interval between messages, stops after
/// `limit` messages or when the input ends. Returns how many were sent.
async fn send_input(
    socket: Arc<Socket>,
    input: Input,
    delay: Option<Duration>,
    interval: Option<Duration>,
    limit: Option<u64>,
) -> Result<u64, Failure> {
    send_input_to(socket, input, delay, interval, limit, None).await
}

/// Sends the input; with `group`, each message goes to that RADIO group (as
/// `[group][body]`).
async fn send_input_to(
    socket: Arc<Socket>,
    mut input: Input,
    delay: Option<Duration>,
    interval: Option<Duration>,
    limit: Option<u64>,
    group: Option<Bytes>,
) -> Result<u64, Failure> {
    if let Some(d) = delay {
        tokio::time::sleep(d).await;
    }
    let mut sent = 0;
    while limit.is_none_or(|n| sent < n) {
        let Some(msg) = input.next().await? else {
            break;
        };
        if sent > 0 {
            if let Some(i) = interval {
                tokio::time::sleep(i).await;
            }
        }
        let msg = match &group {
            Some(g) => {
                let mut m = msg;
                m.push_front(g.clone());
                m
            }
            None => msg,
        };
        socket
            .send(msg)
            .await
            .map_err(|e| Failure::send(e, socket.options().sndtimeo))?;
        sent += 1;
    }
    Ok(sent)
}

async fn recv(socket: &Socket) -> Result<Message, Failure> {
    socket
        .recv()
        .await
        .map_err(|e| Failure::recv(e, socket.options().rcvtimeo))
}

/// PUB, PUSH, SCATTER: send the input, then exit.
pub(crate) async fn send_only(t: SocketType, a: &SendOnly) -> Result<(), Failure> {
    let opened = open(Plan {
        socket_type: t,
        endpoints: &a.endpoints,
        setup: &a.setup,
        send_timeout: a.sending.send_timeout,
        recv_timeout: None,
        subscribe: &[],
    })
    .await?;
    let socket = &opened.socket;
    let repeat = a.setup.count.is_some() || a.sending.interval.is_some();
    let input = input(&a.sending, &a.setup, repeat)?;
    let (delay, interval) = (a.sending.delay, a.sending.interval);
    send_input(socket.clone(), input, delay, interval, a.setup.count).await?;
    opened.close().await
}

/// RADIO: would send the input to `--group`. zocket has no RADIO socket yet (creating
/// one fails with a one-line error) nor a group call for this command to make, so it
/// stops with an error after creating the socket either way.
pub(crate) async fn radio(a: &RadioArgs) -> Result<(), Failure> {
    let opened = open(Plan {
        socket_type: SocketType::Radio,
        endpoints: &a.send.endpoints,
        setup: &a.send.setup,
        send_timeout: a.send.sending.send_timeout,
        recv_timeout: None,
        subscribe: &[],
    })
    .await?;
    let repeat = a.send.setup.count.is_some() || a.send.sending.interval.is_some();
    let input = input(&a.send.sending, &a.send.setup, repeat)?;
    let group = Bytes::from(a.group.clone().into_bytes());
    let (delay, interval) = (a.send.sending.delay, a.send.sending.interval);
    send_input_to(
        opened.socket.clone(),
        input,
        delay,
        interval,
        a.send.setup.count,
        Some(group),
    )
    .await?;
    opened.close().await
}

/// DISH: would print the messages of the `--join` groups. Like [`radio`], it fails
/// with a one-line error until zocket has DISH sockets and a join call.
pub(crate) async fn dish(a: &DishArgs) -> Result<(), Failure> {
    let opened = open(Plan {
        socket_type: SocketType::Dish,
        endpoints: &a.recv.endpoints,
        setup: &a.recv.setup,
        send_timeout: None,
        recv_timeout: a.recv.receiving.recv_timeout,
        subscribe: &[],
    })
    .await?;
    for group in &a.join {
        opened
            .socket
            .join(group.as_bytes())
            .map_err(|e| Failure::new(format!("cannot join {group:?}: {e}")))?;
    }
    let printer = Printer::new(a.recv.receiving.format, &a.recv.setup)?;
    let mut received = 0;
    while a.recv.setup.count.is_none_or(|n| received < n) {
        printer.print(&recv(&opened.socket).await?)?;
        received += 1;
    }
    opened.close().await
}

/// PULL, GATHER: print what arrives.
pub(crate) async fn recv_only(t: SocketType, a: &RecvOnly) -> Result<(), Failure> {
    receive_all(t, a, &[]).await
}

/// SUB: print what matches the subscriptions.
pub(crate) async fn sub(a: &SubArgs) -> Result<(), Failure> {
    receive_all(SocketType::Sub, &a.recv, &a.subscribe).await
}

async fn receive_all(t: SocketType, a: &RecvOnly, subscribe: &[OsString]) -> Result<(), Failure> {
    let opened = open(Plan {
        socket_type: t,
        endpoints: &a.endpoints,
        setup: &a.setup,
        send_timeout: None,
        recv_timeout: a.receiving.recv_timeout,
        subscribe,
    })
    .await?;
    let socket = &opened.socket;
    let printer = Printer::new(a.receiving.format, &a.setup)?;
    let mut received = 0;
    while a.setup.count.is_none_or(|n| received < n) {
        printer.print(&recv(socket).await?)?;
        received += 1;
    }
    opened.close().await
}

/// REQ: for each input message, send it and print the reply.
pub(crate) async fn req(a: &ReqArgs) -> Result<(), Failure> {
    let opened = open(Plan {
        socket_type: SocketType::Req,
        endpoints: &a.endpoints,
        setup: &a.setup,
        send_timeout: a.sending.send_timeout,
        recv_timeout: a.receiving.recv_timeout,
        subscribe: &[],
    })
    .await?;
    let socket = &opened.socket;
    let printer = Printer::new(a.receiving.format, &a.setup)?;
    let repeat = a.setup.count.is_some() || a.sending.interval.is_some();
    let mut input = input(&a.sending, &a.setup, repeat)?;
    if let Some(d) = a.sending.delay {
        tokio::time::sleep(d).await;
    }
    let mut sent = 0;
    while a.setup.count.is_none_or(|n| sent < n) {
        let Some(request) = input.next().await? else {
            break;
        };
        if sent > 0 {
            if let Some(i) = a.sending.interval {
                tokio::time::sleep(i).await;
            }
        }
        socket
            .send(request)
            .await
            .map_err(|e| Failure::send(e, socket.options().sndtimeo))?;
        sent += 1;
        printer.print(&recv(socket).await?)?;
    }
    opened.close().await
}

/// How a received message is answered.
enum Answer {
    /// Not at all (duplex commands without --echo or --command).
    None,
    /// With itself.
    Echo,
    /// With a shell command's output.
    Command {
        command: String,
        separator: Option<Vec<u8>>,
    },
}

impl Answer {
    fn new(r: &Replying, setup: &Setup) -> Result<Answer, Failure> {
        Ok(if r.echo {
            Answer::Echo
        } else if let Some(command) = &r.command {
            Answer::Command {
                command: command.clone(),
                separator: separator(setup)?,
            }
        } else {
            Answer::None
        })
    }

    /// The reply to `msg` received on a socket of type `t`; `None` if no answer.
    async fn reply(&self, t: SocketType, msg: &Message) -> Result<Option<Message>, Failure> {
        match self {
            Answer::None => Ok(None),
            Answer::Echo => Ok(Some(msg.clone())),
            Answer::Command { command, separator } => {
                let frames = msg.frames();
                let (envelope, body) = frames.split_at(envelope_len(t, frames));
                let stdin = join_frames(body, separator.as_deref());
                let mut out = run_command(command, stdin).await?;
                if out.last() == Some(&b'\n') {
                    out.pop();
                    if out.last() == Some(&b'\r') {
                        out.pop();
                    }
                }
                let mut reply: Vec<Bytes> = envelope.to_vec();
                reply.extend(crate::format::split_frames(&out, separator.as_deref()).into_frames());
                Ok(Some(Message::from_frames(reply)))
            }
        }
    }
}

/// How many leading frames of a message received on a `t` socket are routing
/// frames: ROUTER's and STREAM's routing id, then for ROUTER and DEALER everything up
/// to and including the first empty delimiter frame, if there is one.
fn envelope_len(t: SocketType, frames: &[Bytes]) -> usize {
    let start = usize::from(matches!(t, SocketType::Router | SocketType::Stream));
    if matches!(t, SocketType::Router | SocketType::Dealer) {
        if let Some(i) = frames.iter().skip(start).position(|f| f.is_empty()) {
            return start + i + 1;
        }
    }
    start.min(frames.len())
}

/// Runs `command` with `sh -c` (`cmd /C` on Windows), `stdin` on its standard input;
/// returns its standard output. A non-zero exit is reported on stderr, not fatal.
async fn run_command(command: &str, stdin: Vec<u8>) -> Result<Vec<u8>, Failure> {
    let command = command.to_string();
    tokio::task::spawn_blocking(move || {
        use std::process::{Command, Stdio};
        #[cfg(windows)]
        let mut cmd = {
            let mut c = Command::new("cmd");
            c.arg("/C").arg(&command);
            c
        };
        #[cfg(not(windows))]
        let mut cmd = {
            let mut c = Command::new("sh");
            c.arg("-c").arg(&command);
            c
        };
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Failure::new(format!("cannot run command {command:?}: {e}")))?;
        let writer = child.stdin.take().map(|mut pipe| {
            // A command that does not read its input closes the pipe: not an error.
            std::thread::spawn(move || {
                let _ = pipe.write_all(&stdin);
            })
        });
        let output = child
            .wait_with_output()
            .map_err(|e| Failure::new(format!("cannot run command {command:?}: {e}")))?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        if !output.status.success() {
            eprintln!(
                "zocket: command {command:?} {}; replying with its output",
                output.status
            );
        }
        Ok(output.stdout)
    })
    .await
    .map_err(Failure::task)?
}

/// REP: print each request and answer it with --echo, --command, or the next input
/// message (--data messages are used in turn, for ever).
pub(crate) async fn rep(a: &RepArgs) -> Result<(), Failure> {
    let opened = open(Plan {
        socket_type: SocketType::Rep,
        endpoints: &a.endpoints,
        setup: &a.setup,
        send_timeout: a.sending.send_timeout,
        recv_timeout: a.receiving.recv_timeout,
        subscribe: &[],
    })
    .await?;
    let socket = &opened.socket;
    let printer = Printer::new(a.receiving.format, &a.setup)?;
    let answer = Answer::new(&a.replying, &a.setup)?;
    let mut input = match answer {
        Answer::None => Some(input(&a.sending, &a.setup, true)?),
        _ => None,
    };
    if let Some(d) = a.sending.delay {
        tokio::time::sleep(d).await;
    }
    let mut answered = 0;
    while a.setup.count.is_none_or(|n| answered < n) {
        let request = recv(socket).await?;
        printer.print(&request)?;
        let reply = match &mut input {
            Some(input) => match input.next().await? {
                Some(reply) => reply,
                // The input ended: nothing left to answer with.
                None => break,
            },
            None => match answer.reply(SocketType::Rep, &request).await? {
                Some(reply) => reply,
                None => break,
            },
        };
        if let Some(i) = a.sending.interval {
            tokio::time::sleep(i).await;
        }
        socket
            .send(reply)
            .await
            .map_err(|e| Failure::send(e, socket.options().sndtimeo))?;
        answered += 1;
    }
    opened.close().await
}

/// XSUB: a duplex command that subscribes first.
pub(crate) async fn xsub(a: &XSubArgs) -> Result<(), Failure> {
    duplex_with(SocketType::XSub, &a.duplex, &a.subscribe).await
}

/// PAIR, DEALER, ROUTER, XPUB, STREAM, CLIENT, SERVER, PEER, CHANNEL: send the input
/// while printing (and, with --echo or --command, answering) what arrives.
pub(crate) async fn duplex(t: SocketType, a: &Duplex) -> Result<(), Failure> {
    duplex_with(t, a, &[]).await
}

async fn duplex_with(t: SocketType, a: &Duplex, subscribe: &[OsString]) -> Result<(), Failure> {
    let opened = open(Plan {
        socket_type: t,
        endpoints: &a.endpoints,
        setup: &a.setup,
        send_timeout: a.sending.send_timeout,
        recv_timeout: a.receiving.recv_timeout,
        subscribe,
    })
    .await?;
    let socket = &opened.socket;
    let printer = Printer::new(a.receiving.format, &a.setup)?;
    let answer = Answer::new(&a.replying, &a.setup)?;
    let mut sender = match answer {
        Answer::None => {
            let input = input(&a.sending, &a.setup, a.sending.interval.is_some())?;
            Some(tokio::spawn(send_input(
                socket.clone(),
                input,
                a.sending.delay,
                a.sending.interval,
                None,
            )))
        }
        _ => None,
    };
    // --count 0: only send. Otherwise receive until --count (or for ever).
    let receiving = a.setup.count != Some(0);
    let mut received = 0;
    loop {
        let done_receiving = !receiving || a.setup.count.is_some_and(|n| received >= n);
        if done_receiving && (receiving || sender.is_none()) {
            break;
        }
        let sending = sender.is_some();
        tokio::select! {
            done = async {
                match sender.as_mut() {
                    Some(task) => task.await,
                    None => std::future::pending().await,
                }
            }, if sending => {
                sender = None;
                done.map_err(Failure::task)??;
            }
            got = recv(socket), if receiving => {
                let msg = got?;
                printer.print(&msg)?;
                received += 1;
                if let Some(reply) = answer.reply(t, &msg).await? {
                    socket
                        .send(reply)
                        .await
                        .map_err(|e| Failure::send(e, socket.options().sndtimeo))?;
                }
            }
            else => break,
        }
    }
    if let Some(task) = sender {
        task.abort();
        let _ = task.await;
    }
    opened.close().await
}
