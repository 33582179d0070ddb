//! Command-line arguments shared by the socket commands, grouped by role.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::format::Format;

/// Parses a duration as `20ms`, `1.5s`, `2m` or a plain integer of milliseconds.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    zocket::Options::parse_duration(text)
}

/// A non-empty separator.
fn separator(text: &str) -> Result<OsString, String> {
    if text.is_empty() {
        Err("the separator cannot be empty".into())
    } else {
        Ok(OsString::from(text))
    }
}

/// Where the socket attaches: at least one --bind or --connect.
#[derive(Debug, Args)]
#[group(required = true, multiple = true)]
pub(crate) struct Endpoints {
    /// Binds to ENDPOINT (repeatable), e.g. tcp://*:5555 or ipc:///tmp/feed. When the
    /// endpoint resolves to something else (a wildcard port as in tcp://127.0.0.1:*, a
    /// fresh path for ipc://*), the result is printed on stderr as
    /// "zocket: bound tcp://127.0.0.1:PORT".
    #[arg(short, long = "bind", value_name = "ENDPOINT")]
    pub(crate) bind: Vec<String>,
    /// Connects to ENDPOINT (repeatable), e.g. tcp://127.0.0.1:5555. Connecting
    /// succeeds at once; messages wait until the peer is there.
    #[arg(short, long = "connect", value_name = "ENDPOINT")]
    pub(crate) connect: Vec<String>,
}

/// How the socket is set up.
#[derive(Debug, Args)]
pub(crate) struct Setup {
    /// Sets a socket option by its libzmq name, lower case without ZMQ_ (repeatable):
    /// -o sndhwm=10 -o linger=0 -o routing_id=alice. Durations are written 20ms, 1.5s,
    /// 2m or as plain milliseconds; -1 means "forever" or "none" where libzmq says so.
    #[arg(short = 'o', long = "option", value_name = "NAME=VALUE")]
    pub(crate) options: Vec<String>,
    /// Prints the socket's connection events on stderr, one per line, as
    /// "zocket: monitor: EVENT ENDPOINT …".
    #[arg(long)]
    pub(crate) monitor: bool,
    /// Splits each input message into frames at SEP, and joins received frames with SEP
    /// in text and hex output (there a tab by default). Example: --separator '|' makes
    /// --data 'topic|body' a two-frame message.
    #[arg(short = 's', long, value_name = "SEP", value_parser = separator)]
    pub(crate) separator: Option<OsString>,
    /// Stops after N messages: sent (pub, push, scatter, radio), requests made (req),
    /// requests answered (rep), or messages received (all others; there 0 means: send
    /// the input and receive nothing). Default: until the input ends (senders, req) or
    /// for ever (the others).
    #[arg(short = 'n', long, value_name = "N")]
    pub(crate) count: Option<u64>,
}

/// What to send and how fast.
#[derive(Debug, Args)]
pub(crate) struct Sending {
    /// Sends MSG as one message (repeatable; messages go in order). With --separator
    /// it is split into frames. Without --data or --file, messages are read from
    /// stdin, one per line.
    #[arg(short, long = "data", value_name = "MSG")]
    pub(crate) data: Vec<OsString>,
    /// Reads messages from FILE, one per line ("-" = stdin).
    #[arg(short = 'F', long, value_name = "FILE", conflicts_with = "data")]
    pub(crate) file: Option<PathBuf>,
    /// Waits DUR between two sends. With --data, the messages then repeat until
    /// --count is reached (or forever).
    #[arg(short, long, value_name = "DUR", value_parser = duration)]
    pub(crate) interval: Option<Duration>,
    /// Waits DUR after binding and connecting before the first send (gives
    /// subscribers and peers time to connect).
    #[arg(long, value_name = "DUR", value_parser = duration)]
    pub(crate) delay: Option<Duration>,
    /// Fails when a message cannot be queued within DUR (no peer ready, or all full).
    #[arg(long, value_name = "DUR", value_parser = duration)]
    pub(crate) send_timeout: Option<Duration>,
}

/// How received messages are shown and how long to wait for them.
#[derive(Debug, Args)]
pub(crate) struct Receiving {
    /// Output format of received messages on stdout.
    #[arg(short, long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub(crate) format: Format,
    /// Fails when no message arrives within DUR.
    #[arg(long, value_name = "DUR", value_parser = duration)]
    pub(crate) recv_timeout: Option<Duration>,
}

