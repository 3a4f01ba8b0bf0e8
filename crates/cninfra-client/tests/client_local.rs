//! The local transport against an agent in the same process: the orchestrator's
//! `localclient` source.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cninfra_client::{Client, ClientError, Filter, Value, ValueState};
use cninfra_kv::{KvStore, MemoryStore, PutOptions};
use cninfra_kvscheduler::orchestrator::LOCAL_SOURCE;
use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::BridgeDomain;
use support::*;

async fn agent_and_client() -> (TestAgent, Client) {
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    let agent = TestAgent::start(store, "vpp1").await;
    let client = Client::local(&agent.orchestrator(), cninfra_kvscheduler_example::models());
    (agent, client)
}

#[tokio::test]
async fn a_change_reports_pending_then_configured_and_a_subscription_sees_both() {
    let (agent, client) = agent_and_client().await;
    let mut statuses = client.subscribe([FIB_KEY]).await.unwrap();

    let reply = client.change().put(&fib()).send().await.unwrap();
    assert!(reply.seq.is_some(), "{reply:?}");
    let result = reply.get(FIB_KEY).expect("the FIB key is answered");
    assert!(result.is_pending(), "{result:?}");
    assert_eq!(result.model.as_deref(), Some("vpp.l2.fib"));

    let reply = client
        .change()
        .put(&tap("tap1"))
        .put(&bridge_domain("bd1", &["tap1"]))
        .send()
        .await
        .unwrap();
    assert!(reply.is_ok(), "{reply:?}");
    agent.wait_state(FIB_KEY, ValueState::Configured).await;

    let mut seen = Vec::new();
    while !seen.contains(&ValueState::Configured) {
        let next = tokio::time::timeout(WAIT, statuses.recv())
            .await
            .expect("a notification in time")
            .expect("the stream goes on")
            .unwrap();
        assert_eq!(next.status.key, FIB_KEY);
        seen.push(next.status.state);
    }
    let pending = seen
        .iter()
        .position(|s| *s == ValueState::Pending)
        .expect("PENDING seen");
    let configured = seen
        .iter()
        .position(|s| *s == ValueState::Configured)
        .unwrap();
    assert!(pending < configured, "{seen:?}");
    agent.stop().await;
}

#[tokio::test]
async fn wait_returns_once_the_values_are_no_longer_pending() {
    let (agent, client) = agent_and_client().await;
    // The FIB entry waits for its bridge domain; another local client completes it while
    // the first one waits.
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
    let status = reply.get(FIB_KEY).and_then(|r| r.status.clone()).unwrap();
    assert_eq!(status.state, ValueState::Configured, "{reply:?}");

    // A value that stays PENDING is reported as such when the wait runs out.
    let reply = client
        .change()
        .put(&cninfra_ligato::vpp::l2::FibEntry {
            bridge_domain: "bd9".into(),
            ..fib()
        })
        .wait(Duration::from_millis(200))
        .send()
        .await
        .unwrap();
    assert!(reply.results[0].is_pending(), "{reply:?}");
    assert!(reply.is_ok(), "PENDING is no failure");
    agent.stop().await;
}

#[tokio::test]
async fn get_config_dump_state_and_resync() {
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
    assert!(
        config
            .iter()
            .all(|c| c.status.as_ref().unwrap().state == ValueState::Configured)
    );
    // Values come back as messages of the model, typed on request.
    let tap1: Interface = config[1].item.value.to_message(IF_KEY).unwrap();
    assert_eq!(tap1, tap("tap1"));
    let only = client.get_config(&Filter::keys([IF_KEY])).await.unwrap();
    assert_eq!(only.len(), 1);

    let state = client.dump_state().await.unwrap();
    let tap2 = state
        .iter()
        .find(|s| s.item.key == "config/vpp/v2/interfaces/tap2")
        .expect("tap2 in the southbound");
    assert_eq!(tap2.item.model.as_deref(), Some("vpp.interfaces"));

    // A resync without tap2 and the bridge domain removes them.
    let reply = client
        .resync([Value::from(&tap("tap1"))])
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
    assert_eq!(keys, [IF_KEY]);
    assert!(
        !agent
            .example
            .dataplane()
            .interfaces()
            .iter()
            .any(|i| i.name == "tap2")
    );

    // Deletes by model and name.
    client
        .change()
        .delete::<Interface>("tap1")
        .send()
        .await
        .unwrap();
    assert!(
        client
            .get_config(&Filter::default())
            .await
            .unwrap()
            .is_empty()
    );
    agent.stop().await;
}

#[tokio::test]
async fn the_local_source_wins_over_the_kv_store() {
    let store = MemoryStore::new();
    let shared: Arc<dyn KvStore> = Arc::new(store.clone());
    let agent = TestAgent::start(shared, "vpp1").await;
    let client = Client::local(&agent.orchestrator(), cninfra_kvscheduler_example::models());
    store
        .put(
            &format!("/vnf-agent/vpp1/{IF_KEY}"),
            r#"{"name":"tap1","type":"TAP","enabled":false}"#.into(),
            PutOptions::default(),
        )
        .await
        .unwrap();
    agent.wait_state(IF_KEY, ValueState::Configured).await;
    client.change().put(&tap("tap1")).send().await.unwrap();
    assert_eq!(
        agent.orchestrator().provider(IF_KEY).as_deref(),
        Some(LOCAL_SOURCE)
    );
    let config = client.get_config(&Filter::keys([IF_KEY])).await.unwrap();
    let tap1: Interface = config[0].item.value.to_message(IF_KEY).unwrap();
    assert!(tap1.enabled, "the local value is the desired one");
    agent.stop().await;
}

#[tokio::test]
async fn invalid_values_are_reported_per_key_and_builder_errors_at_send() {
    let (agent, client) = agent_and_client().await;
    // An interface without a type is rejected by the descriptor's validation.
    let reply = client
        .change()
        .put(&Interface {
            name: "tap9".into(),
            ..Interface::default()
        })
        .put(&tap("tap1"))
        .send()
        .await
        .unwrap();
    let failures: Vec<&str> = reply.failures().map(|r| r.key.as_str()).collect();
    assert_eq!(failures, ["config/vpp/v2/interfaces/tap9"], "{reply:?}");
    assert_eq!(
        reply
            .get(IF_KEY)
            .and_then(|r| r.status.as_ref())
            .map(|s| s.state),
        Some(ValueState::Configured)
    );

    // A message of no known model is named when sending.
    let empty = Client::local(&agent.orchestrator(), cninfra_models::ModelRegistry::new());
    let err = empty.change().put(&tap("tap9")).send().await.unwrap_err();
    assert!(matches!(err, ClientError::UnknownModel { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "no model is known for message `ligato.vpp.interfaces.Interface`"
    );
    let err = empty
        .change()
        .delete::<BridgeDomain>("bd1")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("ligato.vpp.l2.BridgeDomain"),
        "{err}"
    );
    agent.stop().await;
}
