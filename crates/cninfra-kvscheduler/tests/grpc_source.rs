//! The orchestrator's `grpc` source over a real tonic client on TCP: the configuration
//! order driven over gRPC, the merge with the KV store and the local client, full resyncs,
//! status codes and the models list.

mod agent_stack;

use std::sync::Arc;

use agent_stack::{BD_JSON, FIB_JSON, IF_JSON, MAC, Stack, WAIT, put};
use cninfra_core::{Agent, BoxError, InitContext, Plugin, async_trait};
use cninfra_grpc::tonic::transport::{Channel, Endpoint};
use cninfra_grpc::tonic::{Code, Status};
use cninfra_grpc::{GrpcConfig, GrpcPlugin};
use cninfra_health::StatusCheckPlugin;
use cninfra_kv::MemoryStore;
use cninfra_kvscheduler::grpc::ConfiguratorService;
use cninfra_kvscheduler::grpc::pb::configurator_client::ConfiguratorClient;
use cninfra_kvscheduler::grpc::pb::{
    ChangeResponse, DeleteRequest, DumpRequest, GetRequest, KeyValue, ListModelsRequest,
    UpdateRequest,
};
use cninfra_kvscheduler::models::{ModelInfo, ModelRegistry, ModelSpec};
use cninfra_kvscheduler::orchestrator::{
    DATASYNC_SOURCE, GRPC_SOURCE, LOCAL_SOURCE, OrchestratorPlugin,
};
use cninfra_kvscheduler::{Value, ValueState};
use cninfra_kvscheduler_example::{
    self, BD_INTERFACE_PREFIX, Dataplane, bridge_domain_key, fib_key, interface_key,
};
use serde_json::json;

type Client = ConfiguratorClient<Channel>;

async fn connect(addr: std::net::SocketAddr) -> Client {
    let channel = Endpoint::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .timeout(WAIT)
        .connect_timeout(WAIT)
        .connect()
        .await
        .expect("connects");
    ConfiguratorClient::new(channel)
}

async fn update(
    client: &mut Client,
    items: &[(&str, &str)],
    full_resync: bool,
) -> Result<ChangeResponse, Status> {
    let items = items
        .iter()
        .map(|(key, value)| KeyValue {
            key: (*key).to_owned(),
            value: (*value).to_owned(),
        })
        .collect();
    client
        .update(UpdateRequest { items, full_resync })
        .await
        .map(|answer| answer.into_inner())
}

async fn delete(client: &mut Client, keys: &[&str]) -> Result<ChangeResponse, Status> {
    let keys = keys.iter().map(|key| (*key).to_owned()).collect();
    client
        .delete(DeleteRequest { keys })
        .await
        .map(|answer| answer.into_inner())
}

/// The keys the `grpc` source holds, as Get answers them.
async fn held(client: &mut Client) -> Vec<String> {
    let items = client.get(GetRequest {}).await.unwrap().into_inner().items;
    items.into_iter().map(|item| item.key).collect()
}

fn iface(name: &str, enabled: bool) -> String {
    json!({"name": name, "type": "TAP", "enabled": enabled}).to_string()
}

fn enabled(dataplane: &Dataplane, name: &str) -> Option<bool> {
    dataplane
        .interfaces()
        .into_iter()
        .find(|i| i.name == name)
        .map(|i| i.enabled)
}

