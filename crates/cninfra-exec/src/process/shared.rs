//! What the handle of a process, its supervising task and the watcher share: the process's
//! definition, its latest [`ProcessInfo`] and its event streams.

use std::time::SystemTime;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::sync::{broadcast, watch};
use tracing::info;

use super::{Event, Notification, ProcStatus, ProcessInfo, ProcessOptions, ProcessState};
use crate::LOG;
use crate::error::ExecError;

/// What the handle, the supervising task and the watcher share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) program: String,
    pub(crate) options: ProcessOptions,
    pub(crate) info: watch::Sender<ProcessInfo>,
    pub(crate) events: broadcast::Sender<Notification>,
    pub(crate) manager_events: broadcast::Sender<Notification>,
}

impl Shared {
    pub(crate) fn publish(&self, pid: Option<u32>, event: Event) {
        let notification = Notification {
            name: self.name.clone(),
            pid,
            event,
            at: SystemTime::now(),
        };
        // No subscriber is not an error.
        if self.options.notify {
            let _ = self.manager_events.send(notification.clone());
        }
        let _ = self.events.send(notification);
    }

    /// Moves to `state`, publishing and logging the change.
    pub(crate) fn set_state(&self, state: ProcessState) {
        let mut previous = state;
        let changed = self.info.send_if_modified(|info| {
            previous = info.state;
            info.state = state;
            previous != state
        });
        if changed {
            let pid = self.info.borrow().pid;
            info!(target: LOG, process = %self.name, pid, from = %previous, to = %state,
                "process state changed");
            self.publish(pid, Event::State(state));
        }
    }

    /// Records `status` if the process still runs as `pid` (a watcher reading may be older
    /// than the latest exit, which clears the pid); publishes it when it changed.
    pub(crate) fn set_status(&self, pid: Option<u32>, status: ProcStatus) -> bool {
        let changed = self.info.send_if_modified(|info| {
            let current = pid.is_some() && info.pid == pid;
            let changed = current && info.status != status;
            if changed {
                info.status = status;
            }
            changed
        });
        if changed {
            self.publish(pid, Event::Status(status));
        }
        changed
    }
}

/// Sends `signal` to `pid`, the process `name`.
pub(crate) fn send_signal(name: &str, pid: u32, signal: Signal) -> Result<(), ExecError> {
    let fail = |source| ExecError::Signal {
        name: name.to_owned(),
        pid,
        signal,
        source,
    };
    let raw = i32::try_from(pid).map_err(|_| fail(nix::Error::ESRCH))?;
    kill(Pid::from_raw(raw), signal).map_err(fail)
}
