//! The `zocket` command-line tool: every ZeroMQ socket type from the shell, plus
//! `zocket demo` (the whole system on loopback) and `zocket selfcheck`.
//!
//! Each socket command opens one socket, binds and connects it as told, then sends
//! (`--data`, `--file` or stdin, one message per line), receives (printed on stdout
//! in the `--format` chosen), or both. Errors are one line on stderr, `zocket: …`,
//! with exit status 1; usage errors exit with 2.

mod args;
mod bench_cmd;
mod demo;
mod failure;
mod format;
mod input;
mod proxy_cmd;
mod run;
mod selfcheck;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use zocket::SocketType;

use args::{DishArgs, Duplex, RadioArgs, RecvOnly, RepArgs, ReqArgs, SendOnly, SubArgs, XSubArgs};
use failure::Failure;

const EXAMPLES: &str = "\
Examples:
  zocket demo                                       the whole system on 127.0.0.1, with a verdict
  zocket rep --bind 'tcp://*:5555' --echo           an echo server
  zocket req --connect tcp://127.0.0.1:5555 --data hello
  zocket rep --bind 'tcp://*:5555' --command 'tr a-z A-Z'
  zocket pub --bind 'tcp://*:5556' --separator '|' --data 'weather|sunny' --interval 1s
  zocket sub --connect tcp://127.0.0.1:5556 --subscribe weather --format json
  seq 100 | zocket push --connect tcp://127.0.0.1:5557
  zocket pull --bind 'tcp://*:5557' --count 100
  zocket router --bind 'tcp://127.0.0.1:*' --format quoted --monitor
  zocket dealer --connect tcp://127.0.0.1:5558 -o routing_id=alice --data hi
  zocket completions bash > ~/.local/share/bash-completion/completions/zocket

