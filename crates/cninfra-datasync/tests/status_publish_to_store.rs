//! The status check's statuses land under `/vnf-agent/<label>/check/status/v1/` as JSON with
//! numeric states, only when they change, and again after a reconnect.

mod support;

use std::sync::Arc;

use cninfra_datasync::StoreSource;
use cninfra_health::State;
use cninfra_kv::{ChangeKind, KvStore, MemoryStore, ResyncReason, WatchEvent, WatchStream};
use futures::StreamExt;
use serde_json::Value;
use support::store::Signalling;
use support::{HandConnector, Stack, WAIT, expect_resync, plugin_state, quick_config};

const STATUS: &str = "/vnf-agent/lbl/check/status/v1/";

/// The next status write: key (relative to the status prefix) and JSON.
async fn next_write(writes: &mut WatchStream) -> (String, Value) {
    loop {
        let event = tokio::time::timeout(WAIT, writes.next())
            .await
            .expect("a status write in time")
            .expect("watch open")
            .expect("no watch error");
        if let WatchEvent::Change(change) = event
            && change.kind == ChangeKind::Put
        {
            let key = change
                .key
                .strip_prefix(STATUS)
                .expect("under the status prefix")
                .to_owned();
            return (key, serde_json::from_slice(&change.value).expect("JSON"));
        }
    }
}

/// Writes until `key` shows `state`.
async fn until_state(writes: &mut WatchStream, key: &str, state: u64) -> Value {
    loop {
        let (written, json) = next_write(writes).await;
        if written == key && json["state"] == state {
            return json;
        }
    }
}

/// Writes until every key of `keys` was written.
async fn until_written(writes: &mut WatchStream, keys: &[&str]) {
    let mut missing: Vec<&str> = keys.to_vec();
    while !missing.is_empty() {
        let (key, _) = next_write(writes).await;
        missing.retain(|k| *k != key);
    }
}

#[tokio::test]
async fn statuses_are_json_with_numeric_states_written_on_change_only() {
    let memory = MemoryStore::new();
    let mut writes = memory.watch(&[STATUS], None).await.expect("watch");
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(memory.clone())),
        quick_config(),
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();

    let plugin = until_state(&mut writes, "plugin/ex", 1).await;
    assert_eq!(plugin["name"], "ex");
    assert!(
        plugin["last_change"].is_i64() && plugin["last_update"].is_i64(),
        "{plugin}"
    );
    assert!(
        plugin.get("error").is_none(),
        "no error field when OK: {plugin}"
    );
    let agent = until_state(&mut writes, "agent", 1).await;
    for field in [
        "build_version",
        "build_date",
        "commit_hash",
        "start_time",
        "last_change",
        "last_update",
        "plugins",
    ] {
        assert!(
            agent.get(field).is_some(),
            "agent status lacks `{field}`: {agent}"
        );
    }
    let stored = memory
        .get(&format!("{STATUS}agent"))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(
        serde_json::from_slice::<Value>(&stored.value).unwrap()["state"],
        1
    );

    // A report that changes nothing writes nothing: the next write is the real change.
    stack
        .status
        .report_state_change("ex", State::Ok, None)
        .unwrap();
    stack
        .status
        .report_state_change("ex", State::Error, Some("disk full".into()))
        .unwrap();
    let (key, json) = next_write(&mut writes).await;
    assert_eq!(key, "plugin/ex");
    assert_eq!(
        (json["state"].as_u64(), json["error"].as_str()),
        (Some(2), Some("disk full"))
    );
    let (key, json) = next_write(&mut writes).await;
    assert_eq!((key.as_str(), json["state"].as_u64()), ("agent", Some(2)));
    stack.stop().await;
}

#[tokio::test]
async fn statuses_are_written_again_after_a_reconnect() {
    let memory = MemoryStore::new();
    let store = Signalling::new(memory.clone());
    let mut writes = memory.watch(&[STATUS], None).await.expect("watch");
    let connector = HandConnector::new(Arc::new(store.clone()), false);
    let stack = Stack::start(
        StoreSource::connector(connector.clone()),
        quick_config(),
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();
    stack.rounds_done(1).await;
    assert_eq!(plugin_state(&stack.status, "resync", State::Ok).await, None);
    until_state(&mut writes, "agent", 1).await;

    // The server lost everything while the agent was away.
    memory
        .delete(STATUS, cninfra_kv::DeleteOptions::prefix())
        .await
        .unwrap();
    store.signal(ResyncReason::Reconnected);
    expect_resync(&mut watcher).await.done.ok();
    until_written(&mut writes, &["agent", "plugin/ex", "plugin/resync"]).await;
    assert!(
        memory
            .get(&format!("{STATUS}plugin/ex"))
            .await
            .unwrap()
            .is_some()
    );

    // A reconnect of the store's connector does the same, without a resync: the
    // connector's `resync-after-reconnect` is off.
    memory
        .delete(STATUS, cninfra_kv::DeleteOptions::prefix())
        .await
        .unwrap();
    connector.reconnect();
    until_written(&mut writes, &["agent", "plugin/ex", "plugin/resync"]).await;
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(300), watcher.recv())
            .await
            .is_err(),
        "no resync without resync-after-reconnect"
    );
    stack.stop().await;
}
