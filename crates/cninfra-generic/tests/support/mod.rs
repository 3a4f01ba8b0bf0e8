//! A real agent stack in the test process: the scheduler with the example descriptors
//! (vpp-agent's VPP L2 models over a simulated VPP), the orchestrator, the gRPC and HTTP
//! servers on loopback ports and the generic API plugin; tonic clients to it.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, RunningAgent};
use cninfra_generic::GenericApiPlugin;
use cninfra_generic::pb::manager_service_client::ManagerServiceClient;
use cninfra_generic::pb::meta_service_client::MetaServiceClient;
use cninfra_generic::pb::{Data, Item, UpdateItem, data, item};
use cninfra_grpc::tonic::transport::{Channel, Endpoint};
use cninfra_grpc::{GrpcConfig, GrpcPlugin};
use cninfra_health::StatusCheckPlugin;
use cninfra_kvscheduler::orchestrator::{Orchestrator, OrchestratorPlugin};
use cninfra_kvscheduler::{KvSchedulerPlugin, Scheduler, ValueState};
use cninfra_kvscheduler_example::{self as example, Dataplane, ExampleDescriptorsPlugin};
use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry};
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use prost_reflect::ReflectMessage;
use serde_json::json;

/// How long a test waits for anything.
pub const WAIT: Duration = Duration::from_secs(10);
/// The FIB entry's MAC address.
pub const MAC: &str = "62:89:c6:a3:7e:3a";

/// A running agent and its parts.
pub struct Stack {
    pub agent: RunningAgent,
    pub grpc: Arc<GrpcPlugin>,
    pub http: Arc<HttpPlugin>,
    pub scheduler: Arc<KvSchedulerPlugin>,
    pub orchestrator: Arc<OrchestratorPlugin>,
    pub example: Arc<ExampleDescriptorsPlugin>,
}

impl Stack {
    /// Starts the agent with a new simulated dataplane.
    pub async fn start() -> Self {
        let grpc = GrpcPlugin::builder()
            .with_config(GrpcConfig::loopback())
            .build();
        let http = HttpPlugin::builder()
            .with_config(HttpConfig {
                endpoint: "127.0.0.1:0".into(),
                ..HttpConfig::default()
            })
            .build();
        let scheduler = KvSchedulerPlugin::new();
        let orchestrator = OrchestratorPlugin::new();
        let example = ExampleDescriptorsPlugin::builder()
            .with_dataplane(Dataplane::new())
            .build();
        let builder = Agent::builder()
            .plugin(StatusCheckPlugin::new())
            .plugin(grpc.clone())
            .plugin(http.clone())
            .plugin(scheduler.clone())
            .plugin(orchestrator.clone())
            .plugin(example.clone())
            .plugin(GenericApiPlugin::new(example::models()));
        let agent = cninfra_testsupport::start_agent(builder).await;
        Self {
            agent,
            grpc,
            http,
            scheduler,
            orchestrator,
            example,
        }
    }

    pub fn scheduler(&self) -> Scheduler {
        self.scheduler.scheduler().expect("scheduler running")
    }

    pub fn orchestrator(&self) -> Orchestrator {
        self.orchestrator
            .orchestrator()
            .expect("orchestrator running")
    }

    pub fn dataplane(&self) -> Dataplane {
        self.example.dataplane()
    }

    async fn channel(&self) -> Channel {
        let addr = self.grpc.local_addr().expect("gRPC bound on TCP");
        Endpoint::from_shared(format!("http://{addr}"))
            .expect("valid uri")
            .timeout(WAIT)
            .connect_timeout(WAIT)
            .connect()
            .await
            .expect("connects")
    }

    pub async fn manager(&self) -> ManagerServiceClient<Channel> {
        ManagerServiceClient::new(self.channel().await)
    }

    pub async fn meta(&self) -> MetaServiceClient<Channel> {
        MetaServiceClient::new(self.channel().await)
    }

    /// `http://<REST address><path>`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "http://{}{path}",
            self.http.local_addr().expect("HTTP bound")
        )
    }

    /// Waits until `key` is in `state`.
    pub async fn wait_state(&self, key: &str, state: ValueState) {
        let scheduler = self.scheduler();
        cninfra_testsupport::wait_until(&format!("`{key}` {state}"), WAIT, || {
            scheduler.status(key).value.state == state
        })
        .await;
    }

    pub async fn stop(self) {
        self.agent.stop().await.expect("the agent stops cleanly");
    }
}

pub fn interface(name: &str, enabled: bool) -> Interface {
    serde_json::from_value(json!({"name": name, "type": "TAP", "enabled": enabled})).unwrap()
}

pub fn bridge_domain(name: &str, members: &[&str]) -> BridgeDomain {
    let interfaces: Vec<_> = members.iter().map(|m| json!({"name": m})).collect();
    serde_json::from_value(json!({"name": name, "interfaces": interfaces})).unwrap()
}

pub fn fib(bridge_domain: &str, mac: &str, interface: &str) -> FibEntry {
    serde_json::from_value(json!({
        "phys_address": mac, "bridge_domain": bridge_domain,
        "outgoing_interface": interface, "action": "FORWARD"
    }))
    .unwrap()
}

/// An item of `model` with `message` (packed with upstream's type URL), named by the
/// server from its value.
pub fn item_of<M: ReflectMessage>(model: &str, message: &M) -> Item {
    Item {
        id: Some(item::Id {
            model: model.to_owned(),
            name: String::new(),
        }),
        data: Some(Data {
            union: Some(data::Union::Any(cninfra_models::any::pack(message))),
        }),
    }
}

/// An update setting `item` without labels.
pub fn put(item: Item) -> UpdateItem {
    UpdateItem {
        item: Some(item),
        labels: Default::default(),
    }
}

/// An update deleting the item `name` of `model`.
pub fn delete(model: &str, name: &str) -> UpdateItem {
    put(Item {
        id: Some(item::Id {
            model: model.to_owned(),
            name: name.to_owned(),
        }),
        data: None,
    })
}

pub const INTERFACES: &str = "vpp.interfaces";
pub const BRIDGE_DOMAINS: &str = "vpp.l2.bridge-domain";
pub const FIB: &str = "vpp.l2.fib";
