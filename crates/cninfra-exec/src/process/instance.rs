//! The handle of a managed process.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::actor::{Reply, Request};
use super::shared::{Shared, send_signal};
use super::{ExitInfo, Notification, ProcStatus, ProcessInfo, ProcessOptions, ProcessState};
use crate::error::ExecError;

/// A managed process: start, stop, restart, signal and watch it.
///
/// Obtained from [`ProcessManager::new_process`](crate::ProcessManager::new_process),
/// [`attach`](crate::ProcessManager::attach) or a template. Each process has one
/// supervising task that owns the child: it sees an exit the moment it happens (it waits
/// on the child), applies the restart policy and serialises the commands below.
///
/// # Examples
/// ```
/// use cninfra_exec::{ManagerConfig, ProcessManager, ProcessOptions, ProcessState};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_exec::ExecError> {
/// let manager = ProcessManager::new(ManagerConfig::default())?;
/// let sleeper = manager.new_process("sleeper", "sleep", ProcessOptions::new().with_args(["30"]))?;
/// let pid = sleeper.start().await?;
/// assert!(sleeper.is_alive());
/// assert_eq!(sleeper.pid(), Some(pid));
/// sleeper.stop_and_wait().await?;
/// assert_eq!(sleeper.state(), ProcessState::Stopped);
/// # manager.shutdown().await;
/// # Ok(()) }
/// ```
pub struct ProcessInstance {
    shared: Arc<Shared>,
    requests: mpsc::UnboundedSender<Request>,
}

impl fmt::Debug for ProcessInstance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let info = self.shared.info.borrow();
        f.debug_struct("ProcessInstance")
            .field("name", &self.shared.name)
            .field("pid", &info.pid)
            .field("state", &info.state)
            .finish()
    }
}

impl ProcessInstance {
    pub(crate) fn new(shared: Arc<Shared>, requests: mpsc::UnboundedSender<Request>) -> Self {
        Self { shared, requests }
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    pub(crate) fn send(&self, request: Request) {
        // A closed task has nothing left to do with the request.
        let _ = self.requests.send(request);
    }

    async fn ask<T>(&self, make: impl FnOnce(Reply<T>) -> Request) -> Result<T, ExecError> {
        let closed = || ExecError::Closed {
            name: self.shared.name.clone(),
        };
        let (reply, answer) = oneshot::channel();
        self.requests.send(make(reply)).map_err(|_| closed())?;
        answer.await.map_err(|_| closed())?
    }

    /// Starts the process and returns its pid. Leaves `EXITED`/`FATAL` and resets the
    /// restart count.
    ///
    /// # Errors
    /// [`ExecError::AlreadyRunning`], [`ExecError::Spawn`] naming the executable,
    /// [`ExecError::Closed`] after the manager shut down.
    pub async fn start(&self) -> Result<u32, ExecError> {
        self.ask(Request::Start).await
    }

    /// Stops gracefully (SIGTERM, SIGKILL after the stop timeout) and starts again; starts
    /// a process that is not running. Returns the new pid.
    ///
    /// # Errors
    /// As [`start`](Self::start), except `AlreadyRunning`.
    pub async fn restart(&self) -> Result<u32, ExecError> {
        self.ask(Request::Restart).await
    }

    /// Sends SIGTERM and returns without waiting; the process is not restarted. Stopping a
    /// process that does not run only cancels a pending restart.
    ///
    /// # Errors
    /// [`ExecError::Closed`] after the manager shut down.
    pub async fn stop(&self) -> Result<(), ExecError> {
        self.ask(|reply| Request::Stop {
            force_after: None,
            wait: false,
            reply,
        })
        .await
    }

    /// Sends SIGTERM and waits for the exit; sends SIGKILL if the process is still alive
    /// after its stop timeout.
    ///
    /// # Errors
    /// [`ExecError::Closed`] after the manager shut down.
    pub async fn stop_and_wait(&self) -> Result<(), ExecError> {
        let force_after = Some(self.shared.options.stop_timeout);
        self.ask(|reply| Request::Stop {
            force_after,
            wait: true,
            reply,
        })
        .await
    }

    /// Sends SIGKILL and waits until the process is reaped; it is not restarted.
    ///
    /// # Errors
    /// [`ExecError::Closed`] after the manager shut down.
    pub async fn kill(&self) -> Result<(), ExecError> {
        self.ask(Request::Kill).await
    }

    /// Waits until the current run ends and returns how it ended (at once, with the last
    /// end, when not running).
    pub async fn wait(&self) -> Option<ExitInfo> {
        let mut info = self.shared.info.subscribe();
        let (running, exits) = {
            let now = info.borrow();
            (now.pid.is_some(), now.exits)
        };
        if !running {
            return info.borrow().last_exit;
        }
        match info.wait_for(|now| now.exits > exits).await {
            Ok(now) => now.last_exit,
            Err(_) => None,
        }
    }

    /// Sends a signal.
    ///
    /// # Errors
    /// [`ExecError::NotRunning`] without a pid, [`ExecError::Signal`] when the kernel
    /// refuses.
    pub fn signal(&self, signal: Signal) -> Result<(), ExecError> {
        let pid = self.pid().ok_or_else(|| ExecError::NotRunning {
            name: self.shared.name.clone(),
        })?;
        send_signal(&self.shared.name, pid, signal)
    }

    /// Whether the pid answers signal 0 (a zombie still does).
    pub fn is_alive(&self) -> bool {
        self.pid().is_some_and(|pid| {
            i32::try_from(pid).is_ok_and(|raw| kill(Pid::from_raw(raw), None).is_ok())
        })
    }

    /// The name in the manager.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The executable.
    pub fn command(&self) -> &str {
        &self.shared.program
    }

    /// The arguments.
    pub fn args(&self) -> &[String] {
        &self.shared.options.args
    }

    /// All options.
    pub fn options(&self) -> &ProcessOptions {
        &self.shared.options
    }

    /// The pid while running.
    pub fn pid(&self) -> Option<u32> {
        self.shared.info.borrow().pid
    }

    /// The life-cycle state.
    pub fn state(&self) -> ProcessState {
        self.shared.info.borrow().state
    }

    /// The kernel status as last read.
    pub fn status(&self) -> ProcStatus {
        self.shared.info.borrow().status
    }

    /// When the current (or last) run started.
    pub fn start_time(&self) -> Option<SystemTime> {
        self.shared.info.borrow().started_at
    }

    /// How long the current run has lasted.
    pub fn uptime(&self) -> Option<Duration> {
        self.shared.info.borrow().uptime()
    }

    /// A snapshot of everything above.
    pub fn info(&self) -> ProcessInfo {
        self.shared.info.borrow().clone()
    }

    /// The latest snapshot, updated on every change (`changed().await`, `wait_for`).
    pub fn watch(&self) -> watch::Receiver<ProcessInfo> {
        self.shared.info.subscribe()
    }

    /// Every state and status change of this process from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Notification> {
        self.shared.events.subscribe()
    }
}
