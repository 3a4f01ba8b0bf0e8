//! The agent binary with vpp-agent's generic API: served over gRPC with a `grpc.conf` and
//! over REST on the HTTP port; and with two configured stores (etcd and a file DB holding
//! initial config), each a source of its own, merged by precedence.

mod support;

use std::time::Duration;

use cninfra::etcd::etcd_client::{Client, DeleteOptions};
use cninfra::grpc::tonic::Request;
use cninfra::ligato::vpp::interfaces::Interface;
use cninfra::ligato::vpp::l2::{BridgeDomain, FibEntry};
use cninfra::models::ProtoMessage;
use cninfra_generic::pb::manager_service_client::ManagerServiceClient;
use cninfra_generic::pb::meta_service_client::MetaServiceClient;
use cninfra_generic::pb::{
    Data, Item, KnownModelsRequest, SetConfigRequest, UpdateItem, data, item,
};
use cninfra_generic::{SEQNUM_KEY, WAIT_DONE_METADATA};
use serde_json::{Value, json};
use support::{AgentProcess, free_port, harness_server};

const MAC: &str = "62:89:c6:a3:7e:3a";

/// A label no other test run uses, so tests can share the harness's etcd.
fn unique_label(test: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{test}-{}-{nanos}", std::process::id())
}

