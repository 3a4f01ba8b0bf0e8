//! `cninfra-ctl`: the operator CLI of cninfra agents, with agentctl's flags and commands.
//!
//! Run `cninfra-ctl --help`; every command has its own `--help`. Errors are one line on
//! standard error naming what failed and where, with exit code 1 (2 for a command line
//! that does not parse).

mod agent;
mod cli;
mod commands;
mod dynconfig;
mod output;
mod rest;

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match commands::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("cninfra-ctl: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes on one line, `: `-separated, a cause that repeats the one
/// before it left out (network stacks nest the same text).
fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if parts.last().is_none_or(|last| *last != text) {
            parts.push(text);
        }
    }
    parts.join(": ")
}
