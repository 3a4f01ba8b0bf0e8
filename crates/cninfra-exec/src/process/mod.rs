//! One managed process: its options, states, restart policy and the handle to drive it.

mod actor;
mod affinity;
mod instance;
mod options;
mod policy;
mod shared;
pub(crate) mod spawn;
pub(crate) mod status;

use std::fmt;
use std::os::unix::process::ExitStatusExt;
use std::time::{Duration, SystemTime};

pub use affinity::CpuAffinity;
pub(crate) use affinity::deserialize_mask;
pub use instance::ProcessInstance;
pub use options::{Output, ProcessOptions, SharedWriter};
pub use policy::{RestartPolicy, Restarts};
pub use status::ProcStatus;

pub(crate) use actor::{Actor, Request};
pub(crate) use shared::Shared;

/// The life-cycle state of a managed process, after supervisord's.
///
/// ```text
///  STOPPED --start--> STARTING --spawned--> RUNNING --stop/kill--> STOPPING --exit--> STOPPED
///                        |                     |
///                  spawn failed           exited on its own
///                        +----------+----------+
///                                   v
///                   restart allowed? -- no, budget spent --> EXITED
///                          | yes                 burst limit hit --> FATAL
///                          v
///                       BACKOFF --wait--> STARTING
/// ```
/// A manual `start` or `restart` leaves `EXITED` and `FATAL` and resets the restart count.
/// The kernel's view (sleeping, zombie...) is the separate [`ProcStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum ProcessState {
    /// Not running: never started, or stopped on request.
    Stopped,
    /// Being spawned.
    Starting,
    /// Alive.
    Running,
    /// Exited on its own; waiting before the next start.
    Backoff,
    /// Asked to stop (SIGTERM or SIGKILL sent); waiting for it to exit.
    Stopping,
    /// Exited on its own and will not be restarted (restarts off or budget spent).
    Exited,
    /// Restarted too often within the burst window (or could not be spawned); given up.
    Fatal,
}

impl ProcessState {
    /// The state's name as supervisord writes it: `RUNNING`, `BACKOFF`, `FATAL`...
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessState::Stopped => "STOPPED",
            ProcessState::Starting => "STARTING",
            ProcessState::Running => "RUNNING",
            ProcessState::Backoff => "BACKOFF",
            ProcessState::Stopping => "STOPPING",
            ProcessState::Exited => "EXITED",
            ProcessState::Fatal => "FATAL",
        }
    }
}

impl fmt::Display for ProcessState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a run of a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ExitInfo {
    /// The exit code, when it exited normally.
    pub code: Option<i32>,
    /// The signal that ended it, when killed.
    pub signal: Option<i32>,
}

impl ExitInfo {
    /// An end whose cause is unknown (an attached process that vanished).
    pub(crate) const UNKNOWN: ExitInfo = ExitInfo {
        code: None,
        signal: None,
    };

    /// Whether it exited with code 0.
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl From<std::process::ExitStatus> for ExitInfo {
    fn from(status: std::process::ExitStatus) -> Self {
        ExitInfo {
            code: status.code(),
            signal: status.signal(),
        }
    }
}

impl fmt::Display for ExitInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code, self.signal) {
            (Some(code), _) => write!(f, "exit code {code}"),
            (None, Some(signal)) => match nix::sys::signal::Signal::try_from(signal) {
                Ok(name) => write!(f, "killed by {name}"),
                Err(_) => write!(f, "killed by signal {signal}"),
            },
            (None, None) => f.write_str("unknown exit"),
        }
    }
}

/// A snapshot of a managed process.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ProcessInfo {
    /// The process's name in the manager.
    pub name: String,
    /// Its pid while it runs.
    pub pid: Option<u32>,
    /// Life-cycle state.
    pub state: ProcessState,
    /// Kernel status, as last read by the watcher.
    pub status: ProcStatus,
    /// Automatic restarts since the last manual start.
    pub restarts: u32,
    /// When the current (or last) run started.
    pub started_at: Option<SystemTime>,
    /// How the last run ended.
    pub last_exit: Option<ExitInfo>,
    /// Attached to a process the manager did not start.
    pub attached: bool,
    /// Runs ended so far (lets `wait` tell a new end from an old one).
    pub(crate) exits: u64,
    /// Start ticks of an attached process (tells it from a later process with its pid).
    pub(crate) start_ticks: Option<u64>,
}

impl ProcessInfo {
    pub(crate) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            pid: None,
            state: ProcessState::Stopped,
            status: ProcStatus::Initial,
            restarts: 0,
            started_at: None,
            last_exit: None,
            attached: false,
            exits: 0,
            start_ticks: None,
        }
    }

    /// How long the current run has lasted; `None` when not running.
    pub fn uptime(&self) -> Option<Duration> {
        self.pid?;
        SystemTime::now()
            .duration_since(self.started_at?)
            .ok()
            .or(Some(Duration::ZERO))
    }
}

/// What changed in a [`Notification`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// The life-cycle state changed (`SUPERVISOR_EVENT_TYPE=ProcessState`).
    State(ProcessState),
    /// The kernel status changed (`SUPERVISOR_EVENT_TYPE=ProcessStatus`, upstream's events).
    Status(ProcStatus),
}

impl Event {
    /// `ProcessState` or `ProcessStatus`.
    pub fn event_type(&self) -> &'static str {
        match self {
            Event::State(_) => "ProcessState",
            Event::Status(_) => "ProcessStatus",
        }
    }

    /// The new state or status: `RUNNING`, `FATAL`, `sleeping`, `terminated`...
    pub fn value(&self) -> &'static str {
        match self {
            Event::State(state) => state.as_str(),
            Event::Status(status) => status.as_str(),
        }
    }
}

/// A change of a managed process, as published to subscribers.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The process's name.
    pub name: String,
    /// Its pid at the time (the old pid for `terminated`).
    pub pid: Option<u32>,
    /// What changed.
    pub event: Event,
    /// When.
    pub at: SystemTime,
}
