//! The supervising task of one process: owns the child, sees its exit at once, applies the
//! restart policy and carries out commands one at a time.

use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::process::Child;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{error, warn};

use super::policy::{Decision, RestartTracker};
use super::shared::{Shared, send_signal};
use super::spawn::spawn_process;
use super::{Event, ExitInfo, ProcStatus, ProcessState};
use crate::LOG;
use crate::error::ExecError;

/// The shortest wait before retrying a start that failed to spawn, whatever the policy: a
/// missing executable must not be retried in a tight loop (upstream's 1 s poll paced it).
const SPAWN_RETRY_FLOOR: Duration = Duration::from_millis(100);

/// Where a command's outcome goes.
pub(crate) type Reply<T> = oneshot::Sender<Result<T, ExecError>>;

/// A command for the supervising task.
#[derive(Debug)]
pub(crate) enum Request {
    Start(Reply<u32>),
    Restart(Reply<u32>),
    Stop {
        force_after: Option<Duration>,
        wait: bool,
        reply: Reply<()>,
    },
    Kill(Reply<()>),
    /// From the watcher: the attached process with this pid has ended.
    Gone {
        pid: u32,
        exit: ExitInfo,
    },
    /// Stop watching; the process keeps running.
    Release(Reply<()>),
    /// The manager shuts down: stop a non-detached child, then end.
    Shutdown(Reply<()>),
}

/// Whether the task goes on after a command.
enum Flow {
    Continue,
    End,
}

pub(crate) struct Actor {
    shared: Arc<Shared>,
    requests: mpsc::UnboundedReceiver<Request>,
    /// Our child while it runs.
    child: Option<Child>,
    /// The pid of an attached process while it runs (not our child: the watcher reports
    /// its end).
    attached: Option<u32>,
    /// When the current run started.
    ran_since: Instant,
    /// The coming exit was asked for (stop, kill, restart, shutdown).
    stopping: bool,
    exit_waiters: Vec<Reply<()>>,
    restart_waiters: Vec<Reply<u32>>,
    shutdown_waiter: Option<Reply<()>>,
    kill_at: Option<Instant>,
    restart_at: Option<Instant>,
    pin_at: Option<Instant>,
    tracker: RestartTracker,
}

impl Actor {
    pub(crate) fn new(
        shared: Arc<Shared>,
        requests: mpsc::UnboundedReceiver<Request>,
        attached: Option<u32>,
    ) -> Self {
        let pin_at = attached
            .and(shared.options.cpu_affinity.as_ref())
            .map(|affinity| Instant::now() + affinity.delay());
        Self {
            shared,
            requests,
            child: None,
            attached,
            ran_since: Instant::now(),
            stopping: false,
            exit_waiters: Vec::new(),
            restart_waiters: Vec::new(),
            shutdown_waiter: None,
            kill_at: None,
            restart_at: None,
            pin_at,
            tracker: RestartTracker::default(),
        }
    }

    pub(crate) async fn run(mut self) {
        loop {
            // A restart that is due now (no back-off) skips the timer, which would add up to
            // a millisecond of timer-wheel granularity.
            if self.restart_at.is_some_and(|at| at <= Instant::now()) {
                self.restart_at = None;
                // A failed start has already been handled as an exit.
                let _ = self.launch().await;
                continue;
            }
            tokio::select! {
                request = self.requests.recv() => {
                    // Every handle dropped: stop watching.
                    let Some(request) = request else { return };
                    if let Flow::End = self.handle(request).await {
                        return;
                    }
                }
                exit = wait_for_exit(&mut self.child) => {
                    let exit = exit.map(ExitInfo::from).unwrap_or_else(|err| {
                        warn!(target: LOG, process = %self.shared.name, error = %err,
                            "cannot read the exit status");
                        ExitInfo::UNKNOWN
                    });
                    self.on_exit(exit).await;
                }
                () = sleep_until(self.restart_at) => {
                    self.restart_at = None;
                    // A failed start has already been handled as an exit.
                    let _ = self.launch().await;
                }
                () = sleep_until(self.kill_at) => {
                    self.kill_at = None;
                    warn!(target: LOG, process = %self.shared.name,
                        "process did not stop in time; sending SIGKILL");
                    self.signal(Signal::SIGKILL);
                }
                () = sleep_until(self.pin_at) => {
                    self.pin_at = None;
                    self.pin();
                }
            }
            if self.shutdown_waiter.is_some() && self.pid().is_none() {
                if let Some(reply) = self.shutdown_waiter.take() {
                    let _ = reply.send(Ok(()));
                }
                return;
            }
        }
    }

