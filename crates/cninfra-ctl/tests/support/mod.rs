//! An agent in the test process as the example agent is wired (REST with probes,
//! metrics and the log manager; the scheduler with the example descriptors over a
//! simulated VPP; the orchestrator fed from the harness's etcd; the generic API on gRPC),
//! and the built `cninfra-ctl` pointed at it.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use cninfra::datasync::{KvdbSyncPlugin, ResyncPlugin, StoreSource};
use cninfra::etcd::{EtcdConfig, EtcdStore};
use cninfra::grpc::{GrpcConfig, GrpcPlugin};
use cninfra::health::StatusCheckPlugin;
use cninfra::kv::KvStore;
use cninfra::kvscheduler::orchestrator::OrchestratorPlugin;
use cninfra::kvscheduler::{KvSchedulerPlugin, Scheduler, ValueState};
use cninfra::logging::{LogManagerPlugin, LogRegistry, LogSettings};
use cninfra::rpc::probe::ProbePlugin;
use cninfra::rpc::prometheus::PrometheusPlugin;
use cninfra::rpc::rest::{HttpConfig, HttpPlugin};
use cninfra::{Agent, RunningAgent};
use cninfra_generic::GenericApiPlugin;
use cninfra_kvscheduler_example::{Dataplane, ExampleDescriptorsPlugin};

/// How long a test waits for anything.
pub const WAIT: Duration = Duration::from_secs(10);
/// Keys of the seed's values.
pub const IF_KEY: &str = "config/vpp/v2/interfaces/tap1";
pub const BD_KEY: &str = "config/vpp/l2/v2/bridge-domain/bd1";
pub const FIB_KEY: &str = "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a";
pub const IF_JSON: &str = r#"{"name":"tap1","type":"TAP","enabled":true}"#;
pub const BD_JSON: &str = r#"{"name":"bd1","interfaces":[{"name":"tap1"}]}"#;
pub const FIB_JSON: &str = r#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}"#;

/// A running agent and where it listens.
pub struct TestAgent {
    pub agent: RunningAgent,
    pub label: String,
    pub etcd: String,
    pub http: Arc<HttpPlugin>,
    pub grpc: Arc<GrpcPlugin>,
    pub scheduler: Arc<KvSchedulerPlugin>,
    pub orchestrator: Arc<OrchestratorPlugin>,
    /// Keeps the log manager's registry alive.
    _logs: tracing::Dispatch,
}

impl TestAgent {
    /// Starts an agent with a label no other test uses, watching the harness's etcd.
    pub async fn start(test: &str) -> Self {
        let etcd = cninfra_testsupport::harness_server("CNINFRA_TEST_ETCD");
        let store: Arc<dyn KvStore> = Arc::new(
            EtcdStore::connect(&EtcdConfig::with_endpoints([etcd.as_str()]))
                .await
                .expect("etcd connects"),
        );
        Self::start_on(test, store, etcd).await
    }

    /// Starts an agent with a label no other test uses, watching `store` (`etcd`: the
    /// endpoint given to `cninfra-ctl`).
    pub async fn start_on(test: &str, store: Arc<dyn KvStore>, etcd: String) -> Self {
        let label = cninfra_testsupport::unique_prefix(test)
            .trim_matches('/')
            .replace('/', "-");
        let http = HttpPlugin::builder()
            .with_config(HttpConfig {
                endpoint: "127.0.0.1:0".into(),
                ..HttpConfig::default()
            })
            .build();
        let grpc = GrpcPlugin::builder()
            .with_config(GrpcConfig::loopback())
            .build();
        let (registry, dispatch) = LogRegistry::new(LogSettings::new().with_writer(std::io::sink));
        let scheduler = KvSchedulerPlugin::new();
        let orchestrator = OrchestratorPlugin::new();
        let example = ExampleDescriptorsPlugin::builder()
            .with_dataplane(Dataplane::new())
            .build();
        let builder = Agent::builder()
            .with_label(label.clone())
            .plugin(http.clone())
            .plugin(grpc.clone())
            .plugin(LogManagerPlugin::builder().with_registry(registry).build())
            .plugin(PrometheusPlugin::new())
            .plugin(StatusCheckPlugin::new())
            .plugin(ProbePlugin::new())
            .plugin(ResyncPlugin::new())
            .plugin(KvdbSyncPlugin::new(StoreSource::fixed(store)))
            .plugin(scheduler.clone())
            .plugin(orchestrator.clone())
            .plugin(example)
            .plugin(GenericApiPlugin::new(cninfra_kvscheduler_example::models()));
        let agent = cninfra_testsupport::start_agent(builder).await;
        Self {
            agent,
            label,
            etcd,
            http,
            grpc,
            scheduler,
            orchestrator,
            _logs: dispatch,
        }
    }

