//! The gRPC transport against an agent serving the generic API: models learned at run
//! time, values as dynamic messages, statuses, waiting and the status stream.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cninfra_client::{Client, ClientError, Filter, GrpcOptions, Value, ValueState};
use cninfra_kv::{KvStore, MemoryStore};
use cninfra_ligato::vpp::interfaces::Interface;
use prost_reflect::ReflectMessage as _;
use support::*;

async fn agent_and_client() -> (TestAgent, Client) {
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    let agent = TestAgent::start_with_grpc(store, "vpp1").await;
    let client = Client::grpc_within(&agent.grpc_endpoint(), GrpcOptions::default(), WAIT)
        .await
        .expect("connects and learns the models");
    (agent, client)
}

#[tokio::test]
async fn the_models_are_learned_from_the_agent() {
    let (agent, client) = agent_and_client().await;
    let names: Vec<&str> = client
        .model_infos()
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert!(
        names.contains(&"vpp.interfaces") && names.contains(&"vpp.l2.fib"),
        "{names:?}"
    );
    let fib = client.models().get("vpp.l2.fib").expect("the FIB model");
    assert_eq!(
        fib.name_template(),
        Some("{{.BridgeDomain}}/mac/{{.PhysAddress}}")
    );
    let descriptor = fib
        .descriptor()
        .expect("described by the agent's proto files");
    assert_eq!(descriptor.full_name(), "ligato.vpp.l2.FIBEntry");
    assert!(descriptor.get_field_by_name("phys_address").is_some());
    // The agent's secret marks come along (KnownModels' `secretFields`).
    let interface = client.models().get("vpp.interfaces").unwrap();
    let secret: Vec<String> = interface
        .secret_fields()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(secret, ["memif.secret"]);
    assert!(fib.secret_fields().is_empty());
    agent.stop().await;
}

#[tokio::test]
async fn subscribe_delivers_pending_then_configured() {
    let (agent, client) = agent_and_client().await;
    let mut statuses = client.subscribe([FIB_KEY]).await.unwrap();

    let reply = client.change().put(&fib()).send().await.unwrap();
    assert!(
        reply.seq.is_some(),
        "the sequence number comes back: {reply:?}"
    );
    assert_eq!(
        reply.results.len(),
        1,
        "the seqnum result is taken out: {reply:?}"
    );
    let result = &reply.results[0];
    assert_eq!(result.key, FIB_KEY);
    assert!(result.is_pending(), "{result:?}");
    let details = &result.status.as_ref().unwrap().details;
    assert!(
        !details.is_empty(),
        "the missing dependencies are named: {result:?}"
    );

    client
        .change()
        .put(&tap("tap1"))
        .put(&bridge_domain("bd1", &["tap1"]))
        .send()
        .await
        .unwrap();
    let mut seen = Vec::new();
    while !seen.contains(&ValueState::Configured) {
        let next = tokio::time::timeout(WAIT, statuses.recv())
            .await
            .expect("a notification in time")
            .expect("the stream goes on")
            .unwrap();
        assert_eq!(next.status.key, FIB_KEY);
        assert_eq!(next.model.as_deref(), Some("vpp.l2.fib"));
        seen.push(next.status.state);
    }
    let pending = seen.iter().position(|s| *s == ValueState::Pending);
    let configured = seen.iter().position(|s| *s == ValueState::Configured);
    assert!(pending.is_some() && pending < configured, "{seen:?}");
    agent.stop().await;
}

