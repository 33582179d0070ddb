//! The `zocket` command-line tool.

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
    /// Shows the system working end to end and prints a verdict.
    ///
    /// Today this exercises the ZMTP protocol core in memory: handshakes between
    /// compatible socket types, request-reply, publish-subscribe and pipeline
    /// messages, heartbeats, and rejection of hostile input. It becomes the
    /// loopback-network demo once sockets land.
    Demo,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo => selfcheck::run(),
    }
}
