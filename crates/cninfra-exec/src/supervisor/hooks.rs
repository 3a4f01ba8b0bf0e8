//! Hooks: commands run, one at a time and in order, on every state change of a program.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Arc;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use parking_lot::Mutex;
use tokio::process::Command;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use super::LOG;
use super::config::HookConfig;
use crate::process::spawn::{Ties, spawn_command};
use crate::process::{ExitInfo, Notification};

/// `PATH` of the clean environment hooks run in.
const HOOK_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// At most this much of a hook's stdout and of its stderr is logged.
const OUTPUT_LOG_LIMIT: usize = 4096;

impl HookConfig {
    /// Whether the hook runs for this change.
    pub(crate) fn matches(&self, change: &Notification) -> bool {
        (self.program_name.is_empty() || self.program_name == change.name)
            && (self.event_type.is_empty()
                || self.event_type == change.event.event_type()
                || self.event_type == change.event.value())
    }
}

/// How one hook run ended.
#[derive(Debug)]
pub(crate) enum HookOutcome {
    /// It ran to the end.
    Finished(ExitInfo),
    /// It ran past its timeout and was killed.
    TimedOut,
    /// It could not be started or waited for.
    Failed,
}

/// How the hooks have fared so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct HookStats {
    /// Runs that exited with code 0.
    pub succeeded: u64,
    /// Runs that exited otherwise, or could not be started.
    pub failed: u64,
    /// Runs killed at their timeout.
    pub timed_out: u64,
}

impl HookStats {
    fn count(&mut self, outcome: &HookOutcome) {
        match outcome {
            HookOutcome::Finished(exit) if exit.success() => self.succeeded += 1,
            HookOutcome::Finished(_) | HookOutcome::Failed => self.failed += 1,
            HookOutcome::TimedOut => self.timed_out += 1,
        }
    }
}

/// Runs the matching hooks for every change of the supervisor's programs until `token` is
/// cancelled.
pub(crate) async fn run(
    hooks: Vec<HookConfig>,
    programs: BTreeSet<String>,
    mut changes: broadcast::Receiver<Notification>,
    stats: Arc<Mutex<HookStats>>,
    token: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            () = token.cancelled() => return,
            change = changes.recv() => match change {
                Ok(change) => change,
                Err(broadcast::error::RecvError::Lagged(skipped)) => {
                    warn!(target: LOG, skipped, "hooks fell behind; state changes skipped");
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        };
        if !programs.contains(&change.name) {
            continue;
        }
        for hook in hooks.iter().filter(|hook| hook.matches(&change)) {
            tokio::select! {
                () = token.cancelled() => return,
                outcome = run_one(hook, &change) => stats.lock().count(&outcome),
            }
        }
    }
}

/// Runs one hook in a clean environment (only `PATH` and the `SUPERVISOR_*` variables),
/// in its own process group, and logs its outcome and output.
pub(crate) async fn run_one(hook: &HookConfig, change: &Notification) -> HookOutcome {
    let mut command = Command::new(&hook.cmd);
    command
        .args(&hook.cmd_args)
        .env_clear()
        .env("PATH", HOOK_PATH)
        .env("SUPERVISOR_PROCESS_NAME", &change.name)
        .env("SUPERVISOR_PROCESS_STATE", change.event.value())
        .env("SUPERVISOR_EVENT_TYPE", change.event.event_type())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let ties = Ties {
        own_group: true,
        die_with_agent: true,
    };
    let child = match spawn_command(command, ties).await {
        Ok(child) => child,
        Err(err) => {
            warn!(target: LOG, hook = %hook.cmd, program = %change.name, error = %err,
                "cannot run hook");
            return HookOutcome::Failed;
        }
    };
    let group = child.id().and_then(|pid| i32::try_from(pid).ok());
    match tokio::time::timeout(hook.timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => {
            let exit = ExitInfo::from(output.status);
            let stdout = excerpt(&output.stdout);
            let stderr = excerpt(&output.stderr);
            if exit.success() {
                info!(target: LOG, hook = %hook.cmd, program = %change.name,
                    state = change.event.value(), %exit, %stdout, %stderr, "hook ran");
            } else {
                warn!(target: LOG, hook = %hook.cmd, program = %change.name,
                    state = change.event.value(), %exit, %stdout, %stderr, "hook failed");
            }
            HookOutcome::Finished(exit)
        }
        Ok(Err(err)) => {
            warn!(target: LOG, hook = %hook.cmd, error = %err, "cannot wait for hook");
            HookOutcome::Failed
        }
        Err(_) => {
            // The child itself got SIGKILL when its future was dropped; this gets whatever
            // it started.
            if let Some(group) = group {
                let _ = killpg(Pid::from_raw(group), Signal::SIGKILL);
            }
            warn!(target: LOG, hook = %hook.cmd, program = %change.name,
                timeout = ?hook.timeout, "hook timed out; killed its process group");
            HookOutcome::TimedOut
        }
    }
}

