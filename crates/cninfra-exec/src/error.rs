//! The error type of the crate.

use std::path::PathBuf;

use cninfra_core::config::ConfigError;

/// An error of the process manager or the supervisor.
///
/// Messages name the process, program, file, field or value at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// A process name is empty or holds `/` (it also names template files).
    #[error("invalid process name {name:?}: it must be non-empty and hold no `/`")]
    InvalidName {
        /// The name.
        name: String,
    },
    /// Another process is already managed under this name.
    #[error("a process named `{name}` is already managed")]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// No managed process has this name.
    #[error("no process named `{name}` is managed")]
    UnknownProcess {
        /// The name.
        name: String,
    },
    /// The child could not be started (executable missing, not executable, bad folder...).
    #[error("cannot start process `{name}` from executable {command:?}")]
    Spawn {
        /// The process.
        name: String,
        /// The executable as given.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A supervisor program's executable does not exist or cannot be run.
    #[error("program `{program}`: executable {path:?} {reason}")]
    MissingExecutable {
        /// The program.
        program: String,
        /// The executable as configured.
        path: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A CPU mask or list that cannot be parsed or selects no CPU.
    #[error("invalid CPU affinity {value:?}: {reason}")]
    InvalidAffinity {
        /// The mask or list as given.
        value: String,
        /// What is wrong.
        reason: String,
    },
    /// The kernel refused the CPU affinity (for example no listed CPU is online).
    #[error("cannot pin pid {pid} to CPUs {cpus}")]
    Affinity {
        /// The process.
        pid: u32,
        /// The CPUs, as a list (`0-2,5`).
        cpus: String,
        /// The kernel's answer.
        #[source]
        source: nix::Error,
    },
    /// A signal could not be delivered.
    #[error("cannot send {signal} to process `{name}` (pid {pid})")]
    Signal {
        /// The process.
        name: String,
        /// Its pid.
        pid: u32,
        /// The signal.
        signal: nix::sys::signal::Signal,
        /// The kernel's answer.
        #[source]
        source: nix::Error,
    },
    /// The process has no pid: it is not running.
    #[error("process `{name}` is not running")]
    NotRunning {
        /// The process.
        name: String,
    },
    /// `start` was asked of a running process.
    #[error("process `{name}` is already running (pid {pid})")]
    AlreadyRunning {
        /// The process.
        name: String,
        /// Its pid.
        pid: u32,
    },
    /// The pid to attach to does not name a live process (or is ours).
    #[error("cannot attach to pid {pid}: {reason}")]
    Attach {
        /// The pid.
        pid: u32,
        /// Why.
        reason: String,
    },
    /// A config or template file could not be read or does not fit (names file, line and
    /// field).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A field of a config or template file has a value that parses but is not allowed.
    #[error("{origin}: field `{field}`: {message}")]
    InvalidField {
        /// The file (or `supervisor config` when built in code).
        origin: String,
        /// Dotted path of the field (`programs[0].executable-path`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The template folder cannot be listed.
    #[error("cannot read template folder {path:?}")]
    TemplateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A template file cannot be written.
    #[error("cannot write template file {path:?}")]
    TemplateWrite {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A template was asked to be saved but no folder is configured.
    #[error("no template folder configured: set `template-path` in process-manager.conf")]
    NoTemplatePath,
    /// The process's supervising task has ended (its manager shut down, or it was deleted).
    #[error("process `{name}` is no longer managed (manager shut down or process deleted)")]
    Closed {
        /// The process.
        name: String,
    },
    /// The manager was created outside a tokio runtime.
    #[error("the process manager must be created inside a tokio runtime")]
    NoRuntime,
    /// The spawner thread could not be started or has gone.
    #[error("the process spawner thread is unavailable: {reason}")]
    Spawner {
        /// Why.
        reason: String,
    },
    /// A plugin was used before its `init` ran.
    #[error(transparent)]
    NotReady(#[from] cninfra_core::NotReady),
}