Input: --data MSG (repeatable), --file FILE, or stdin, one message per line;
--separator SEP splits each into frames ('a|b' with --separator '|' is two frames).
Output (--format): text (frames joined by a tab or SEP), raw (bytes only), hex,
quoted (escaped strings) or json ({\"frames\":[\"utf-8 text\",{\"hex\":\"00ff\"}]}).
Durations: 20ms, 1.5s, 2m, or plain milliseconds.
Exit status: 0 success, 1 error (one line on stderr), 2 usage error.";

/// zocket: ZeroMQ-compatible messaging sockets from the shell.
#[derive(Debug, Parser)]
#[command(name = "zocket", version, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// PAIR: an exclusive two-way connection to one peer.
    #[command(after_help = "\
Examples:
  zocket pair --bind 'tcp://*:5560' --echo
  zocket pair --connect tcp://127.0.0.1:5560 --data ping --count 1")]
    Pair(Duplex),
    /// PUB: publishes each message to the subscribers whose topics match.
    ///
    /// PUB drops messages no subscriber is there for: use --delay or --interval to
    /// give subscribers time to connect.
    #[command(after_help = "\
Examples:
  zocket pub --bind 'tcp://*:5556' --data 'weather sunny' --interval 1s
  zocket pub --connect tcp://127.0.0.1:5556 --delay 500ms --separator '|' --data 'weather|rain'")]
    Pub(SendOnly),
    /// SUB: prints the published messages matching its subscriptions.
    #[command(after_help = "\
Examples:
  zocket sub --connect tcp://127.0.0.1:5556 --subscribe weather
  zocket sub --bind 'tcp://*:5556' --count 10 --format json")]
    Sub(SubArgs),
    /// XPUB: a PUB that also prints the subscriptions it receives (\x01TOPIC,
    /// \x00TOPIC to cancel).
    #[command(after_help = "\
Example:
  zocket xpub --bind 'tcp://*:5556' --data tick --interval 1s --format quoted")]
    Xpub(Duplex),
    /// XSUB: a SUB that can also send subscription messages itself.
    #[command(after_help = "\
Example:
  zocket xsub --connect tcp://127.0.0.1:5556 --subscribe tick")]
    Xsub(XSubArgs),
    /// REQ: sends each message as a request and prints its reply.
    #[command(after_help = "\
Examples:
  zocket req --connect tcp://127.0.0.1:5555 --data hello --data again
  seq 3 | zocket req --connect tcp://127.0.0.1:5555 --recv-timeout 2s")]
    Req(ReqArgs),
    /// REP: prints each request and answers it: with itself (--echo), with a command's
    /// output (--command), or with the --data messages in turn (or stdin lines).
    #[command(after_help = "\
Examples:
  zocket rep --bind 'tcp://*:5555' --echo
  zocket rep --bind 'tcp://*:5555' --command 'date'
  zocket rep --bind 'tcp://*:5555' --data ok --count 1")]
    Rep(RepArgs),
    /// DEALER: load-balances what it sends over its peers, prints what comes back.
    #[command(after_help = "\
Example (to a REP, which expects an empty delimiter frame):
  zocket dealer --connect tcp://127.0.0.1:5555 --separator '|' --data '|hello' --count 1")]
    Dealer(Duplex),
    /// ROUTER: prints each message with its sender's routing id first; sends each
    /// message to the peer its first frame names.
    #[command(after_help = "\
Examples:
  zocket router --bind 'tcp://*:5558' --echo --format quoted
  zocket router --bind 'tcp://*:5558' --separator '|' --data 'alice|hello alice'")]
    Router(Duplex),
    /// PUSH: load-balances each message to one of its pullers.
    #[command(after_help = "\
Examples:
  seq 100 | zocket push --connect tcp://127.0.0.1:5557
  zocket push --bind 'tcp://*:5557' --file tasks.txt")]
    Push(SendOnly),
    /// PULL: prints the messages its pushers send.
    #[command(after_help = "\
Example:
  zocket pull --bind 'tcp://*:5557' --count 100 --format hex")]
    Pull(RecvOnly),
    /// STREAM: raw TCP peers (no ZMTP); each message is [routing id, data].
    ///
    /// A peer's connection and disconnection arrive as [routing id, empty] unless
    /// -o stream_notify=0; sending [routing id, empty] closes that peer's connection.
    #[command(after_help = "\
Examples:
  zocket stream --bind 'tcp://*:8080' --echo -o stream_notify=0     a raw TCP echo server
  zocket stream --bind 'tcp://*:8080' --format quoted                  then: telnet localhost 8080")]
    Stream(Duplex),
    /// RADIO: sends each message to a group, over UDP or TCP (not implemented yet).
    Radio(RadioArgs),
    /// DISH: prints the messages of the groups it joined (not implemented yet).
    Dish(DishArgs),
    /// CLIENT: single-frame requests to SERVERs (draft; not implemented yet).
    Client(Duplex),
    /// SERVER: answers CLIENTs by routing id (draft; not implemented yet).
    Server(Duplex),
    /// SCATTER: a single-frame PUSH (draft; not implemented yet).
    Scatter(SendOnly),
    /// GATHER: a single-frame PULL (draft; not implemented yet).
    Gather(RecvOnly),
    /// PEER: addresses peers by routing id, both ways (draft; not implemented yet).
    Peer(Duplex),
    /// CHANNEL: a single-frame PAIR (draft; not implemented yet).
    Channel(Duplex),
    /// Prints a completion script for SHELL on stdout.
    #[command(after_help = "\
Examples:
  zocket completions bash > ~/.local/share/bash-completion/completions/zocket
  zocket completions zsh > ~/.zfunc/_zocket
  zocket completions fish > ~/.config/fish/completions/zocket.fish")]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Measures throughput (PUSH→PULL) and latency (REQ↔REP) between two zocket
    /// processes on 127.0.0.1, or against a peer at a given endpoint, with a progress
    /// line on stderr and a table on stdout.
    #[command(after_help = "\
Examples:
  zocket bench --size 256 --count 1000000
  zocket pull --bind 'tcp://*:5555' -n 100000 -f raw > /dev/null &   # on the peer host
  zocket bench --throughput-to tcp://peer:5555 --count 100000 --round-trips 0")]
    Bench(bench_cmd::BenchArgs),
    /// Forwards messages between a frontend and a backend socket, both ways, with an
    /// optional capture socket: an XSUB/XPUB hub for many-to-many publish-subscribe, or
    /// a ROUTER/DEALER queue shared by clients and workers.
    #[command(after_help = "\
Examples:
  zocket proxy --frontend xsub --frontend-bind 'tcp://*:5559' --backend xpub --backend-bind 'tcp://*:5560'
  zocket proxy --frontend router --frontend-bind 'tcp://*:5555' --backend dealer --backend-bind 'tcp://*:5556'")]
    Proxy(proxy_cmd::ProxyArgs),
    /// Shows the system working end to end over TCP on 127.0.0.1 and prints a
    /// verdict: client-server, request-response and publish-subscribe, and the
    /// point-to-point, one-to-many and many-to-many topologies.
    Demo,
    /// Exercises the ZMTP protocol core in memory, without any network:
    /// handshakes, request-reply, publish-subscribe and pipeline messages,
    /// heartbeats, and rejection of hostile input.
    Selfcheck,
}

/// Reports a panic as one line instead of a message and a backtrace.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("unknown cause");
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!("zocket: internal error: {what}{place} (a bug in zocket; please report it)");
    }));
}

