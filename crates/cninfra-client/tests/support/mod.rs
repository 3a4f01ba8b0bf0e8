//! An agent wired as in production (data sync over a store, the scheduler, the example
//! descriptors over a simulated VPP, the orchestrator), started in process, and the
//! seed's values as typed messages.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, RunningAgent};
use cninfra_datasync::{KvdbSyncPlugin, ResyncPlugin, StoreSource};
use cninfra_generic::GenericApiPlugin;
use cninfra_grpc::{GrpcConfig, GrpcPlugin};
use cninfra_health::StatusCheckPlugin;
use cninfra_kv::KvStore;
use cninfra_kvscheduler::orchestrator::{Orchestrator, OrchestratorPlugin};
use cninfra_kvscheduler::{KvSchedulerPlugin, Scheduler, ValueState};
use cninfra_kvscheduler_example::{Dataplane, ExampleDescriptorsPlugin};
use cninfra_ligato::vpp::interfaces::{Interface, interface::Type};
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry, bridge_domain::Interface as Member};

/// How long a test waits for anything.
pub const WAIT: Duration = Duration::from_secs(10);
/// The FIB entry's MAC address.
pub const MAC: &str = "62:89:c6:a3:7e:3a";
/// Keys of the seed's values.
pub const IF_KEY: &str = "config/vpp/v2/interfaces/tap1";
pub const BD_KEY: &str = "config/vpp/l2/v2/bridge-domain/bd1";
pub const FIB_KEY: &str = "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a";

pub fn tap(name: &str) -> Interface {
    Interface {
        name: name.into(),
        r#type: Type::Tap as i32,
        enabled: true,
        ..Default::default()
    }
}

pub fn bridge_domain(name: &str, members: &[&str]) -> BridgeDomain {
    BridgeDomain {
        name: name.into(),
        interfaces: members
            .iter()
            .map(|m| Member {
                name: (*m).into(),
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

pub fn fib() -> FibEntry {
    FibEntry {
        phys_address: MAC.into(),
        bridge_domain: "bd1".into(),
        outgoing_interface: "tap1".into(),
        ..Default::default()
    }
}

/// A running agent over a store.
#[derive(Debug)]
pub struct TestAgent {
    pub agent: RunningAgent,
    pub scheduler: Arc<KvSchedulerPlugin>,
    pub orchestrator: Arc<OrchestratorPlugin>,
    pub example: Arc<ExampleDescriptorsPlugin>,
    /// With [`TestAgent::start_with_grpc`]: the gRPC server of the generic API.
    pub grpc: Option<Arc<GrpcPlugin>>,
}

impl TestAgent {
    /// Starts an agent labelled `label` watching `store`.
    pub async fn start(store: Arc<dyn KvStore>, label: &str) -> Self {
        Self::start_full(store, label, false).await
    }

    /// Starts an agent labelled `label` watching `store`, serving the generic API on a
    /// loopback port ([`TestAgent::grpc_endpoint`]).
    pub async fn start_with_grpc(store: Arc<dyn KvStore>, label: &str) -> Self {
        Self::start_full(store, label, true).await
    }

    async fn start_full(store: Arc<dyn KvStore>, label: &str, with_grpc: bool) -> Self {
        let scheduler = KvSchedulerPlugin::new();
        let orchestrator = OrchestratorPlugin::new();
        let example = ExampleDescriptorsPlugin::builder()
            .with_dataplane(Dataplane::new())
            .build();
        let builder = Agent::builder()
            .with_label(label)
            .plugin(StatusCheckPlugin::new())
            .plugin(ResyncPlugin::new())
            .plugin(KvdbSyncPlugin::new(StoreSource::fixed(store)))
            .plugin(scheduler.clone())
            .plugin(orchestrator.clone())
            .plugin(example.clone());
        let grpc = with_grpc.then(|| {
            GrpcPlugin::builder()
                .with_config(GrpcConfig::loopback())
                .build()
        });
        let builder = match &grpc {
            Some(grpc) => builder
                .plugin(grpc.clone())
                .plugin(GenericApiPlugin::new(cninfra_kvscheduler_example::models())),
            None => builder,
        };
        let agent = cninfra_testsupport::start_agent(builder).await;
        Self {
            agent,
            scheduler,
            orchestrator,
            example,
            grpc,
        }
    }

    /// `127.0.0.1:<port>` of the generic API.
    pub fn grpc_endpoint(&self) -> String {
        let grpc = self.grpc.as_ref().expect("started with gRPC");
        grpc.local_addr().expect("gRPC bound on TCP").to_string()
    }

    pub fn scheduler(&self) -> Scheduler {
        self.scheduler.scheduler().expect("scheduler running")
    }

    pub fn orchestrator(&self) -> Orchestrator {
        self.orchestrator
            .orchestrator()
            .expect("orchestrator running")
    }

    /// Waits until `key` is in `state` in the agent.
    pub async fn wait_state(&self, key: &str, state: ValueState) {
        let scheduler = self.scheduler();
        cninfra_testsupport::wait_until(&format!("`{key}` {state}"), WAIT, || {
            scheduler.status(key).value.state == state
        })
        .await;
    }

    pub async fn stop(self) {
        self.agent.stop().await.expect("agent stops");
    }
}