/// Automatic replies to what arrives.
#[derive(Debug, Args)]
pub(crate) struct Replying {
    /// Sends every received message straight back.
    #[arg(long, conflicts_with_all = ["data", "file", "command"])]
    pub(crate) echo: bool,
    /// Answers each received message with the standard output of the shell command
    /// CMD (sh -c), which gets the message on its stdin (frames joined by the
    /// separator, or back to back). One trailing newline is dropped; with --separator
    /// the output is split into frames. Routing frames (ROUTER's routing id, and
    /// everything up to an empty delimiter frame) are kept and sent back first.
    #[arg(long, value_name = "CMD", conflicts_with_all = ["data", "file"])]
    pub(crate) command: Option<String>,
}

/// A command that only sends (PUB, PUSH, SCATTER).
#[derive(Debug, Args)]
pub(crate) struct SendOnly {
    #[command(flatten)]
    pub(crate) endpoints: Endpoints,
    #[command(flatten)]
    pub(crate) setup: Setup,
    #[command(flatten)]
    pub(crate) sending: Sending,
}

/// RADIO: sends to a group.
#[derive(Debug, Args)]
pub(crate) struct RadioArgs {
    /// The group every message is sent to.
    #[arg(short, long, value_name = "GROUP")]
    pub(crate) group: String,
    #[command(flatten)]
    pub(crate) send: SendOnly,
}

/// A command that only receives (PULL, GATHER).
#[derive(Debug, Args)]
pub(crate) struct RecvOnly {
    #[command(flatten)]
    pub(crate) endpoints: Endpoints,
    #[command(flatten)]
    pub(crate) setup: Setup,
    #[command(flatten)]
    pub(crate) receiving: Receiving,
}

/// SUB: receives what matches its subscriptions.
#[derive(Debug, Args)]
pub(crate) struct SubArgs {
    /// Subscribes to messages whose first frame starts with TOPIC (repeatable).
    /// Default: everything.
    #[arg(short = 'S', long, value_name = "TOPIC")]
    pub(crate) subscribe: Vec<OsString>,
    #[command(flatten)]
    pub(crate) recv: RecvOnly,
}

/// DISH: receives the groups it joined.
#[derive(Debug, Args)]
pub(crate) struct DishArgs {
    /// Joins GROUP (repeatable; at least one).
    #[arg(short, long, value_name = "GROUP", required = true)]
    pub(crate) join: Vec<String>,
    #[command(flatten)]
    pub(crate) recv: RecvOnly,
}

/// A command that sends and receives at the same time (PAIR, DEALER, ROUTER, …).
#[derive(Debug, Args)]
pub(crate) struct Duplex {
    #[command(flatten)]
    pub(crate) endpoints: Endpoints,
    #[command(flatten)]
    pub(crate) setup: Setup,
    #[command(flatten)]
    pub(crate) sending: Sending,
    #[command(flatten)]
    pub(crate) receiving: Receiving,
    #[command(flatten)]
    pub(crate) replying: Replying,
}

/// XSUB: a duplex socket that can also subscribe.
#[derive(Debug, Args)]
pub(crate) struct XSubArgs {
    /// Subscribes to TOPIC (repeatable); without it XSUB receives nothing until it
    /// sends a subscription message itself (\x01TOPIC).
    #[arg(short = 'S', long, value_name = "TOPIC")]
    pub(crate) subscribe: Vec<OsString>,
    #[command(flatten)]
    pub(crate) duplex: Duplex,
}

/// REQ: one request, then its reply, for each input message.
#[derive(Debug, Args)]
pub(crate) struct ReqArgs {
    #[command(flatten)]
    pub(crate) endpoints: Endpoints,
    #[command(flatten)]
    pub(crate) setup: Setup,
    #[command(flatten)]
    pub(crate) sending: Sending,
    #[command(flatten)]
    pub(crate) receiving: Receiving,
}

/// REP: prints each request and answers it.
#[derive(Debug, Args)]
pub(crate) struct RepArgs {
    #[command(flatten)]
    pub(crate) endpoints: Endpoints,
    #[command(flatten)]
    pub(crate) setup: Setup,
    #[command(flatten)]
    pub(crate) sending: Sending,
    #[command(flatten)]
    pub(crate) receiving: Receiving,
    #[command(flatten)]
    pub(crate) replying: Replying,
}