    fn pid(&self) -> Option<u32> {
        self.shared.info.borrow().pid
    }

    async fn handle(&mut self, request: Request) -> Flow {
        match request {
            Request::Start(reply) => {
                let result = match self.pid() {
                    Some(pid) => Err(ExecError::AlreadyRunning {
                        name: self.shared.name.clone(),
                        pid,
                    }),
                    None => self.fresh_start().await,
                };
                let _ = reply.send(result);
            }
            Request::Restart(reply) => {
                if self.pid().is_some() {
                    self.begin_stop(Signal::SIGTERM, Some(self.shared.options.stop_timeout));
                    self.restart_waiters.push(reply);
                } else {
                    let _ = reply.send(self.fresh_start().await);
                }
            }
            Request::Stop {
                force_after,
                wait,
                reply,
            } => {
                if self.pid().is_none() {
                    self.restart_at = None;
                    self.shared.set_state(ProcessState::Stopped);
                    let _ = reply.send(Ok(()));
                } else {
                    self.begin_stop(Signal::SIGTERM, force_after);
                    if wait {
                        self.exit_waiters.push(reply);
                    } else {
                        let _ = reply.send(Ok(()));
                    }
                }
            }
            Request::Kill(reply) => {
                if self.pid().is_none() {
                    self.restart_at = None;
                    self.shared.set_state(ProcessState::Stopped);
                    let _ = reply.send(Ok(()));
                } else {
                    self.begin_stop(Signal::SIGKILL, None);
                    self.exit_waiters.push(reply);
                }
            }
            Request::Gone { pid, exit } => {
                if self.attached == Some(pid) {
                    self.on_exit(exit).await;
                }
            }
            Request::Release(reply) => {
                let _ = reply.send(Ok(()));
                return Flow::End;
            }
            Request::Shutdown(reply) => {
                self.restart_at = None;
                let ours = self.child.is_some() && !self.shared.options.detach;
                if !ours {
                    let _ = reply.send(Ok(()));
                    return Flow::End;
                }
                self.begin_stop(Signal::SIGTERM, Some(self.shared.options.stop_timeout));
                self.shutdown_waiter = Some(reply);
            }
        }
        Flow::Continue
    }

    /// A start by hand: forgets earlier restarts.
    async fn fresh_start(&mut self) -> Result<u32, ExecError> {
        self.restart_at = None;
        self.tracker = RestartTracker::default();
        self.shared.info.send_modify(|info| info.restarts = 0);
        self.launch().await
    }

    /// Spawns the process. A failure is handled like an exit (restart policy) and returned.
    async fn launch(&mut self) -> Result<u32, ExecError> {
        self.shared.set_state(ProcessState::Starting);
        let shared = Arc::clone(&self.shared);
        let spawned = spawn_process(&shared.name, &shared.program, &shared.options).await;
        let child = match spawned {
            Ok(child) => child,
            Err(err) => {
                error!(target: LOG, process = %self.shared.name, error = %err,
                    "cannot start process");
                self.decide(Duration::ZERO, SPAWN_RETRY_FLOOR);
                return Err(err);
            }
        };
        let Some(pid) = child.id() else {
            // Only possible if the child was already reaped, which nothing else does.
            self.decide(Duration::ZERO, SPAWN_RETRY_FLOOR);
            return Err(ExecError::NotRunning {
                name: self.shared.name.clone(),
            });
        };
        self.child = Some(child);
        self.ran_since = Instant::now();
        self.shared.info.send_modify(|info| {
            info.pid = Some(pid);
            info.started_at = Some(std::time::SystemTime::now());
            info.start_ticks = None;
            info.attached = false;
        });
        self.shared.set_status(Some(pid), ProcStatus::Initial);
        self.shared.set_state(ProcessState::Running);
        if let Some(affinity) = &self.shared.options.cpu_affinity {
            if affinity.delay().is_zero() {
                self.pin();
            } else {
                self.pin_at = Some(Instant::now() + affinity.delay());
            }
        }
        Ok(pid)
    }

