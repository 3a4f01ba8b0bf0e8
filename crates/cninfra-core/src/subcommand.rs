//! [`Subcommand`]: a command a plugin adds to the agent binary, run instead of the agent.

use std::fmt;
use std::sync::Arc;

use crate::plugin::BoxError;

type RunFn = dyn Fn(&clap::ArgMatches) -> Result<String, BoxError> + Send + Sync;

/// A subcommand of the agent binary that a plugin offers through
/// [`Plugin::subcommands`](crate::Plugin::subcommands), such as the HTTP plugin's
/// `hash-password`. When the command line names it, [`AgentBuilder::build`] returns
/// [`AgentError::Subcommand`] instead of an agent, and [`run_main`] runs it (on a blocking
/// thread), prints what it returns and exits.
///
/// [`AgentBuilder::build`]: crate::AgentBuilder::build
/// [`AgentError::Subcommand`]: crate::AgentError::Subcommand
/// [`run_main`]: crate::run_main
///
/// # Examples
/// ```
/// use cninfra_core::Subcommand;
///
/// let shout = Subcommand::new(
///     clap::Command::new("shout").about("Prints its word in capitals").arg(clap::Arg::new("word")),
///     |args| Ok(args.get_one::<String>("word").map(|w| w.to_uppercase()).unwrap_or_default()),
/// );
/// assert_eq!(shout.name(), "shout");
/// ```
#[derive(Clone)]
pub struct Subcommand {
    command: clap::Command,
    run: Arc<RunFn>,
}

impl Subcommand {
    /// A subcommand parsed by `command` and carried out by `run`, whose text is printed.
    pub fn new<F>(command: clap::Command, run: F) -> Self
    where
        F: Fn(&clap::ArgMatches) -> Result<String, BoxError> + Send + Sync + 'static,
    {
        Self {
            command,
            run: Arc::new(run),
        }
    }

    /// The subcommand's name.
    pub fn name(&self) -> &str {
        self.command.get_name()
    }

    pub(crate) fn command(&self) -> &clap::Command {
        &self.command
    }
}

impl fmt::Debug for Subcommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subcommand")
            .field("name", &self.name())
            .finish_non_exhaustive()
    }
}

/// A subcommand the command line asked for, with its arguments, ready to run.
#[derive(Debug)]
pub struct SubcommandRun {
    subcommand: Subcommand,
    matches: clap::ArgMatches,
}

impl SubcommandRun {
    pub(crate) fn new(subcommand: Subcommand, matches: clap::ArgMatches) -> Self {
        Self {
            subcommand,
            matches,
        }
    }

    /// The subcommand's name.
    pub fn name(&self) -> &str {
        self.subcommand.name()
    }

    /// Runs it (it may block: call it from a blocking thread) and returns what to print.
    ///
    /// # Errors
    /// Whatever the subcommand failed with.
    pub fn run(&self) -> Result<String, BoxError> {
        (self.subcommand.run)(&self.matches)
    }
}