/// Turns a clap usage error into one line: its message and tips, without the usage,
/// pointing at the help of the subcommand concerned.
fn usage_error(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let mut text = String::new();
    for line in rendered
        .lines()
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        if !text.is_empty() {
            text.push_str(if text.ends_with(':') { " " } else { "; " });
        }
        text.push_str(line);
    }
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    let sub = std::env::args().nth(1).filter(|a| {
        Cli::command()
            .get_subcommands()
            .any(|s| s.get_name() == a.as_str())
    });
    match sub {
        Some(sub) => format!("zocket: {text} (see 'zocket {sub} --help')"),
        None => format!("zocket: {text} (see 'zocket --help')"),
    }
}

/// Runs a socket command on a fresh runtime.
fn run_socket(fut: impl std::future::Future<Output = Result<(), Failure>>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zocket: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = rt.block_on(fut);
    // Do not wait for the stdin reader, which may be blocked in a read.
    rt.shutdown_background();
    match result {
        Ok(()) | Err(Failure::StdoutClosed) => ExitCode::SUCCESS,
        Err(Failure::Error(message)) => {
            eprintln!("zocket: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Prints the completion script for `shell`; a closed stdout is not an error.
fn completions(shell: clap_complete::Shell) -> ExitCode {
    use std::io::Write;
    // Rendered in memory: clap_complete panics when its writer fails.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "zocket", &mut script);
    let mut out = std::io::stdout().lock();
    match out.write_all(&script).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("zocket: cannot write to stdout: {e}");
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            return match e.kind() {
                ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                    let _ = e.print();
                    ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2))
                }
                _ => {
                    eprintln!("{}", usage_error(&e));
                    ExitCode::from(2)
                }
            };
        }
    };
    use SocketType as T;
    match cli.command {
        Command::Pair(a) => run_socket(run::duplex(T::Pair, &a)),
        Command::Pub(a) => run_socket(run::send_only(T::Pub, &a)),
        Command::Sub(a) => run_socket(run::sub(&a)),
        Command::Xpub(a) => run_socket(run::duplex(T::XPub, &a)),
        Command::Xsub(a) => run_socket(run::xsub(&a)),
        Command::Req(a) => run_socket(run::req(&a)),
        Command::Rep(a) => run_socket(run::rep(&a)),
        Command::Dealer(a) => run_socket(run::duplex(T::Dealer, &a)),
        Command::Router(a) => run_socket(run::duplex(T::Router, &a)),
        Command::Push(a) => run_socket(run::send_only(T::Push, &a)),
        Command::Pull(a) => run_socket(run::recv_only(T::Pull, &a)),
        Command::Stream(a) => run_socket(run::duplex(T::Stream, &a)),
        Command::Radio(a) => run_socket(run::radio(&a)),
        Command::Dish(a) => run_socket(run::dish(&a)),
        Command::Client(a) => run_socket(run::duplex(T::Client, &a)),
        Command::Server(a) => run_socket(run::duplex(T::Server, &a)),
        Command::Scatter(a) => run_socket(run::send_only(T::Scatter, &a)),
        Command::Gather(a) => run_socket(run::recv_only(T::Gather, &a)),
        Command::Peer(a) => run_socket(run::duplex(T::Peer, &a)),
        Command::Channel(a) => run_socket(run::duplex(T::Channel, &a)),
        Command::Completions { shell } => completions(shell),
        Command::Proxy(a) => run_socket(proxy_cmd::run(&a)),
        Command::Bench(a) => run_socket(bench_cmd::run(&a)),
        Command::Demo => demo::run(),
        Command::Selfcheck => selfcheck::run(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