/// An item of `model` holding the proto3 JSON `value` as the message `M`, encoded the
/// way a Go client does it (binary, upstream's type URL).
fn item_of<M: ProtoMessage>(model: &str, value: Value) -> UpdateItem {
    let message: M = serde_json::from_value(value).unwrap();
    UpdateItem {
        item: Some(Item {
            id: Some(item::Id {
                model: model.into(),
                name: String::new(),
            }),
            data: Some(Data {
                union: Some(data::Union::Any(cninfra::models::any::pack(&message))),
            }),
        }),
        labels: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_grpc_config_the_generic_api_answers_over_grpc_and_rest() {
    let dir = tempfile::tempdir().unwrap();
    let grpc_port = free_port();
    std::fs::write(
        dir.path().join("grpc.conf"),
        format!("endpoint: 127.0.0.1:{grpc_port}\n"),
    )
    .unwrap();
    let mut agent = AgentProcess::spawn(&["--config-dir", dir.path().to_str().unwrap()], &[]);
    agent.wait_ready().await;
    let address = format!("http://127.0.0.1:{grpc_port}");

    // The models with a protobuf message (the example items, a serde model, are not).
    let mut meta = MetaServiceClient::connect(address.clone()).await.unwrap();
    let known = meta
        .known_models(KnownModelsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut names: Vec<&str> = known
        .known_models
        .iter()
        .map(|m| m.proto_name.as_str())
        .collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "ligato.vpp.interfaces.Interface",
            "ligato.vpp.l2.BridgeDomain",
            "ligato.vpp.l2.FIBEntry",
            "ligato.vpp.l2.XConnectPair"
        ]
    );

    // SetConfig waiting until its values are done.
    let mut manager = ManagerServiceClient::connect(address).await.unwrap();
    let mut request = Request::new(SetConfigRequest {
        updates: vec![
            item_of::<FibEntry>(
                "vpp.l2.fib",
                json!({"phys_address": MAC, "bridge_domain": "bd1", "outgoing_interface": "tap1", "action": "FORWARD"}),
            ),
            item_of::<Interface>(
                "vpp.interfaces",
                json!({"name": "tap1", "type": "TAP", "enabled": true}),
            ),
            item_of::<BridgeDomain>(
                "vpp.l2.bridge-domain",
                json!({"name": "bd1", "interfaces": [{"name": "tap1"}]}),
            ),
        ],
        overwrite_all: false,
    });
    request
        .metadata_mut()
        .insert(WAIT_DONE_METADATA, "true".parse().unwrap());
    request.set_timeout(Duration::from_secs(10));
    let response = manager.set_config(request).await.unwrap().into_inner();
    assert_eq!(response.results[0].key, SEQNUM_KEY);
    for result in &response.results[1..] {
        assert_eq!(
            result.status.as_ref().map(|s| s.status.as_str()),
            Some("CONFIGURED"),
            "{result:?}"
        );
    }

    // The same configuration over REST.
    let config = agent.get_json("/v1/config?model=vpp.l2.fib").await;
    assert_eq!(
        config["items"][0]["item"]["id"]["name"],
        format!("bd1/mac/{MAC}"),
        "{config}"
    );
    assert_eq!(config["items"][0]["status"]["status"], "CONFIGURED");
    assert_eq!(
        config["items"][0]["item"]["data"]["any"]["@type"],
        "models.ligato.io/ligato.vpp.l2.FIBEntry"
    );
    agent.stop();
}

/// The `(name, enabled, state)` of the interfaces, the FIB entries' names and the bridge
/// domains' names in `/v1/config`.
fn summary(config: &Value) -> (Vec<(String, bool, String)>, Vec<String>, Vec<String>) {
    let mut interfaces = Vec::new();
    let (mut fibs, mut bds) = (Vec::new(), Vec::new());
    for item in config["items"].as_array().into_iter().flatten() {
        let name = item["item"]["id"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match item["item"]["id"]["model"].as_str() {
            Some("vpp.interfaces") => interfaces.push((
                name,
                item["item"]["data"]["any"]["enabled"] == true,
                item["status"]["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )),
            Some("vpp.l2.fib") => fibs.push(name),
            Some("vpp.l2.bridge-domain") => bds.push(name),
            _ => {}
        }
    }
    (interfaces, fibs, bds)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_configured_store_is_a_source_of_its_own() {
    let label = unique_label("two-stores");
    let prefix = format!("/vnf-agent/{label}/");
    let endpoint = harness_server("CNINFRA_TEST_ETCD");
    let dir = tempfile::tempdir().unwrap();
    let files = dir.path().join("initial");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        dir.path().join("etcd.conf"),
        format!("endpoints: [{endpoint}]\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("filedb.conf"),
        format!(
            "configuration-paths: [{}]\nstatus-path: {}\n",
            files.display(),
            dir.path().join("status.yaml").display()
        ),
    )
    .unwrap();
    // The file DB holds initial config: an interface (down) and a FIB entry.
    let initial = files.join("initial.yaml");
    let file_fib = format!(
        "  - key: {prefix}config/vpp/l2/v2/fib/bd1/mac/{MAC}\n    value: {{phys_address: \"{MAC}\", bridge_domain: bd1, outgoing_interface: tap1, action: FORWARD}}\n"
    );
    let file_tap1 = format!(
        "  - key: {prefix}config/vpp/v2/interfaces/tap1\n    value: {{name: tap1, type: TAP}}\n"
    );
    std::fs::write(&initial, format!("data:\n{file_tap1}{file_fib}")).unwrap();
    // etcd holds the live config: the same interface (up) and the bridge domain.
    let mut etcd = Client::connect([endpoint.as_str()], None).await.unwrap();
    etcd.put(
        format!("{prefix}config/vpp/v2/interfaces/tap1"),
        r#"{"name":"tap1","type":"TAP","enabled":true}"#,
        None,
    )
    .await
    .unwrap();
    etcd.put(
        format!("{prefix}config/vpp/l2/v2/bridge-domain/bd1"),
        r#"{"name":"bd1","interfaces":[{"name":"tap1"}]}"#,
        None,
    )
    .await
    .unwrap();

    let mut agent = AgentProcess::spawn(
        &["--config-dir", dir.path().to_str().unwrap()],
        &[("MICROSERVICE_LABEL", label.as_str())],
    );
    agent.wait_ready().await;
    // Both stores feed the scheduler; on the shared key etcd (data sync's store) wins.
    let config = agent
        .wait_json("the config of both stores", "/v1/config", |v| {
            let (interfaces, fibs, bds) = summary(v);
            interfaces == [("tap1".to_owned(), true, "CONFIGURED".to_owned())]
                && fibs == [format!("bd1/mac/{MAC}")]
                && bds == ["bd1"]
        })
        .await;
    assert!(
        config["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["status"]["status"] == "CONFIGURED"),
        "{config}"
    );

    // etcd lets go of the interface: the file's value applies.
    etcd.delete(format!("{prefix}config/vpp/v2/interfaces/tap1"), None)
        .await
        .unwrap();
    agent
        .wait_json("the file's interface", "/v1/config", |v| {
            summary(v).0 == [("tap1".to_owned(), false, "CONFIGURED".to_owned())]
        })
        .await;

    // The file drops its FIB entry: it goes (etcd never had it).
    std::fs::write(&initial, format!("data:\n{file_tap1}")).unwrap();
    agent
        .wait_json(
            "the FIB entry removed with its file line",
            "/v1/config",
            |v| {
                let (interfaces, fibs, bds) = summary(v);
                fibs.is_empty() && bds == ["bd1"] && interfaces.len() == 1
            },
        )
        .await;
    assert!(
        agent.output().contains("datastore:filedb"),
        "the file DB is named as its own source"
    );
    etcd.delete(prefix.as_str(), Some(DeleteOptions::new().with_prefix()))
        .await
        .unwrap();
    agent.stop();
}
