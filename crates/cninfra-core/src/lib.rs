//! The core of cninfra: the [`Plugin`] trait, the [`Agent`] that runs plugins through their
//! lifecycle, plugin [`config`] files and the [`ServiceLabel`].
//!
//! A plugin author depends on this crate (it is light) and on the parts they use.
//!
//! # Quick start
//! ```
//! use std::sync::Arc;
//! use cninfra_core::{async_trait, Agent, BoxError, InitContext, Plugin};
//!
//! #[derive(Debug, Default, serde::Deserialize)]
//! #[serde(default, deny_unknown_fields)]
//! struct GreeterConfig { greeting: String }
//!
//! struct Greeter;
//!
//! #[async_trait]
//! impl Plugin for Greeter {
//!     fn name(&self) -> &str { "greeter" }
//!
//!     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
//!         // `--greeter-config`, `GREETER_CONFIG` or `<config-dir>/greeter.conf`.
//!         let config: GreeterConfig = ctx.config_or_default()?;
//!         tracing::info!(greeting = %config.greeting, prefix = %ctx.service_label().agent_prefix());
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cninfra_core::AgentError> {
//! let agent = Agent::builder().plugin(Greeter).with_args(["demo"]).build()?;
//! let running = agent.start().await?;   // or `agent.run().await` until SIGINT/SIGTERM
//! running.stop().await?;
//! # Ok(()) }
//! ```
//!
//! # Lifecycle
//! - [`AgentBuilder::build`] finds every plugin through [`Plugin::deps`], rejects duplicate
//!   names and dependency cycles (naming them), orders dependencies first, and parses the
//!   command line (`--help` lists every plugin's config flag).
//! - [`Agent::start`] runs `init` of each plugin, then `after_init` of each, each within its
//!   time limit (15 s by default); a failure closes what had started and names the plugin
//!   and phase.
//! - [`Agent::run`] waits for SIGINT, SIGTERM or a [`StopHandle`], then closes the plugins in
//!   reverse order; every plugin is asked to close even when another fails.

mod agent;
mod build_info;
mod cli;
pub mod config;
mod context;
mod error;
mod group;
mod label;
mod phase;
mod plugin;
mod ready;
mod requirement;
mod secret;
mod settings;
mod stop;
mod subcommand;
pub mod tls;

pub use agent::{Agent, AgentBuilder, DEFAULT_PHASE_TIMEOUT, RunningAgent};
pub use async_trait::async_trait;
pub use build_info::BuildInfo;
pub use context::{DependencyError, InitContext};
pub use error::{AgentError, ErrorChain};
pub use group::{IntoPluginArc, PluginGroup, PluginGroupBuilder};
pub use label::{InvalidLabel, ServiceLabel};
pub use phase::Phase;
pub use plugin::{BoxError, Flag, FnPlugin, IntoPlugin, Plugin, plugin_fn};
pub use ready::{NotReady, Ready};
pub use requirement::Requirement;
pub use secret::Secret;
pub use stop::StopHandle;
pub use subcommand::{Subcommand, SubcommandRun};

/// The logger (tracing target) of the agent core.
pub const AGENT_LOGGER: &str = "agent";

/// Builds the agent from `builder`, runs it until SIGINT/SIGTERM, and turns the outcome into
/// a process exit code: 0 for a clean stop (and for `--help` / `--version`, which are
/// printed), otherwise the error is printed to stderr and the code is non-zero. A command
/// line that names a plugin's [`Subcommand`] runs it instead (on a blocking thread), prints
/// its output and exits 0, or prints its error and exits 1.
///
/// # Examples
/// ```no_run
/// # use cninfra_core::{plugin_fn, Agent};
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     let builder = Agent::builder().plugin(plugin_fn("app", |_| async { Ok(()) }));
///     cninfra_core::run_main(builder).await
/// }
/// ```
pub async fn run_main(builder: AgentBuilder) -> std::process::ExitCode {
    let outcome = match builder.build() {
        Ok(agent) => agent.run().await,
        Err(err) => Err(err),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(AgentError::Subcommand(run)) => run_subcommand(run).await,
        Err(AgentError::Cli(err)) => {
            let code = err.exit_code();
            // Printing help or a usage error to a closed stdout/stderr is not worth a panic.
            let _ = err.print();
            std::process::ExitCode::from(u8::try_from(code).unwrap_or(2))
        }
        Err(err) => {
            eprintln!("Error: {err}");
            let mut source = std::error::Error::source(&err);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            std::process::ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(1))
        }
    }
}

async fn run_subcommand(run: Box<SubcommandRun>) -> std::process::ExitCode {
    let name = run.name().to_owned();
    let outcome = match tokio::task::spawn_blocking(move || run.run()).await {
        Ok(outcome) => outcome,
        Err(err) => Err(err.into()),
    };
    match outcome {
        Ok(output) => {
            println!("{output}");
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("Error: {name}: {}", ErrorChain(err.as_ref()));
            std::process::ExitCode::FAILURE
        }
    }
}
