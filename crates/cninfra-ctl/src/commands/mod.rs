//! One module per command.

mod config;
mod dump;
mod graph;
mod import;
mod kvdb;
mod log;
mod metrics;
mod model;
mod report;
mod status;
mod values;

use anyhow::bail;
use clap::CommandFactory as _;

use crate::agent::Agent;
use crate::cli::{Cli, Command, Format};

/// Runs the command of `cli`.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Completion(args) = &cli.command {
        let mut command = Cli::command();
        clap_complete::generate(
            args.shell,
            &mut command,
            "cninfra-ctl",
            &mut std::io::stdout(),
        );
        return Ok(());
    }
    if let Some(format @ (Format::Dot | Format::Svg)) = cli.global.format
        && !matches!(cli.command, Command::Graph(_))
    {
        bail!(
            "`--format {}` is for `graph`; use table, json or yaml",
            crate::output::name(format)
        );
    }
    let agent = Agent::new(cli.global)?;
    match cli.command {
        Command::Status => status::run(&agent).await,
        Command::Values(args) => values::run(&agent, args).await,
        Command::Config(command) => config::run(&agent, command).await,
        Command::Dump(args) => dump::run(&agent, args).await,
        Command::Model(command) => model::run(&agent, command).await,
        Command::Kvdb(command) => kvdb::run(&agent, command).await,
        Command::Import(args) => import::run(&agent, args).await,
        Command::Log(command) => log::run(&agent, command).await,
        Command::Metrics(args) => metrics::run(&agent, args).await,
        Command::Graph(args) => graph::run(&agent, args).await,
        Command::Report(args) => report::run(&agent, args).await,
        Command::Completion(_) => Ok(()),
    }
}
