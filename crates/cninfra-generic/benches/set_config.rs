//! SetConfig of 10 000 upstream items (FIB entries of one bridge domain, with the bridge
//! domain and its interface) over gRPC, against the same values put through the
//! orchestrator in process, measured in the same run on fresh agents: time and items per
//! second (best of the rounds), and the ratio.
//!
//! Run: `cargo bench -p cninfra-generic --bench set_config`

use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_core::{Agent, RunningAgent};
use cninfra_generic::pb::manager_service_client::ManagerServiceClient;
use cninfra_generic::pb::{Data, Item, SetConfigRequest, UpdateItem, data, item};
use cninfra_generic::{GenericApiPlugin, WAIT_DONE_METADATA};
use cninfra_grpc::tonic::Request;
use cninfra_grpc::tonic::transport::Endpoint;
use cninfra_grpc::{GrpcConfig, GrpcPlugin};
use cninfra_health::StatusCheckPlugin;
use cninfra_kvscheduler::orchestrator::{GRPC_SOURCE, OrchestratorPlugin};
use cninfra_kvscheduler::{KvSchedulerPlugin, SchedulerConfig, Value};
use cninfra_kvscheduler_example::{
    self as example, Dataplane, ExampleDescriptorsPlugin, bridge_domain_key, fib_key,
    interface_key,
};
use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry};
use cninfra_models::ProtoMessage;
use serde_json::{Value as Json, json};

const ITEMS: usize = 10_000;
const ROUNDS: usize = 5;

/// The values: `(model, key, proto3 JSON)`, the FIB entries first.
fn values() -> Vec<(&'static str, String, Json)> {
    let mut out: Vec<(&'static str, String, Json)> = (0..ITEMS - 2)
        .map(|i| {
            let mac = format!("02:00:00:{:02x}:{:02x}:{:02x}", i >> 16, (i >> 8) & 0xff, i & 0xff);
            let value = json!({"phys_address": mac, "bridge_domain": "bd1",
                               "outgoing_interface": "tap1", "action": "FORWARD"});
            ("vpp.l2.fib", fib_key("bd1", &mac), value)
        })
        .collect();
    out.push((
        "vpp.interfaces",
        interface_key("tap1"),
        json!({"name": "tap1", "type": "TAP", "enabled": true}),
    ));
    out.push((
        "vpp.l2.bridge-domain",
        bridge_domain_key("bd1"),
        json!({"name": "bd1", "interfaces": [{"name": "tap1"}]}),
    ));
    out
}

fn packed<M: ProtoMessage>(json: &Json) -> cninfra_models::any::Any {
    let message: M = serde_json::from_value(json.clone()).expect("a valid value");
    cninfra_models::any::pack(&message)
}

/// The SetConfig request of the values, as a Go client sends it (binary `Any`s).
fn request(values: &[(&'static str, String, Json)]) -> SetConfigRequest {
    let updates = values
        .iter()
        .map(|(model, _, json)| {
            let any = match *model {
                "vpp.l2.fib" => packed::<FibEntry>(json),
                "vpp.interfaces" => packed::<Interface>(json),
                _ => packed::<BridgeDomain>(json),
            };
            UpdateItem {
                item: Some(Item {
                    id: Some(item::Id {
                        model: (*model).to_owned(),
                        name: String::new(),
                    }),
                    data: Some(Data {
                        union: Some(data::Union::Any(any)),
                    }),
                }),
                labels: Default::default(),
            }
        })
        .collect();
    SetConfigRequest {
        updates,
        overwrite_all: false,
    }
}

struct Stack {
    agent: RunningAgent,
    grpc: Arc<GrpcPlugin>,
    orchestrator: Arc<OrchestratorPlugin>,
    dataplane: Dataplane,
}

async fn start() -> Stack {
    let grpc = GrpcPlugin::builder()
        .with_config(GrpcConfig {
            max_msg_size: 64 << 20,
            ..GrpcConfig::loopback()
        })
        .build();
    let orchestrator = OrchestratorPlugin::new();
    let dataplane = Dataplane::new();
    let agent = Agent::builder()
        .plugin(StatusCheckPlugin::new())
        .plugin(grpc.clone())
        .plugin(
            KvSchedulerPlugin::builder()
                .with_config(SchedulerConfig {
                    print_txn_summary: false,
                    ..SchedulerConfig::default()
                })
                .build(),
        )
        .plugin(orchestrator.clone())
        .plugin(
            ExampleDescriptorsPlugin::builder()
                .with_dataplane(dataplane.clone())
                .build(),
        )
        .plugin(GenericApiPlugin::new(example::models()))
        .with_args(["bench"])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .expect("the agent builds")
        .start()
        .await
        .expect("the agent starts");
    Stack {
        agent,
        grpc,
        orchestrator,
        dataplane,
    }
}

/// The values through the orchestrator's `grpc` source in process.
async fn in_process(values: &[(&'static str, String, Json)]) -> Duration {
    let stack = start().await;
    let orchestrator = stack.orchestrator.orchestrator().expect("running");
    let mut txn = orchestrator.source(GRPC_SOURCE).txn().with_retry_default();
    for (_, key, json) in values {
        txn.set(key.as_str(), Some(Value::from_json(json.clone())));
    }
    let started = Instant::now();
    txn.commit().await.expect("applied");
    let took = started.elapsed();
    assert_eq!(stack.dataplane.fib_entries().len(), ITEMS - 2);
    stack.agent.stop().await.expect("stops");
    took
}

/// The values as one SetConfig over gRPC on loopback (optionally waiting until done).
async fn over_grpc(request: &SetConfigRequest, wait: bool) -> Duration {
    let stack = start().await;
    let addr = stack.grpc.local_addr().expect("bound");
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connects");
    let mut client = ManagerServiceClient::new(channel)
        .max_encoding_message_size(64 << 20)
        .max_decoding_message_size(64 << 20);
    let mut call = Request::new(request.clone());
    if wait {
        call.metadata_mut()
            .insert(WAIT_DONE_METADATA, "true".parse().expect("ascii"));
        call.set_timeout(Duration::from_secs(60));
    }
    let started = Instant::now();
    let response = client.set_config(call).await.expect("SetConfig").into_inner();
    let took = started.elapsed();
    assert_eq!(response.results.len(), ITEMS + 1, "a result per item and the seqnum");
    assert_eq!(stack.dataplane.fib_entries().len(), ITEMS - 2);
    stack.agent.stop().await.expect("stops");
    took
}

fn report(what: &str, took: Duration, baseline: Duration) {
    println!(
        "{what:<44} {:>8.1} ms {:>10.0} items/s {:>6.2}x",
        took.as_secs_f64() * 1e3,
        ITEMS as f64 / took.as_secs_f64(),
        took.as_secs_f64() / baseline.as_secs_f64()
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let values = values();
        let request = request(&values);
        let mut best = [Duration::MAX; 3];
        for _ in 0..ROUNDS {
            best[0] = best[0].min(in_process(&values).await);
            best[1] = best[1].min(over_grpc(&request, false).await);
            best[2] = best[2].min(over_grpc(&request, true).await);
        }
        println!("SetConfig of {ITEMS} items, best of {ROUNDS} rounds on fresh agents");
        report("orchestrator source in process (baseline)", best[0], best[0]);
        report("SetConfig over gRPC", best[1], best[0]);
        report("SetConfig over gRPC, wait-done", best[2], best[0]);
    });
}
