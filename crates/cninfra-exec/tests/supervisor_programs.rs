//! The supervisor plugin: programs from its config, REST API, init errors.

mod processes;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{AgentError, ErrorChain, RunningAgent};
use cninfra_exec::SupervisorPlugin;
use cninfra_testsupport::wait_until;
use processes::{TEST_AGENT, is_dead, with_supervisor};
use serde_json::Value;

const SECOND: Duration = Duration::from_secs(1);

struct Running {
    agent: RunningAgent,
    supervisor: Arc<SupervisorPlugin>,
    base: String,
}

/// Starts an agent with the supervisor, given `config` as `--supervisor-config` (when
/// `Some`), with `dir` as config dir and an HTTP server on a free port.
async fn start(dir: &Path, config: Option<&str>) -> Result<Running, AgentError> {
    let supervisor = SupervisorPlugin::new();
    let (builder, http) = with_supervisor(supervisor.clone());
    let mut args = vec![
        "test".to_owned(),
        "--config-dir".to_owned(),
        dir.display().to_string(),
    ];
    if let Some(config) = config {
        let path = dir.join("sv.conf");
        std::fs::write(&path, config).unwrap();
        args.extend(["--supervisor-config".to_owned(), path.display().to_string()]);
    }
    let agent = builder
        .with_args(args)
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await?;
    let base = format!("http://{}", http.local_addr().unwrap());
    Ok(Running {
        agent,
        supervisor,
        base,
    })
}

async fn programs(base: &str) -> Vec<Value> {
    reqwest::get(format!("{base}/supervisor/programs"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn post(base: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn programs_run_and_are_driven_over_rest() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("sleeper.log");
    std::fs::write(&log, "before\n").unwrap();
    let config = format!(
        "programs:
  - name: sleeper
    executable-path: sh
    executable-args: [\"-c\", \"echo started; exec sleep 60\"]
    logfile-path: {log}
  - executable-path: {agent}
    executable-args: [exit, \"1\", \"20\"]
    restarts: 2
    restart-policy:
      backoff-initial: 10ms
",
        log = log.display(),
        agent = TEST_AGENT,
    );
    let running = start(dir.path(), Some(&config)).await.unwrap();
    let base = &running.base;
    let supervisor = running.supervisor.supervisor().unwrap();
    assert_eq!(supervisor.program_names(), ["sleeper", "exec-test-agent"]);

    let listed = programs(base).await;
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["name"], "sleeper");
    assert_eq!(listed[0]["state"], "RUNNING");
    let first_pid = listed[0]["pid"].as_u64().unwrap() as u32;
    assert!(listed[0]["uptime_secs"].as_f64().is_some());
    wait_until("the log line", 5 * SECOND, || {
        std::fs::read_to_string(&log).unwrap() == "before\nstarted\n"
    })
    .await;

    // The crashing program: restarted twice, then EXITED.
    let crasher = supervisor.program("exec-test-agent").unwrap();
    wait_until("the restart budget to run out", 10 * SECOND, || {
        crasher.state() == cninfra_exec::ProcessState::Exited
    })
    .await;
    let listed = programs(base).await;
    assert_eq!(listed[1]["state"], "EXITED");
    assert_eq!(listed[1]["restarts"], 2);
    assert_eq!(listed[1]["last_exit"], "exit code 1");
    assert_eq!(listed[1]["pid"], Value::Null);

    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "supervisor_program_up{program=\"sleeper\"} 1",
        "supervisor_program_up{program=\"exec-test-agent\"} 0",
        "supervisor_program_restarts{program=\"exec-test-agent\"} 2",
        "supervisor_program_state{program=\"exec-test-agent\",state=\"EXITED\"} 1",
    ] {
        assert!(
            metrics.lines().any(|l| l == line),
            "no {line:?} in\n{metrics}"
        );
    }
    assert!(metrics.contains("supervisor_program_uptime_seconds{program=\"sleeper\"}"));

    let (status, body) = post(base, "/supervisor/programs/sleeper/stop").await;
    assert_eq!((status, &body["state"]), (200, &Value::from("STOPPED")));
    assert!(is_dead(first_pid));
    let (status, body) = post(base, "/supervisor/programs/sleeper/start").await;
    assert_eq!((status, &body["state"]), (200, &Value::from("RUNNING")));
    let second_pid = body["pid"].as_u64().unwrap();
    let (status, body) = post(base, "/supervisor/programs/sleeper/start").await;
    assert_eq!(status, 409);
    assert!(
        body["error"].as_str().unwrap().contains("already running"),
        "{body}"
    );
    let (status, body) = post(base, "/supervisor/programs/sleeper/restart").await;
    assert_eq!(status, 200);
    let third_pid = body["pid"].as_u64().unwrap() as u32;
    assert_ne!(u64::from(third_pid), second_pid);
    let (status, body) = post(base, "/supervisor/programs/nope/start").await;
    assert_eq!(status, 404);
    assert!(body["error"].as_str().unwrap().contains("`nope`"), "{body}");
    let one: Value = reqwest::get(format!("{base}/supervisor/programs/sleeper"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["pid"], third_pid);

    running.agent.stop().await.unwrap();
    assert!(
        is_dead(third_pid),
        "closing the supervisor stops its programs"
    );
}

#[tokio::test]
async fn without_a_config_the_supervisor_stays_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path(), None).await.unwrap();
    let err = running.supervisor.supervisor().unwrap_err();
    assert_eq!(err.plugin(), "supervisor");
    let response = reqwest::get(format!("{}/supervisor/programs", running.base))
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    running.agent.stop().await.unwrap();
}

#[tokio::test]
async fn the_config_is_found_in_the_config_dir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("supervisor.conf"),
        "programs:\n  - name: napper\n    executable-path: sleep\n    executable-args: [\"60\"]\n",
    )
    .unwrap();
    let running = start(dir.path(), None).await.unwrap();
    let supervisor = running.supervisor.supervisor().unwrap();
    assert_eq!(supervisor.program_names(), ["napper"]);
    let listed = programs(&running.base).await;
    assert_eq!(listed[0]["state"], "RUNNING", "{listed:?}");
    let pid = listed[0]["pid"].as_u64().unwrap() as u32;
    running.agent.stop().await.unwrap();
    assert!(is_dead(pid), "closing the supervisor stops its programs");
}

