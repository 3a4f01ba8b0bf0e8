//! The KV-store transport against an agent watching the harness's etcd
//! (`CNINFRA_TEST_ETCD`): the client writes the keys, the agent applies them.

mod support;

use std::sync::Arc;

use cninfra_client::{Client, ClientError, Filter, Value, ValueState};
use cninfra_kv::{KvStore, PutOptions};
use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
use cninfra_ligato::vpp::interfaces::Interface;
use support::*;

async fn etcd() -> Arc<dyn KvStore> {
    let endpoint = cninfra_testsupport::harness_server("CNINFRA_TEST_ETCD");
    Arc::new(
        EtcdStore::connect(&EtcdConfig::with_endpoints([endpoint]))
            .await
            .expect("etcd connects"),
    )
}

/// A label no other test uses, so that tests share the harness's etcd.
fn unique_label(test: &str) -> String {
    let prefix = cninfra_testsupport::unique_prefix(test);
    prefix.trim_matches('/').replace('/', "-")
}

#[tokio::test]
async fn the_agent_applies_what_the_client_writes_and_a_resync_deletes_what_it_leaves_out() {
    let label = unique_label("client-kv");
    let store = etcd().await;
    let agent = TestAgent::start(etcd().await, &label).await;
    let client = Client::kv(
        Arc::clone(&store),
        &label,
        cninfra_kvscheduler_example::models(),
    );

    let reply = client
        .change()
        .put(&fib())
        .put(&tap("tap1"))
        .put(&bridge_domain("bd1", &["tap1"]))
        .send()
        .await
        .unwrap();
    assert_eq!(reply.results.len(), 3);
    assert!(reply.seq.is_none() && reply.results.iter().all(|r| r.status.is_none()));
    agent.wait_state(FIB_KEY, ValueState::Configured).await;

    // The store holds proto3 JSON at upstream's keys.
    let stored = store
        .get(&format!("/vnf-agent/{label}/{IF_KEY}"))
        .await
        .unwrap()
        .expect("the interface key is written");
    let json: serde_json::Value = serde_json::from_slice(&stored.value).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"name": "tap1", "type": "TAP", "enabled": true})
    );

    // A key written by someone else (as `etcdctl put` does) is part of the configuration.
    store
        .put(
            &format!("/vnf-agent/{label}/config/vpp/v2/interfaces/tap2"),
            r#"{"name":"tap2","type":"TAP"}"#.into(),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let config = client.get_config(&Filter::default()).await.unwrap();
    let keys: Vec<&str> = config.iter().map(|c| c.item.key.as_str()).collect();
    assert_eq!(
        keys,
        [BD_KEY, FIB_KEY, IF_KEY, "config/vpp/v2/interfaces/tap2"]
    );
    let tap2: Interface = config[3].item.value.to_message("tap2").unwrap();
    assert_eq!(tap2.name, "tap2");
    agent
        .wait_state("config/vpp/v2/interfaces/tap2", ValueState::Configured)
        .await;

    // The resync keeps tap1 only: the FIB entry, the bridge domain and tap2 go.
    client
        .resync([Value::from(&tap("tap1"))])
        .send()
        .await
        .unwrap();
    let config = client.get_config(&Filter::default()).await.unwrap();
    assert_eq!(config.len(), 1, "{config:?}");
    agent
        .wait_state("config/vpp/v2/interfaces/tap2", ValueState::Nonexistent)
        .await;
    agent.wait_state(FIB_KEY, ValueState::Nonexistent).await;
    agent.wait_state(IF_KEY, ValueState::Configured).await;

    client
        .change()
        .delete::<Interface>("tap1")
        .send()
        .await
        .unwrap();
    agent.wait_state(IF_KEY, ValueState::Nonexistent).await;
    agent.stop().await;
}

#[tokio::test]
async fn a_resync_larger_than_one_store_transaction() {
    let label = unique_label("client-kv-large");
    let store = etcd().await;
    let client = Client::kv(
        Arc::clone(&store),
        &label,
        cninfra_kvscheduler_example::models(),
    );
    let first: Vec<Value> = (0..300)
        .map(|i| Value::from(&tap(&format!("tap{i}"))))
        .collect();
    client.resync(first).send().await.unwrap();
    let second: Vec<Value> = (200..400)
        .map(|i| Value::from(&tap(&format!("tap{i}"))))
        .collect();
    client.resync(second).send().await.unwrap();
    let config = client.get_config(&Filter::default()).await.unwrap();
    assert_eq!(config.len(), 200);
    assert!(config.iter().all(|c| {
        let n: u32 = c.item.key.rsplit("tap").next().unwrap().parse().unwrap();
        (200..400).contains(&n)
    }));
}

#[tokio::test]
async fn what_a_kv_store_cannot_tell_is_refused_by_name() {
    let store = etcd().await;
    let client = Client::kv(store, "nobody", cninfra_kvscheduler_example::models());
    let err = client.dump_state().await.unwrap_err();
    assert!(matches!(err, ClientError::Unsupported { .. }));
    assert_eq!(
        err.to_string(),
        "the KV store does not support dumping the southbound state"
    );
    assert!(client.subscribe([IF_KEY]).await.is_err());
    let err = client
        .change()
        .put(&tap("tap1"))
        .wait(WAIT)
        .send()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("waiting"), "{err}");
}
