//! The processes of the integration tests: the test agent program, a fast manager, and
//! reading, awaiting and killing processes (polling comes from `cninfra-testsupport`).
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, AgentBuilder};
use cninfra_exec::{
    Event, ManagerConfig, Notification, ProcessManager, ProcessManagerPlugin, ProcessState,
    SupervisorPlugin,
};
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use tokio::sync::broadcast;

/// The test helper program (`src/bin/exec-test-agent.rs`).
pub const TEST_AGENT: &str = env!("CARGO_BIN_EXE_exec-test-agent");

/// A manager whose watcher polls every 50 ms.
pub fn fast_manager() -> ProcessManager {
    ProcessManager::new(ManagerConfig {
        poll_interval: Duration::from_millis(50),
        ..ManagerConfig::default()
    })
    .expect("inside a runtime")
}

/// An agent builder with `supervisor` and the plugins it requires: a process manager,
/// Prometheus, and an HTTP server on a free port (returned, for its address).
pub fn with_supervisor(supervisor: Arc<SupervisorPlugin>) -> (AgentBuilder, Arc<HttpPlugin>) {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "127.0.0.1:0".into(),
            ..HttpConfig::default()
        })
        .build();
    let builder = Agent::builder()
        .plugin(supervisor)
        .plugin(ProcessManagerPlugin::new())
        .plugin(PrometheusPlugin::new())
        .plugin(http.clone());
    (builder, http)
}

/// Runs `future` with a time limit, naming `what` on time-out.
pub async fn within<F: Future>(what: &str, limit: Duration, future: F) -> F::Output {
    tokio::time::timeout(limit, future)
        .await
        .unwrap_or_else(|_| panic!("timed out after {limit:?} waiting for {what}"))
}

/// A field of `/proc/<pid>/status` (`State`, `Cpus_allowed_list`...).
pub fn proc_field(pid: u32, field: &str) -> Option<String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key == field).then(|| value.trim().to_owned())
    })
}

/// Whether the process is gone or a zombie (this machine's init does not reap orphans).
pub fn is_dead(pid: u32) -> bool {
    proc_field(pid, "State").is_none_or(|state| state.starts_with('Z'))
}

/// The next life-cycle state published on `events`.
pub async fn next_state(events: &mut broadcast::Receiver<Notification>) -> ProcessState {
    within("a state change", Duration::from_secs(10), async {
        loop {
            let change = events.recv().await.expect("events stream open");
            if let Event::State(state) = change.event {
                return state;
            }
        }
    })
    .await
}

/// Kills a pid left behind by a test.
pub fn kill_pid(pid: u32) {
    let _ = nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid as i32),
        nix::sys::signal::Signal::SIGKILL,
    );
}