fn interface_names(dataplane: &Dataplane) -> Vec<String> {
    let mut names: Vec<String> = dataplane.interfaces().into_iter().map(|i| i.name).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configuration_order_over_grpc() {
    let store = MemoryStore::new();
    let stack = Stack::start_with_grpc(&store).await;
    let mut client = connect(stack.grpc_addr()).await;
    let scheduler = stack.scheduler();
    let (fib, bd, tap1) = (
        fib_key("bd1", MAC),
        bridge_domain_key("bd1"),
        interface_key("tap1"),
    );

    // The FIB entry first: it waits for its bridge domain and interface.
    let answer = update(&mut client, &[(&fib, FIB_JSON)], false)
        .await
        .unwrap();
    assert!(
        answer.seq_num.is_some() && answer.errors.is_empty(),
        "{answer:?}"
    );
    assert_eq!(scheduler.status(&fib).value.state, ValueState::Pending);
    assert!(stack.dataplane().fib_entries().is_empty());

    // Both arrive in one update: the FIB entry is created.
    let answer = update(&mut client, &[(&bd, BD_JSON), (&tap1, IF_JSON)], false)
        .await
        .unwrap();
    assert!(answer.errors.is_empty(), "{answer:?}");
    assert_eq!(scheduler.status(&fib).value.state, ValueState::Configured);
    assert_eq!(stack.dataplane().fib_entries().len(), 1);
    assert_eq!(
        held(&mut client).await,
        [bd.clone(), fib.clone(), tap1.clone()]
    );
    // Get answers with canonical proto3 JSON: lowerCamel names, FORWARD (the enum's
    // default) left out.
    let got = client.get(GetRequest {}).await.unwrap().into_inner().items;
    let fib_json: serde_json::Value = serde_json::from_str(&got[1].value).unwrap();
    assert_eq!(
        fib_json,
        json!({"physAddress": MAC, "bridgeDomain": "bd1", "outgoingInterface": "tap1"})
    );

    // The SB dump shows what the descriptors retrieve, with each value's state.
    let dumped = client
        .dump(DumpRequest { key_prefix: None })
        .await
        .unwrap()
        .into_inner()
        .values;
    for key in [&fib, &bd, &tap1] {
        let value = dumped
            .iter()
            .find(|v| &v.key == key)
            .unwrap_or_else(|| panic!("`{key}` dumped: {dumped:?}"));
        assert_eq!(value.state, "CONFIGURED", "{value:?}");
        assert_eq!(value.origin, "FromNB", "{value:?}");
    }
    let dumped_tap1 = dumped.iter().find(|v| v.key == tap1).expect("dumped");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&dumped_tap1.value).unwrap(),
        json!({"name": "tap1", "type": "TAP", "enabled": true})
    );
    let only_fib = client
        .dump(DumpRequest {
            key_prefix: Some("config/vpp/l2/v2/fib/".to_owned()),
        })
        .await
        .unwrap()
        .into_inner()
        .values;
    assert_eq!(
        only_fib.iter().map(|v| v.key.as_str()).collect::<Vec<_>>(),
        [fib.as_str()]
    );

    // The interface goes away: the FIB entry waits again.
    let answer = delete(&mut client, &[&tap1]).await.unwrap();
    assert!(answer.errors.is_empty(), "{answer:?}");
    assert_eq!(scheduler.status(&fib).value.state, ValueState::Pending);
    assert!(stack.dataplane().fib_entries().is_empty());
    assert_eq!(held(&mut client).await, [bd, fib]);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_wins_over_the_kv_store_and_yields_to_the_local_client() {
    let store = MemoryStore::new();
    let tap1 = interface_key("tap1");
    put(&store, &tap1, IF_JSON).await;
    let stack = Stack::start_with_grpc(&store).await;
    stack.wait_state(&tap1, ValueState::Configured).await;
    let orchestrator = stack.orchestrator();
    let dataplane = stack.dataplane();
    let mut client = connect(stack.grpc_addr()).await;

    // `grpc` sorts after `datasync`: its value wins.
    let answer = update(&mut client, &[(&tap1, &iface("tap1", false))], false)
        .await
        .unwrap();
    assert!(answer.seq_num.is_some(), "{answer:?}");
    assert_eq!(enabled(&dataplane, "tap1"), Some(false));
    assert_eq!(orchestrator.provider(&tap1).as_deref(), Some(GRPC_SOURCE));

    // `localclient` sorts after `grpc`: a gRPC change of its key is kept but shadowed.
    let local = orchestrator.source(LOCAL_SOURCE);
    local
        .txn()
        .put(
            tap1.clone(),
            Value::from_json(json!({"name": "tap1", "type": "TAP", "enabled": true})),
        )
        .commit()
        .await
        .unwrap();
    assert_eq!(enabled(&dataplane, "tap1"), Some(true));
    let answer = update(&mut client, &[(&tap1, &iface("tap1", false))], false)
        .await
        .unwrap();
    assert_eq!(answer.seq_num, None, "nothing reached the scheduler");
    assert_eq!(enabled(&dataplane, "tap1"), Some(true));

    // The local value goes: the gRPC one applies; the gRPC one goes: the KV store's.
    local.txn().delete(tap1.clone()).commit().await.unwrap();
    assert_eq!(enabled(&dataplane, "tap1"), Some(false));
    assert_eq!(orchestrator.provider(&tap1).as_deref(), Some(GRPC_SOURCE));
    delete(&mut client, &[&tap1]).await.unwrap();
    assert_eq!(enabled(&dataplane, "tap1"), Some(true));
    assert_eq!(
        orchestrator.provider(&tap1).as_deref(),
        Some(DATASYNC_SOURCE)
    );
    assert!(held(&mut client).await.is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_resync_replaces_only_the_grpc_share() {
    let store = MemoryStore::new();
    put(&store, &interface_key("tap1"), IF_JSON).await;
    let stack = Stack::start_with_grpc(&store).await;
    stack
        .wait_state(&interface_key("tap1"), ValueState::Configured)
        .await;
    let dataplane = stack.dataplane();
    let mut client = connect(stack.grpc_addr()).await;
    let (tap2, tap3, tap4) = (
        interface_key("tap2"),
        interface_key("tap3"),
        interface_key("tap4"),
    );

    update(
        &mut client,
        &[(&tap2, &iface("tap2", true)), (&tap3, &iface("tap3", true))],
        false,
    )
    .await
    .unwrap();
    assert_eq!(interface_names(&dataplane), ["tap1", "tap2", "tap3"]);

    let answer = update(&mut client, &[(&tap4, &iface("tap4", true))], true)
        .await
        .unwrap();
    assert!(
        answer.seq_num.is_some() && answer.errors.is_empty(),
        "{answer:?}"
    );
    assert_eq!(held(&mut client).await, [tap4.as_str()]);
    assert_eq!(interface_names(&dataplane), ["tap1", "tap4"]);
    let kv = stack.orchestrator().source(DATASYNC_SOURCE);
    assert_eq!(
        kv.values().keys().collect::<Vec<_>>(),
        [&interface_key("tap1")]
    );

    // An empty full resync empties the share, and only it.
    update(&mut client, &[], true).await.unwrap();
    assert!(held(&mut client).await.is_empty());
    assert_eq!(interface_names(&dataplane), ["tap1"]);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_invalid_argument_naming_the_key() {
    let store = MemoryStore::new();
    let stack = Stack::start_with_grpc(&store).await;
    let scheduler = stack.scheduler();
    let mut client = connect(stack.grpc_addr()).await;
    let (tap5, tap6, tap7) = (
        interface_key("tap5"),
        interface_key("tap6"),
        interface_key("tap7"),
    );

    // Not JSON: nothing of the request applies.
    let status = update(
        &mut client,
        &[(&tap5, &iface("tap5", true)), (&tap6, "{not json")],
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains(&format!("`{tap6}` is not JSON")),
        "{status:?}"
    );
    assert!(held(&mut client).await.is_empty());
    assert_eq!(scheduler.status(&tap5).value.state, ValueState::Nonexistent);

    // Rejected by validation: named with its field; the valid key applies.
    let bad = json!({"name": "tap7", "type": "UNDEFINED_TYPE", "enabled": true}).to_string();
    let status = update(
        &mut client,
        &[(&tap5, &iface("tap5", true)), (&tap7, &bad)],
        false,
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    for part in [format!("`{tap7}`"), "invalid fields: type".to_owned()] {
        assert!(status.message().contains(&part), "{part}: {status:?}");
    }
    assert!(!status.message().contains(&tap5), "{status:?}");
    assert_eq!(scheduler.status(&tap5).value.state, ValueState::Configured);
    assert_eq!(scheduler.status(&tap7).value.state, ValueState::Invalid);

    // JSON that does not decode into the descriptor's message: named with the message and
    // the field.
    let status = update(&mut client, &[(&tap6, r#"{"name": 6}"#)], false)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    for part in [
        format!("`{tap6}`"),
        "`ligato.vpp.interfaces.Interface`: field `name`".to_owned(),
    ] {
        assert!(status.message().contains(&part), "{part}: {status:?}");
    }

    // Empty and repeated keys.
    let status = update(&mut client, &[("", "{}")], false).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    let status = delete(&mut client, &[&tap5, &tap5]).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains(&format!("`{tap5}`")),
        "{status:?}"
    );
    assert_eq!(scheduler.status(&tap5).value.state, ValueState::Configured);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_models_returns_spec_proto_name_and_name_template() {
    let store = MemoryStore::new();
    let stack = Stack::start_with_grpc(&store).await;
    let mut client = connect(stack.grpc_addr()).await;

    let models = client
        .list_models(ListModelsRequest::default())
        .await
        .unwrap()
        .into_inner()
        .models;
    let summary: Vec<(&str, &str, &str, Option<&str>)> = models
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.key_prefix.as_str(),
                m.proto_name.as_str(),
                m.name_template.as_deref(),
            )
        })
        .collect();
    // Upstream's VPP L2 models, as vpp-agent declares them.
    assert_eq!(
        summary,
        [
            (
                "vpp.interfaces",
                "config/vpp/v2/interfaces/",
                "ligato.vpp.interfaces.Interface",
                Some("{{.Name}}")
            ),
            (
                "vpp.l2.bridge-domain",
                "config/vpp/l2/v2/bridge-domain/",
                "ligato.vpp.l2.BridgeDomain",
                Some("{{.Name}}")
            ),
            (
                "vpp.l2.fib",
                "config/vpp/l2/v2/fib/",
                "ligato.vpp.l2.FIBEntry",
                Some("{{.BridgeDomain}}/mac/{{.PhysAddress}}")
            ),
            (
                "vpp.l2.xconnect",
                "config/vpp/l2/v2/xconnect/",
                "ligato.vpp.l2.XConnectPair",
                Some("{{.ReceiveInterface}}")
            ),
        ]
    );
    let fib = &models[2];
    assert_eq!(
        (
            fib.module.as_str(),
            fib.version.as_str(),
            fib.r#type.as_str(),
            fib.class.as_str()
        ),
        ("vpp.l2", "v2", "fib", "config")
    );
    assert!(!models.iter().any(|m| m.key_prefix == BD_INTERFACE_PREFIX));

    // A client rebuilds the registry from the list and builds keys from JSON values.
    let infos = models.iter().map(|m| ModelInfo {
        spec: ModelSpec {
            module: m.module.clone(),
            version: m.version.clone(),
            type_: m.r#type.clone(),
            class: m.class.clone(),
        },
        proto_name: m.proto_name.clone(),
        name_template: m.name_template.clone(),
        name: m.name.clone(),
        key_prefix: m.key_prefix.clone(),
    });
    let remote = ModelRegistry::from_infos(infos).unwrap();
    let fib_value: serde_json::Value = serde_json::from_str(FIB_JSON).unwrap();
    let model = remote.get("vpp.l2.fib").unwrap();
    assert_eq!(model.key_of(&fib_value).unwrap(), fib_key("bd1", MAC));

    // A class filter.
    let list = |class: &str| ListModelsRequest {
        class: class.into(),
    };
    let config = client
        .list_models(list("config"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(config.models.len(), 4);
    let other = client
        .list_models(list("status"))
        .await
        .unwrap()
        .into_inner();
    assert!(other.models.is_empty());
    stack.stop().await;
}

/// Registers the service over an orchestrator plugin that is not part of the agent.
#[derive(Debug)]
struct Early {
    grpc: Arc<GrpcPlugin>,
    orchestrator: Arc<OrchestratorPlugin>,
}

#[async_trait]
impl Plugin for Early {
    fn name(&self) -> &str {
        "early"
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.grpc.clone()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        ConfiguratorService::new(
            self.orchestrator.clone(),
            cninfra_kvscheduler_example::models(),
        )
        .register(&self.grpc)?;
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_before_the_orchestrator_exists_are_unavailable() {
    let grpc = GrpcPlugin::builder()
        .with_config(GrpcConfig::loopback())
        .build();
    let agent = cninfra_testsupport::start_agent(
        Agent::builder()
            .plugin(Arc::new(Early {
                grpc: grpc.clone(),
                orchestrator: OrchestratorPlugin::new(),
            }))
            .plugin(StatusCheckPlugin::new()),
    )
    .await;
    let mut client = connect(grpc.local_addr().expect("bound")).await;

    let key = interface_key("tap1");
    let status = update(&mut client, &[(&key, IF_JSON)], false)
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert!(status.message().contains("not initialised"), "{status:?}");
    for status in [
        client.get(GetRequest {}).await.unwrap_err(),
        client.dump(DumpRequest::default()).await.unwrap_err(),
    ] {
        assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    }
    // The models need no orchestrator.
    let models = client
        .list_models(ListModelsRequest::default())
        .await
        .unwrap();
    assert_eq!(models.into_inner().models.len(), 4);
    agent.stop().await.unwrap();
}
