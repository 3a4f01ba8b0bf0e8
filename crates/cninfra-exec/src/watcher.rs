//! The status watcher: one task reads `/proc/<pid>/stat` of every managed process per
//! interval, records kernel status changes, reports the end of attached processes and
//! reaps attached zombie children when asked to.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use parking_lot::RwLock;
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use crate::LOG;
use crate::process::status::{StatLine, read_stat};
use crate::process::{ExitInfo, ProcStatus, ProcessInstance, Request};

/// The processes of a manager, by name: what the watcher reads.
pub(crate) type Processes = RwLock<BTreeMap<String, Arc<ProcessInstance>>>;

/// A process to read, as it was when the round began.
struct Target {
    instance: Arc<ProcessInstance>,
    pid: u32,
    attached: bool,
    start_ticks: Option<u64>,
}

/// Polls until `token` is cancelled or the manager (the owner of `processes`) is gone.
pub(crate) async fn run(processes: Weak<Processes>, interval: Duration, token: CancellationToken) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let targets = {
            let Some(processes) = processes.upgrade() else {
                return;
            };
            let processes = processes.read();
            processes
                .values()
                .filter_map(|instance| {
                    let info = instance.shared().info.borrow();
                    Some(Target {
                        instance: Arc::clone(instance),
                        pid: info.pid?,
                        attached: info.attached,
                        start_ticks: info.start_ticks,
                    })
                })
                .collect::<Vec<_>>()
        };
        if targets.is_empty() {
            continue;
        }
        // Reading /proc is quick but blocking; one blocking task per round for all.
        let readings = tokio::task::spawn_blocking(move || {
            targets
                .into_iter()
                .map(|target| {
                    let reading = read_stat(target.pid);
                    (target, reading)
                })
                .collect::<Vec<_>>()
        })
        .await;
        let Ok(readings) = readings else {
            continue;
        };
        for (target, reading) in readings {
            apply(&target, reading);
        }
    }
}

fn apply(target: &Target, reading: std::io::Result<StatLine>) {
    let shared = target.instance.shared();
    let pid = Some(target.pid);
    let gone = |exit| {
        target.instance.send(Request::Gone {
            pid: target.pid,
            exit,
        });
    };
    match reading {
        Ok(stat) => {
            if target.attached && target.start_ticks.is_some_and(|t| t != stat.start_ticks) {
                // The pid now belongs to another process.
                gone(ExitInfo::UNKNOWN);
                return;
            }
            let status = stat.status();
            shared.set_status(pid, status);
            if target.attached && status == ProcStatus::Zombie {
                if stat.ppid != std::process::id() {
                    // Ended; only its parent can reap it, and that is not us.
                    gone(ExitInfo::UNKNOWN);
                } else if shared.options.auto_terminate
                    && let Some(exit) = reap(target.pid)
                {
                    gone(exit);
                }
            }
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            // Our own children's ends are seen by their supervising task.
            if target.attached {
                gone(ExitInfo::UNKNOWN);
            }
        }
        Err(err) => {
            debug!(target: LOG, process = %shared.name, error = %err, "cannot read /proc");
            shared.set_status(pid, ProcStatus::Unavailable);
        }
    }
}

/// Reaps an attached zombie that is the agent's child.
fn reap(pid: u32) -> Option<ExitInfo> {
    let raw = i32::try_from(pid).ok()?;
    match waitpid(Pid::from_raw(raw), Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::Exited(_, code)) => Some(ExitInfo {
            code: Some(code),
            signal: None,
        }),
        Ok(WaitStatus::Signaled(_, signal, _)) => Some(ExitInfo {
            code: None,
            signal: Some(signal as i32),
        }),
        Ok(_) => None,
        // ECHILD: someone else reaped it; it is gone either way.
        Err(_) => Some(ExitInfo::UNKNOWN),
    }
}