#[tokio::test]
async fn a_missing_executable_fails_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = "programs:\n  - name: vpp\n    executable-path: /opt/none/vpp\n";
    let err = start(dir.path(), Some(config)).await.err().unwrap();
    let err = ErrorChain(&err).to_string();
    assert!(
        err.contains("program `vpp`: executable \"/opt/none/vpp\" does not exist"),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_cpu_mask_is_logged_and_the_program_runs_unpinned() {
    let dir = tempfile::tempdir().unwrap();
    let config = "programs:\n  - name: vpp\n    executable-path: sleep\n    executable-args: [\"60\"]\n    cpu-affinity-mask: \"0xno\"\n";
    let Ok(running) = start(dir.path(), Some(config)).await else {
        panic!("a bad mask stopped the start");
    };
    let supervisor = running.supervisor.supervisor().unwrap();
    wait_until("vpp runs", 10 * SECOND, || {
        supervisor.programs()[0].pid().is_some()
    })
    .await;
    let pid = supervisor.programs()[0].pid().unwrap();
    let ours = std::fs::read_to_string("/proc/self/status").unwrap();
    let theirs = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let allowed = |status: &str| {
        status
            .lines()
            .find(|l| l.starts_with("Cpus_allowed_list:"))
            .map(str::to_owned)
    };
    assert_eq!(allowed(&theirs), allowed(&ours), "not pinned");
    assert_eq!(programs(&running.base).await[0]["state"], "RUNNING");
    running.agent.stop().await.unwrap();
}