    fn begin_stop(&mut self, signal: Signal, force_after: Option<Duration>) {
        self.stopping = true;
        self.restart_at = None;
        self.shared.set_state(ProcessState::Stopping);
        self.signal(signal);
        if let Some(after) = force_after {
            let at = Instant::now() + after;
            self.kill_at = Some(self.kill_at.map_or(at, |earlier| earlier.min(at)));
        }
    }

    fn signal(&self, signal: Signal) {
        if let Some(pid) = self.pid() {
            // ESRCH: it is exiting already; the exit will be seen.
            if let Err(err) = send_signal(&self.shared.name, pid, signal) {
                warn!(target: LOG, process = %self.shared.name, error = %err, "signal failed");
            }
        }
    }

    fn pin(&self) {
        let (Some(affinity), Some(pid)) = (&self.shared.options.cpu_affinity, self.pid()) else {
            return;
        };
        if let Err(err) = affinity.apply(pid) {
            error!(target: LOG, process = %self.shared.name, error = %err,
                "cannot set CPU affinity");
        }
    }

    async fn on_exit(&mut self, exit: ExitInfo) {
        let pid = self.pid();
        self.child = None;
        self.attached = None;
        self.kill_at = None;
        self.pin_at = None;
        let ran_for = self.ran_since.elapsed();
        // The pid goes and the status becomes TERMINATED in one step, so that a watcher
        // reading of the old pid (say ZOMBIE, taken just before the reaping) finds no pid to
        // apply to and cannot overwrite it.
        let mut terminated = false;
        self.shared.info.send_modify(|info| {
            info.pid = None;
            info.exits += 1;
            info.last_exit = Some(exit);
            terminated = info.status != ProcStatus::Terminated;
            info.status = ProcStatus::Terminated;
        });
        if terminated {
            self.shared
                .publish(pid, Event::Status(ProcStatus::Terminated));
        }
        if std::mem::take(&mut self.stopping) {
            self.shared.set_state(ProcessState::Stopped);
            for waiter in self.exit_waiters.drain(..) {
                let _ = waiter.send(Ok(()));
            }
            if !self.restart_waiters.is_empty() && self.shutdown_waiter.is_none() {
                let result = self.fresh_start().await;
                let name = &self.shared.name;
                let mut first = Some(result);
                for waiter in self.restart_waiters.drain(..) {
                    let result = match first.take() {
                        Some(result) => result,
                        None => Err(ExecError::NotRunning { name: name.clone() }),
                    };
                    let _ = waiter.send(result);
                }
            }
            for waiter in self.restart_waiters.drain(..) {
                let _ = waiter.send(Err(ExecError::Closed {
                    name: self.shared.name.clone(),
                }));
            }
        } else {
            warn!(target: LOG, process = %self.shared.name, pid, %exit,
                ran_ms = ran_for.as_millis() as u64, "process exited on its own");
            for waiter in self.exit_waiters.drain(..) {
                let _ = waiter.send(Ok(()));
            }
            self.decide(ran_for, Duration::ZERO);
        }
    }

    /// Applies the restart policy after a run of `ran_for` ended on its own; a restart
    /// waits at least `floor`.
    fn decide(&mut self, ran_for: Duration, floor: Duration) {
        let options = &self.shared.options;
        let now = Instant::now();
        match self.tracker.on_exit(
            options.restarts,
            &options.restart_policy,
            now.into_std(),
            ran_for,
        ) {
            Decision::Restart(delay) => {
                let done = self.tracker.done();
                self.shared.info.send_modify(|info| info.restarts = done);
                self.shared.set_state(ProcessState::Backoff);
                self.restart_at = Some(now + delay.max(floor));
            }
            Decision::Exhausted => self.shared.set_state(ProcessState::Exited),
            Decision::Fatal => {
                error!(target: LOG, process = %self.shared.name,
                    limit = options.restart_policy.burst_limit,
                    window = ?options.restart_policy.burst_window,
                    "process restarted too often; giving up (FATAL)");
                self.shared.set_state(ProcessState::Fatal);
            }
        }
    }
}

async fn wait_for_exit(child: &mut Option<Child>) -> std::io::Result<std::process::ExitStatus> {
    match child {
        Some(child) => child.wait().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
