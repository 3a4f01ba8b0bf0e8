//! An agent wired as in production: a MemoryStore under data sync (with resync and status
//! check), the scheduler, the example descriptors and the orchestrator.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, RunningAgent};
use cninfra_datasync::{KvdbSyncPlugin, ResyncPlugin, StoreSource, SyncConfig};
use cninfra_grpc::{GrpcConfig, GrpcPlugin};
use cninfra_health::{PluginStatus, State, StatusCheckPlugin};
use cninfra_kv::{DeleteOptions, KvStore, MemoryStore, PutOptions};
use cninfra_kvscheduler::grpc::GrpcSourcePlugin;
use cninfra_kvscheduler::orchestrator::{Orchestrator, OrchestratorPlugin};
use cninfra_kvscheduler::{
    BaseValueStatus, KvSchedulerPlugin, Scheduler, SchedulerConfig, ValueState,
};
use cninfra_kvscheduler_example::{self as example, Dataplane, ExampleDescriptorsPlugin};

/// The agent label.
pub const LABEL: &str = "vpp1";
/// How long a test waits for anything.
pub const WAIT: Duration = Duration::from_secs(10);
/// The FIB entry's MAC address.
pub const MAC: &str = "62:89:c6:a3:7e:3a";

// The seed's values, in upstream's form (proto3 JSON as `etcdctl put` writes it).
pub const FIB_JSON: &str = r#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}"#;
pub const BD_JSON: &str = r#"{"name":"bd1","interfaces":[{"name":"tap1"}]}"#;
pub const IF_JSON: &str = r#"{"name":"tap1","type":"TAP","enabled":true}"#;

/// A running agent and its parts.
#[derive(Debug)]
pub struct Stack {
    pub agent: RunningAgent,
    pub status: Arc<StatusCheckPlugin>,
    pub resync: Arc<ResyncPlugin>,
    pub scheduler: Arc<KvSchedulerPlugin>,
    pub orchestrator: Arc<OrchestratorPlugin>,
    pub example: Arc<ExampleDescriptorsPlugin>,
    /// The gRPC server, when started with [`Stack::start_with_grpc`].
    pub grpc: Option<Arc<GrpcPlugin>>,
}

impl Stack {
    /// Starts an agent labelled `vpp1` over `store` with a new dataplane.
    pub async fn start(store: &MemoryStore) -> Self {
        Self::start_with(store, Dataplane::new()).await
    }

    /// Starts an agent labelled `vpp1` over `store` and `dataplane`.
    pub async fn start_with(store: &MemoryStore, dataplane: Dataplane) -> Self {
        Self::start_full(store, dataplane, false).await
    }

    /// Starts an agent labelled `vpp1` over `store`, with the gRPC source served on a
    /// free loopback port ([`Stack::grpc_addr`]).
    pub async fn start_with_grpc(store: &MemoryStore) -> Self {
        Self::start_full(store, Dataplane::new(), true).await
    }

    async fn start_full(store: &MemoryStore, dataplane: Dataplane, with_grpc: bool) -> Self {
        let status = StatusCheckPlugin::new();
        let resync = ResyncPlugin::new();
        let store: Arc<dyn KvStore> = Arc::new(store.clone());
        let sync = KvdbSyncPlugin::builder(StoreSource::fixed(store))
            .with_config(SyncConfig {
                retry_interval: Duration::from_millis(100),
                ..SyncConfig::default()
            })
            .build();
        let scheduler = KvSchedulerPlugin::builder()
            .with_config(SchedulerConfig::default())
            .build();
        let example = ExampleDescriptorsPlugin::builder()
            .with_dataplane(dataplane)
            .build();
        let orchestrator = OrchestratorPlugin::new();
        let mut builder = Agent::builder()
            .plugin(status.clone())
            .plugin(resync.clone())
            .plugin(example.clone())
            .plugin(orchestrator.clone())
            .plugin(scheduler.clone())
            .plugin(sync)
            .plugin(status.clone());
        let grpc = with_grpc.then(|| {
            GrpcPlugin::builder()
                .with_config(GrpcConfig::loopback())
                .build()
        });
        if let Some(grpc) = &grpc {
            builder = builder
                .plugin(GrpcSourcePlugin::new(example::models()))
                .plugin(grpc.clone());
        }
        let agent = builder
            .with_args(["test", "--microservice-label", LABEL])
            .with_env(Vec::<(String, String)>::new())
            .build()
            .expect("agent builds")
            .start()
            .await
            .expect("agent starts");
        let stack = Self {
            agent,
            status,
            resync,
            scheduler,
            orchestrator,
            example,
            grpc,
        };
        // The startup resync is acknowledged (well or not): later puts are changes.
        stack.wait_plugin_status(|p| p.state != State::Init).await;
        stack
    }