#[tokio::test]
async fn set_config_waits_until_the_values_are_done_or_the_deadline() {
    let (agent, client) = agent_and_client().await;
    let waiting = {
        let client = client.clone();
        tokio::spawn(async move { client.change().put(&fib()).wait(WAIT).send().await })
    };
    agent.wait_state(FIB_KEY, ValueState::Pending).await;
    client
        .change()
        .put(&tap("tap1"))
        .put(&bridge_domain("bd1", &["tap1"]))
        .send()
        .await
        .unwrap();
    let reply = waiting.await.unwrap().unwrap();
    let state = reply
        .get(FIB_KEY)
        .and_then(|r| r.status.as_ref())
        .map(|s| s.state);
    assert_eq!(state, Some(ValueState::Configured), "{reply:?}");

    // Still PENDING at the deadline: reported as such, not an error.
    let started = std::time::Instant::now();
    let reply = client
        .change()
        .put(&cninfra_ligato::vpp::l2::FibEntry {
            bridge_domain: "bd9".into(),
            ..fib()
        })
        .wait(Duration::from_millis(500))
        .send()
        .await
        .unwrap();
    assert!(reply.results[0].is_pending(), "{reply:?}");
    assert!(started.elapsed() < WAIT, "the deadline bounds the wait");
    agent.stop().await;
}

#[tokio::test]
async fn values_come_back_as_dynamic_messages_and_a_resync_removes_the_rest() {
    let (agent, client) = agent_and_client().await;
    client
        .change()
        .put(&tap("tap1"))
        .put(&tap("tap2"))
        .put(&bridge_domain("bd1", &["tap1"]))
        .send()
        .await
        .unwrap();
    let config = client.get_config(&Filter::default()).await.unwrap();
    let keys: Vec<&str> = config.iter().map(|c| c.item.key.as_str()).collect();
    assert_eq!(keys, [BD_KEY, IF_KEY, "config/vpp/v2/interfaces/tap2"]);
    let message = config[1]
        .item
        .value
        .as_message()
        .expect("a dynamic message");
    assert_eq!(
        message.descriptor().full_name(),
        "ligato.vpp.interfaces.Interface"
    );
    let tap1: Interface = config[1].item.value.to_message(IF_KEY).unwrap();
    assert_eq!(tap1, tap("tap1"));
    assert_eq!(
        config[1].status.as_ref().map(|s| s.state),
        Some(ValueState::Configured)
    );
    let only = client.get_config(&Filter::keys([IF_KEY])).await.unwrap();
    assert_eq!(only.len(), 1, "{only:?}");

    let state = client.dump_state().await.unwrap();
    assert!(
        state
            .iter()
            .any(|s| s.item.key == "config/vpp/v2/interfaces/tap2"),
        "{state:?}"
    );

    // JSON of a model the client knows only from the agent, keyed by its template.
    let reply = client
        .resync([Value::from(&tap("tap1"))])
        .put_json(
            "vpp.interfaces",
            serde_json::json!({"name": "tap3", "type": "TAP"}),
        )
        .send()
        .await
        .unwrap();
    assert!(reply.is_ok(), "{reply:?}");
    let keys: Vec<String> = client
        .get_config(&Filter::default())
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.item.key)
        .collect();
    assert_eq!(keys, [IF_KEY, "config/vpp/v2/interfaces/tap3"]);
    agent.wait_state(BD_KEY, ValueState::Nonexistent).await;

    client
        .change()
        .delete::<Interface>("tap3")
        .send()
        .await
        .unwrap();
    agent
        .wait_state("config/vpp/v2/interfaces/tap3", ValueState::Nonexistent)
        .await;
    agent.stop().await;
}

#[tokio::test]
async fn failures_are_reported_per_value_and_connection_errors_name_the_address() {
    let (agent, client) = agent_and_client().await;
    let reply = client
        .change()
        .put(&Interface {
            name: "tap9".into(),
            ..Interface::default()
        })
        .send()
        .await
        .unwrap();
    let failed: Vec<&str> = reply.failures().map(|r| r.key.as_str()).collect();
    assert_eq!(failed, ["config/vpp/v2/interfaces/tap9"], "{reply:?}");
    agent.stop().await;

    let port = cninfra_testsupport::free_port();
    let endpoint = format!("127.0.0.1:{port}");
    let err = Client::grpc_within(&endpoint, GrpcOptions::default(), WAIT)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot connect to the agent's gRPC server at {endpoint}")
    );
}
