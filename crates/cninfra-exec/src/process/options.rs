//! How a process is started and looked after.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWrite;
use tokio::sync::Mutex;

use super::affinity::CpuAffinity;
use super::policy::{RestartPolicy, Restarts};

/// A writer shared by every run of a process (its output goes there across restarts).
///
/// An async writer behind a tokio mutex: the task that copies a child's stream writes each
/// chunk as it arrives, holding the lock while it writes and awaiting a writer that is not
/// ready, so a slow writer slows the child (its pipe fills up) and never blocks a runtime
/// thread. Streams that share one writer are interleaved by chunks.
pub type SharedWriter = Arc<Mutex<dyn AsyncWrite + Send + Unpin>>;

/// Where a child's stdout or stderr goes.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Output {
    /// Discarded (`/dev/null`); the default, as upstream without writers.
    #[default]
    Null,
    /// The agent's own stdout or stderr.
    Inherit,
    /// Appended to this file (created when missing); both streams may share one file.
    File(PathBuf),
    /// Copied, as it arrives, into this async writer.
    Writer(SharedWriter),
}

impl Output {
    /// Output copied into `writer` (a `Vec<u8>`, a `tokio::fs::File`, `tokio::io::stdout()`,
    /// one end of a `tokio::io::duplex`...).
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use tokio::sync::Mutex;
    /// use cninfra_exec::Output;
    ///
    /// let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
    /// let output = Output::writer(buffer.clone());
    /// # let _ = output;
    /// ```
    pub fn writer<W: AsyncWrite + Send + Unpin + 'static>(writer: Arc<Mutex<W>>) -> Self {
        Output::Writer(writer)
    }
}

impl fmt::Debug for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Null => f.write_str("Null"),
            Output::Inherit => f.write_str("Inherit"),
            Output::File(path) => f.debug_tuple("File").field(path).finish(),
            Output::Writer(_) => f.write_str("Writer(..)"),
        }
    }
}

/// The options of a managed process (upstream's `POption`s).
///
/// Built with `ProcessOptions::new()` and the `with_*` methods, or from a
/// [`Template`](crate::Template).
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_exec::{CpuAffinity, ProcessOptions, Restarts};
///
/// let options = ProcessOptions::new()
///     .with_args(["-c", "exec sleep 60"])
///     .with_env("MODE", "test")
///     .with_restarts(Restarts::Count(3))
///     .with_cpu_affinity(CpuAffinity::from_list("0")?)
///     .with_stop_timeout(Duration::from_secs(2));
/// assert_eq!(options.args, ["-c", "exec sleep 60"]);
/// # Ok::<(), cninfra_exec::ExecError>(())
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ProcessOptions {
    /// Arguments after the command.
    pub args: Vec<String>,
    /// Variables set for the child, on top of the agent's environment (or of none, with
    /// `clear_env`).
    pub env: BTreeMap<String, String>,
    /// Start from an empty environment rather than the agent's.
    pub clear_env: bool,
    /// Working folder; the agent's when `None` (as upstream).
    pub working_dir: Option<PathBuf>,
    /// Where stdout goes. Default [`Output::Null`].
    pub stdout: Output,
    /// Where stderr goes. Default [`Output::Null`].
    pub stderr: Output,
    /// How often a process that exits on its own is started again. Default never.
    pub restarts: Restarts,
    /// The pacing of those restarts (back-off, burst limit).
    pub restart_policy: RestartPolicy,
    /// Run in its own process group and outlive the agent. Otherwise the child gets
    /// SIGKILL when the agent dies (parent-death signal) and is stopped when the manager
    /// shuts down.
    pub detach: bool,
    /// Publish state changes on the manager-wide stream ([`ProcessManager::subscribe`]);
    /// the process's own stream ([`ProcessInstance::subscribe`]) always has them. Default
    /// true.
    ///
    /// [`ProcessManager::subscribe`]: crate::ProcessManager::subscribe
    /// [`ProcessInstance::subscribe`]: crate::ProcessInstance::subscribe
    pub notify: bool,
    /// For an attached process that is our child: reap it when it turns zombie. (Children
    /// the manager starts are always reaped the moment they exit.)
    pub auto_terminate: bool,
    /// CPUs to pin the process to, and when.
    pub cpu_affinity: Option<CpuAffinity>,
    /// How long a graceful stop (SIGTERM) may take before SIGKILL, in `stop_and_wait`,
    /// `restart` and shutdown. Default 10 s (supervisord's `stopwaitsecs`).
    pub stop_timeout: Duration,
}

impl Default for ProcessOptions {
    fn default() -> Self {
        Self {
            args: Vec::new(),
            env: BTreeMap::new(),
            clear_env: false,
            working_dir: None,
            stdout: Output::Null,
            stderr: Output::Null,
            restarts: Restarts::Never,
            restart_policy: RestartPolicy::default(),
            detach: false,
            notify: true,
            auto_terminate: false,
            cpu_affinity: None,
            stop_timeout: Duration::from_secs(10),
        }
    }
}

impl ProcessOptions {
    /// The defaults: no arguments, output discarded, no restarts, dies with the agent.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the arguments.
    pub fn with_args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args = args.into_iter().map(Into::into).collect();
        self
    }

    /// Adds an environment variable.
    pub fn with_env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.insert(key.into(), value.into());
        self
    }

    /// Starts from an empty environment (plus the variables added with `with_env`).
    pub fn with_clear_env(mut self) -> Self {
        self.clear_env = true;
        self
    }

    /// Sets the working folder.
    pub fn with_working_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Sets where stdout and stderr go.
    pub fn with_output(mut self, stdout: Output, stderr: Output) -> Self {
        self.stdout = stdout;
        self.stderr = stderr;
        self
    }

    /// Appends stdout and stderr to this file.
    pub fn with_log_file(self, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        self.with_output(Output::File(path.clone()), Output::File(path))
    }

    /// Sets how often the process is restarted.
    pub fn with_restarts(mut self, restarts: Restarts) -> Self {
        self.restarts = restarts;
        self
    }

    /// Sets the back-off and burst limit of restarts.
    pub fn with_restart_policy(mut self, policy: RestartPolicy) -> Self {
        self.restart_policy = policy;
        self
    }

    /// Detaches the process: own process group, survives the agent.
    pub fn with_detach(mut self) -> Self {
        self.detach = true;
        self
    }

    /// Keeps the process's changes off the manager-wide stream.
    pub fn without_notify(mut self) -> Self {
        self.notify = false;
        self
    }

    /// Reaps an attached child when it turns zombie.
    pub fn with_auto_terminate(mut self) -> Self {
        self.auto_terminate = true;
        self
    }

    /// Pins the process to CPUs.
    pub fn with_cpu_affinity(mut self, affinity: CpuAffinity) -> Self {
        self.cpu_affinity = Some(affinity);
        self
    }

    /// Sets how long a graceful stop may take before SIGKILL.
    pub fn with_stop_timeout(mut self, timeout: Duration) -> Self {
        self.stop_timeout = timeout;
        self
    }
}