fn excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(OUTPUT_LOG_LIMIT)]);
    text.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;
    use crate::process::{Event, ProcStatus, ProcessState};

    fn change(name: &str, event: Event) -> Notification {
        Notification {
            name: name.to_owned(),
            pid: Some(1),
            event,
            at: SystemTime::now(),
        }
    }

    #[test]
    fn filters_by_program_and_by_event_type_or_value() {
        let mut hook = HookConfig {
            cmd: "true".into(),
            ..HookConfig::default()
        };
        let fatal = change("vpp", Event::State(ProcessState::Fatal));
        let terminated = change("agent", Event::Status(ProcStatus::Terminated));
        assert!(hook.matches(&fatal) && hook.matches(&terminated));
        hook.program_name = "vpp".into();
        assert!(hook.matches(&fatal) && !hook.matches(&terminated));
        hook.program_name.clear();
        hook.event_type = "terminated".into();
        assert!(!hook.matches(&fatal) && hook.matches(&terminated));
        hook.event_type = "ProcessState".into();
        assert!(hook.matches(&fatal) && !hook.matches(&terminated));
    }

    #[tokio::test]
    async fn a_hook_runs_in_a_clean_environment_with_the_supervisor_variables() {
        // Exits 0 only if the three variables are right and the agent's own (cargo sets
        // CARGO for tests) did not leak through.
        let check = r#"[ "$SUPERVISOR_PROCESS_NAME" = vpp ] \
            && [ "$SUPERVISOR_PROCESS_STATE" = RUNNING ] \
            && [ "$SUPERVISOR_EVENT_TYPE" = ProcessState ] \
            && [ -z "$CARGO" ] && [ -z "$HOME" ]"#;
        let hook = HookConfig {
            cmd: "sh".into(),
            cmd_args: vec!["-c".into(), check.into()],
            ..HookConfig::default()
        };
        assert!(
            std::env::var_os("CARGO").is_some(),
            "the test needs CARGO set"
        );
        let running = change("vpp", Event::State(ProcessState::Running));
        let outcome = run_one(&hook, &running).await;
        assert!(
            matches!(outcome, HookOutcome::Finished(exit) if exit.success()),
            "{outcome:?}"
        );
        let other = change("agent", Event::State(ProcessState::Running));
        let outcome = run_one(&hook, &other).await;
        assert!(
            matches!(outcome, HookOutcome::Finished(exit) if exit.code == Some(1)),
            "{outcome:?}"
        );
    }

    #[tokio::test]
    async fn a_missing_hook_command_fails_without_panicking() {
        let hook = HookConfig {
            cmd: "/no/such/hook".into(),
            ..HookConfig::default()
        };
        let outcome = run_one(&hook, &change("vpp", Event::State(ProcessState::Fatal))).await;
        assert!(matches!(outcome, HookOutcome::Failed), "{outcome:?}");
    }
}