    pub fn http_port(&self) -> u16 {
        self.http.local_addr().expect("HTTP bound").port()
    }

    pub fn grpc_port(&self) -> u16 {
        self.grpc.local_addr().expect("gRPC bound on TCP").port()
    }

    pub fn scheduler(&self) -> Scheduler {
        self.scheduler.scheduler().expect("scheduler running")
    }

    /// Waits until `key` is in `state` in the agent.
    pub async fn wait_state(&self, key: &str, state: ValueState) {
        let scheduler = self.scheduler();
        cninfra_testsupport::wait_until(&format!("`{key}` {state}"), WAIT, || {
            scheduler.status(key).value.state == state
        })
        .await;
    }

    /// The global flags pointing `cninfra-ctl` at this agent.
    pub fn flags(&self) -> Vec<String> {
        vec![
            "--http-port".into(),
            self.http_port().to_string(),
            "--grpc-port".into(),
            self.grpc_port().to_string(),
            "-e".into(),
            self.etcd.clone(),
            "--service-label".into(),
            self.label.clone(),
            "--timeout".into(),
            "10s".into(),
        ]
    }

    /// Runs `cninfra-ctl` with the agent's flags and `args`.
    pub async fn ctl(&self, args: &[&str]) -> Run {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend(self.flags());
        ctl(&all).await
    }

    pub async fn stop(self) {
        self.agent.stop().await.expect("the agent stops");
    }
}

/// What a run of the binary gave.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit code 0; returns standard output.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, Some(0), "cninfra-ctl failed: {self:#?}");
        &self.stdout
    }

    /// Asserts exit code 1 and one line on standard error; returns it.
    pub fn failed(&self) -> &str {
        assert_eq!(self.code, Some(1), "cninfra-ctl did not fail: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one error line: {self:#?}");
        assert!(lines[0].starts_with("cninfra-ctl: "), "{self:#?}");
        lines[0]
    }

    /// Standard output as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok()).unwrap_or_else(|err| panic!("not JSON ({err}): {self:#?}"))
    }
}

/// Runs the built `cninfra-ctl` with `args`, nothing of the developer's environment
/// (variables of its flags, terminal width) leaking in; tables 200 columns wide.
pub async fn ctl<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    ctl_with(args, &[("COLUMNS", "200")]).await
}

/// [`ctl`] with extra environment variables.
pub async fn ctl_with<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(&str, &str)]) -> Run {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_cninfra-ctl"));
    command.args(args).kill_on_drop(true);
    for variable in [
        "AGENT_HOST",
        "ETCD_ENDPOINTS",
        "MICROSERVICE_LABEL",
        "AGENTCTL_HTTP_BASIC_AUTH",
        "AGENTCTL_GRPC_TOKEN",
        "COLUMNS",
    ] {
        command.env_remove(variable);
    }
    command.envs(env.iter().copied());
    let output: Output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("cninfra-ctl finishes within a minute")
        .expect("cninfra-ctl runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Writes `text` to `name` in `dir`; returns the path as text.
pub fn file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("test file written");
    path.display().to_string()
}