    pub fn scheduler(&self) -> Scheduler {
        self.scheduler.scheduler().expect("scheduler running")
    }

    pub fn orchestrator(&self) -> Orchestrator {
        self.orchestrator
            .orchestrator()
            .expect("orchestrator running")
    }

    /// The gRPC server's address.
    pub fn grpc_addr(&self) -> std::net::SocketAddr {
        self.grpc
            .as_ref()
            .and_then(|grpc| grpc.local_addr())
            .expect("started with gRPC, bound on TCP")
    }

    pub fn dataplane(&self) -> Dataplane {
        self.example.dataplane()
    }

    /// Waits until `key` is in `state`; returns its status.
    pub async fn wait_state(&self, key: &str, state: ValueState) -> BaseValueStatus {
        let scheduler = self.scheduler();
        let mut watch = scheduler.watch_status(&[key]);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let status = scheduler.status(key);
            if status.value.state == state {
                return status;
            }
            match tokio::time::timeout_at(deadline, watch.recv()).await {
                Ok(Some(_)) => {}
                Ok(None) => panic!("scheduler gone while waiting for `{key}` to be {state}"),
                Err(_) => panic!("`{key}` not {state} in time: {status:?}"),
            }
        }
    }

    /// Waits until the status of the orchestrator plugin satisfies `check`.
    pub async fn wait_plugin_status(
        &self,
        mut check: impl FnMut(&PluginStatus) -> bool,
    ) -> PluginStatus {
        let name = OrchestratorPlugin::NAME;
        let mut changes = self.status.subscribe();
        let found = tokio::time::timeout(
            WAIT,
            changes.wait_for(|agent| agent.plugins.iter().any(|p| p.name == name && check(p))),
        )
        .await
        .unwrap_or_else(|_| {
            panic!(
                "status of `{name}` as expected in time; now {:?}",
                self.status.plugin_status(name)
            )
        })
        .expect("status check alive");
        found
            .plugins
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .expect("present")
    }

    /// Waits for the orchestrator's status to be `state`; returns its error text.
    pub async fn wait_plugin_state(&self, state: State) -> Option<String> {
        self.wait_plugin_status(|p| p.state == state).await.error
    }

    /// Waits until the resync orchestrator finished `rounds` rounds.
    pub async fn wait_rounds(&self, rounds: u64) {
        let mut changes = self.resync.subscribe();
        tokio::time::timeout(WAIT, changes.wait_for(|s| s.rounds_done >= rounds))
            .await
            .expect("resync rounds done in time")
            .expect("resync alive");
    }

    pub async fn stop(self) {
        self.agent.stop().await.expect("agent stops");
    }
}

/// The full store key of `key` (relative to the agent prefix).
pub fn full_key(key: &str) -> String {
    format!("/vnf-agent/{LABEL}/{key}")
}

/// Puts `value` under the agent prefix.
pub async fn put(store: &MemoryStore, key: &str, value: &str) {
    store
        .put(
            &full_key(key),
            value.to_owned().into(),
            PutOptions::default(),
        )
        .await
        .expect("put");
}

/// Deletes `key` under the agent prefix.
pub async fn delete(store: &MemoryStore, key: &str) {
    store
        .delete(&full_key(key), DeleteOptions::default())
        .await
        .expect("delete");
}
