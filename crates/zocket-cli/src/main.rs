//! The `zocket` command-line tool.

mod demo;
mod selfcheck;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// zocket: ZeroMQ-compatible messaging sockets from the shell.
#[derive(Debug, Parser)]
#[command(name = "zocket", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Shows the system working end to end over TCP on 127.0.0.1 and prints a
    /// verdict: client-server, request-response and publish-subscribe, and the
    /// point-to-point, one-to-many and many-to-many topologies.
    Demo,
    /// Exercises the ZMTP protocol core in memory, without any network:
    /// handshakes, request-reply, publish-subscribe and pipeline messages,
    /// heartbeats, and rejection of hostile input.
    Selfcheck,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => demo::run(),
        Command::Selfcheck => selfcheck::run(),
    }
}
