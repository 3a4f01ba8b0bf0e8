//! Process manager and supervisor of cninfra: start child processes, watch them, restart
//! them with back-off, and run hooks on their state changes.
//!
//! - [`ProcessManager`] keeps processes by name: [`new_process`](ProcessManager::new_process),
//!   [`attach`](ProcessManager::attach) to a foreign pid, templates from a folder.
//! - [`ProcessInstance`] drives one: start, stop, restart, kill, signal, wait, and its
//!   [`ProcessInfo`] (pid, state, kernel status, restarts, uptime).
//! - [`ProcessOptions`] say how: arguments, environment, output, restarts and
//!   [`RestartPolicy`], detach, [`CpuAffinity`].
//! - Plugins: [`ProcessManagerPlugin`] (`process-manager`) and [`SupervisorPlugin`]
//!   (`supervisor`, programs and hooks from `supervisor.conf`, REST API).
//!
//! Each process has one task that waits on the child, so an exit is seen the moment it
//! happens; one watcher task reads `/proc/<pid>/stat` of all processes per interval for the
//! kernel status. Children die with the agent (parent-death signal) unless detached.
//!
//! # Quick start
//! ```
//! use cninfra_exec::{ManagerConfig, ProcessManager, ProcessOptions, ProcessState, Restarts};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cninfra_exec::ExecError> {
//! let manager = ProcessManager::new(ManagerConfig::default())?;
//! let web = manager.new_process(
//!     "web",
//!     "sleep",
//!     ProcessOptions::new().with_args(["60"]).with_restarts(Restarts::Always),
//! )?;
//! let pid = web.start().await?;
//! assert_eq!(web.state(), ProcessState::Running);
//! assert_eq!(manager.by_pid(pid).map(|p| p.name().to_owned()), Some("web".to_owned()));
//! manager.shutdown().await; // SIGTERM to every non-detached child
//! # Ok(()) }
//! ```
//!
//! The guide, with the state machine, restart policy, hook environment, REST API and config
//! samples, is `docs/exec.md`.

mod error;
mod manager;
mod plugin;
mod process;
mod supervisor;
mod template;
mod watcher;

pub use error::ExecError;
pub use manager::{ManagerConfig, ProcessManager};
pub use plugin::{ProcessManagerPlugin, ProcessManagerPluginBuilder};
pub use process::{
    CpuAffinity, Event, ExitInfo, Notification, Output, ProcStatus, ProcessInfo, ProcessInstance,
    ProcessOptions, ProcessState, RestartPolicy, Restarts, SharedWriter,
};
pub use supervisor::{
    HookConfig, HookStats, ProgramConfig, Supervisor, SupervisorConfig, SupervisorPlugin,
    SupervisorPluginBuilder,
};
pub use template::{Template, TemplateOptions};

/// The log target of the process manager, its processes and its watcher: the plugin's
/// name, so that one logger level covers the plugin and the manager it runs.
pub(crate) const LOG: &str = ProcessManagerPlugin::NAME;
