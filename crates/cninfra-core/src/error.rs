//! Errors of the agent lifecycle.

use std::fmt;
use std::time::Duration;

use crate::config::ConfigError;
use crate::label::InvalidLabel;
use crate::phase::Phase;
use crate::plugin::BoxError;
use crate::subcommand::SubcommandRun;

/// Why an agent could not be built, started or stopped cleanly.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// Two different plugin instances have the same name.
    #[error("two different plugins are named `{name}`; plugin names must be unique")]
    DuplicatePlugin {
        /// The name both use.
        name: String,
    },
    /// Plugins depend on each other in a cycle; `path` starts and ends with the same plugin.
    #[error("plugin dependency cycle: {}", path.join(" -> "))]
    DependencyCycle {
        /// The plugins on the cycle, in dependency order.
        path: Vec<String>,
    },
    /// A plugin requires a plugin type the agent does not have.
    #[error("plugin `{plugin}` needs a `{needs}` plugin, and the agent has none: add one")]
    MissingDependency {
        /// The plugin that declared the requirement.
        plugin: String,
        /// The type it requires.
        needs: &'static str,
    },
    /// A plugin requires a plugin type the agent has several instances of.
    #[error(
        "plugin `{plugin}` needs one `{needs}` plugin, and the agent has several ({}): \
         wire the one it uses explicitly", candidates.join(", ")
    )]
    AmbiguousDependency {
        /// The plugin that declared the requirement.
        plugin: String,
        /// The type it requires.
        needs: &'static str,
        /// The names of the plugins of that type.
        candidates: Vec<String>,
    },
    /// A plugin name that cannot become a flag and a file name.
    #[error(
        "invalid plugin name {name:?}: use lower-case letters, digits, `-` and `_`, \
         starting with a letter"
    )]
    InvalidPluginName {
        /// The name.
        name: String,
    },
    /// Two plugins declare the same command-line flag.
    #[error("flag `--{flag}` is declared by both `{first}` and `{second}`")]
    DuplicateFlag {
        /// The flag.
        flag: String,
        /// The plugin (or `agent`) that declared it first.
        first: String,
        /// The plugin that declared it again.
        second: String,
    },
    /// The command line could not be parsed, or asked for `--help` / `--version`.
    #[error(transparent)]
    Cli(#[from] clap::Error),
    /// The command line names a subcommand of a plugin: run it instead of the agent (what
    /// [`run_main`](crate::run_main) does). Not a failure: its exit code is 0.
    #[error("the command line asks for subcommand `{}`", .0.name())]
    Subcommand(Box<SubcommandRun>),
    /// The service label is not valid.
    #[error(transparent)]
    Label(#[from] InvalidLabel),
    /// A plugin's config could not be read.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A plugin returned an error from a phase.
    #[error("plugin `{plugin}` failed in {phase}")]
    Phase {
        /// The plugin.
        plugin: String,
        /// The phase.
        phase: Phase,
        /// Its error.
        #[source]
        source: BoxError,
    },
    /// A plugin did not finish a phase in time.
    #[error("plugin `{plugin}` did not finish {phase} within {limit:?}")]
    Timeout {
        /// The plugin that hung.
        plugin: String,
        /// The phase.
        phase: Phase,
        /// The limit it missed.
        limit: Duration,
    },
    /// A stop was requested (signal or stop handle) while the agent was starting.
    #[error("agent start interrupted by a stop request during {phase} of plugin `{plugin}`")]
    Interrupted {
        /// The plugin whose phase was running.
        plugin: String,
        /// The phase.
        phase: Phase,
    },
    /// Some plugins failed to close; all plugins were still asked to close.
    #[error("{}", CloseDisplay(failures))]
    Close {
        /// One error per plugin that failed to close.
        failures: Vec<AgentError>,
    },
    /// Installing the signal handlers failed.
    #[error("cannot listen for SIGINT/SIGTERM")]
    Signal(#[source] std::io::Error),
}

impl AgentError {
    /// The process exit code for this error: 0 for `--help`, `--version` and a subcommand
    /// (whose own outcome decides the code when it runs), 2 for other
    /// command-line errors, 1 for everything else.
    pub fn exit_code(&self) -> i32 {
        match self {
            AgentError::Cli(err) => err.exit_code(),
            AgentError::Subcommand(_) => 0,
            _ => 1,
        }
    }
}

struct CloseDisplay<'a>(&'a [AgentError]);

impl fmt::Display for CloseDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} plugin(s) failed to close", self.0.len())?;
        // The failures are not the error's source: each one shows with its causes here.
        for failure in self.0 {
            write!(f, "; {}", ErrorChain(failure))?;
        }
        Ok(())
    }
}

/// An error with all its causes on one line, `message: cause: deeper cause`, for log fields,
/// status texts and API answers.
///
/// Each error's own text says only what failed and names the thing at fault; what caused it
/// is its [`source`](std::error::Error::source). Where only one line of text can be shown,
/// this joins the chain.
///
/// # Examples
/// ```
/// use cninfra_core::ErrorChain;
///
/// #[derive(Debug, thiserror::Error)]
/// #[error("cannot read `a.conf`")]
/// struct ReadFailed(#[source] std::io::Error);
///
/// let err = ReadFailed(std::io::Error::other("disk full"));
/// assert_eq!(ErrorChain(&err).to_string(), "cannot read `a.conf`: disk full");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
