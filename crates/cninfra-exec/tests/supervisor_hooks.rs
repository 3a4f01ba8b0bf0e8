//! Supervisor hooks: the environment of each transition, filters, and a hook that hangs.

mod processes;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_core::RunningAgent;
use cninfra_exec::SupervisorPlugin;
use cninfra_testsupport::wait_until;
use parking_lot::Mutex;
use processes::{is_dead, with_supervisor};

const SECOND: Duration = Duration::from_secs(1);

/// A hook script that appends `<name> <event type> <state> <CARGO or none>` to `$0`.
const RECORD: &str = r#"printf '%s %s %s %s\n' "$SUPERVISOR_PROCESS_NAME" "$SUPERVISOR_EVENT_TYPE" "$SUPERVISOR_PROCESS_STATE" "${CARGO:-none}" >> "$0""#;

async fn start(dir: &Path, config: &str) -> (RunningAgent, Arc<SupervisorPlugin>, String) {
    let supervisor = SupervisorPlugin::new();
    let (builder, http) = with_supervisor(supervisor.clone());
    let path = dir.join("supervisor.conf");
    std::fs::write(&path, config).unwrap();
    let agent = builder
        .with_args(["test", "--config-dir", dir.to_str().unwrap()])
        .with_env([("SUPERVISOR_CONFIG", path.to_str().unwrap())])
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let base = format!("http://{}", http.local_addr().unwrap());
    (agent, supervisor, base)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn hooks_run_with_the_right_environment_for_each_transition() {
    let dir = tempfile::tempdir().unwrap();
    let states = dir.path().join("states");
    let ended = dir.path().join("ended");
    let other = dir.path().join("other");
    let config = format!(
        "programs:
  - name: job
    executable-path: sh
    executable-args: [\"-c\", \"exit 3\"]
hooks:
  - cmd: sh
    cmd-args: [\"-c\", {script:?}, {states:?}]
    event-type: ProcessState
  - cmd: sh
    cmd-args: [\"-c\", {script:?}, {ended:?}]
    event-type: terminated
  - cmd: sh
    cmd-args: [\"-c\", {script:?}, {other:?}]
    program-name: other
",
        script = RECORD,
        states = states.display().to_string(),
        ended = ended.display().to_string(),
        other = other.display().to_string(),
    );
    let (agent, plugin, _) = start(dir.path(), &config).await;
    let supervisor = plugin.supervisor().unwrap();
    wait_until("the hooks of the whole run", 10 * SECOND, || {
        lines(&states).len() == 3 && lines(&ended).len() == 1
    })
    .await;
    assert_eq!(
        lines(&states),
        [
            "job ProcessState STARTING none",
            "job ProcessState RUNNING none",
            "job ProcessState EXITED none",
        ]
    );
    assert_eq!(lines(&ended), ["job ProcessStatus terminated none"]);
    assert!(!other.exists(), "filtered out by program name");
    wait_until("four hooks counted", 5 * SECOND, || {
        supervisor.hook_stats().succeeded == 4
    })
    .await;
    agent.stop().await.unwrap();
}

/// Collects log lines (for the time-out message).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_hanging_hook_is_killed_at_its_timeout_and_logged() {
    let logs = Logs::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    // The test runtime has one thread, so every task logs through this subscriber.
    let _guard = tracing::subscriber::set_default(subscriber);

    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("hung.pid");
    let after = dir.path().join("after");
    let config = format!(
        "programs:
  - name: sleeper
    executable-path: sleep
    executable-args: [\"60\"]
hooks:
  - cmd: sh
    cmd-args: [\"-c\", \"sleep 30 & echo $! > \\\"$0\\\"; wait\", {pid_file:?}]
    event-type: RUNNING
    timeout: 300ms
  - cmd: sh
    cmd-args: [\"-c\", \"echo next >> \\\"$0\\\"\", {after:?}]
    event-type: RUNNING
",
        pid_file = pid_file.display().to_string(),
        after = after.display().to_string(),
    );
    let started = Instant::now();
    let (agent, plugin, base) = start(dir.path(), &config).await;
    wait_until("the next hook", 10 * SECOND, || lines(&after) == ["next"]).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let supervisor = plugin.supervisor().unwrap();
    wait_until("both hooks counted", 5 * SECOND, || {
        supervisor.hook_stats().succeeded == 1 && supervisor.hook_stats().timed_out == 1
    })
    .await;
    let stats: serde_json::Value = reqwest::get(format!("{base}/supervisor/hooks"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        stats,
        serde_json::json!({"succeeded": 1, "failed": 0, "timed_out": 1})
    );
    let hung: u32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    wait_until("the hook's own child to be killed", 5 * SECOND, || {
        is_dead(hung)
    })
    .await;
    let text = String::from_utf8_lossy(&logs.0.lock()).into_owned();
    assert!(
        text.contains("hook timed out; killed its process group") && text.contains("hook=sh"),
        "{text}"
    );
    agent.stop().await.unwrap();
}
