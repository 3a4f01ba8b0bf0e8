//! Typed watchers decode values; a value that does not decode is logged and acknowledged
//! as an error naming its key, and the stream goes on.

mod support;

use std::sync::Arc;

use cninfra_datasync::{StoreSource, TypedSyncEvent};
use cninfra_health::State;
use cninfra_kv::{KvStore, MemoryStore, PutOptions};
use support::logs::Logs;
use support::{Stack, WAIT, plugin_state, plugin_status, quick_config};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Item {
    port: u16,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Interface {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(uint32, tag = "2")]
    mtu: u32,
}

async fn put(store: &MemoryStore, key: &str, value: &str) {
    store
        .put(
            &format!("/vnf-agent/lbl/{key}"),
            value.to_owned().into(),
            PutOptions::default(),
        )
        .await
        .expect("put");
}

async fn next<T>(
    watcher: &mut cninfra_datasync::TypedWatcher<T, impl cninfra_kv::Codec<T>>,
) -> TypedSyncEvent<T> {
    tokio::time::timeout(WAIT, watcher.recv())
        .await
        .expect("an event in time")
        .expect("open")
}

#[tokio::test]
async fn bad_json_values_are_left_out_reported_and_the_stream_goes_on() {
    let (logs, _guard) = Logs::capture();
    let store = MemoryStore::new();
    put(&store, "config/ex/a", r#"{"port":80}"#).await;
    put(&store, "config/ex/b", "not json").await;
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[],
    )
    .await;
    let mut items = stack
        .sync
        .watch_json::<Item>(&support::ctx("ex"), &["config/ex/"])
        .expect("watch");

    let TypedSyncEvent::Resync(resync) = next(&mut items).await else {
        panic!("resync first")
    };
    let values: Vec<_> = resync
        .values
        .iter()
        .map(|e| (e.key.as_str(), e.value.port))
        .collect();
    assert_eq!(values, [("config/ex/a", 80)]);
    resync.done.ok();
    let error = plugin_state(&stack.status, "ex", State::Error)
        .await
        .expect("text");
    assert!(
        error.contains("failed to apply the resync")
            && error.contains("cannot decode the value of `config/ex/b`"),
        "{error}"
    );
    assert_eq!(
        logs.lines_with(&[
            "value left out of the resync",
            "plugin=ex",
            "key=config/ex/b"
        ])
        .len(),
        1
    );

    put(&store, "config/ex/c", "{").await;
    put(&store, "config/ex/d", r#"{"port":81}"#).await;
    let TypedSyncEvent::Change(change) = next(&mut items).await else {
        panic!("a change")
    };
    assert_eq!(
        (change.key.as_str(), change.value.clone()),
        ("config/ex/d", Some(Item { port: 81 }))
    );
    assert_eq!(
        logs.lines_with(&["change dropped", "plugin=ex", "key=config/ex/c"])
            .len(),
        1
    );
    let expected = "cannot decode the value of `config/ex/c`";
    plugin_status(&stack.status, "ex", |p| {
        p.error.as_deref().is_some_and(|e| e.contains(expected))
    })
    .await;
    change.done.ok();
    assert_eq!(plugin_state(&stack.status, "ex", State::Ok).await, None);

    // A delete has no value to decode; the previous value comes along decoded.
    store
        .delete("/vnf-agent/lbl/config/ex/d", Default::default())
        .await
        .unwrap();
    let TypedSyncEvent::Change(change) = next(&mut items).await else {
        panic!("a change")
    };
    assert_eq!(
        (change.value, change.prev_value),
        (None, Some(Item { port: 81 }))
    );
    change.done.ok();
    stack.stop().await;
}

#[tokio::test]
async fn proto_watchers_decode_what_the_publisher_wrote() {
    let store = MemoryStore::new();
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[],
    )
    .await;
    let mut interfaces = stack
        .sync
        .watch_proto::<Interface>(&support::ctx("ifs"), &["config/if/"])
        .expect("watch");
    let TypedSyncEvent::Resync(resync) = next(&mut interfaces).await else {
        panic!("resync first")
    };
    assert!(resync.values.is_empty());
    resync.done.ok();

    let eth0 = Interface {
        name: "eth0".into(),
        mtu: 1500,
    };
    let publisher = stack.sync.publisher();
    publisher
        .put_proto("config/if/eth0", &eth0)
        .await
        .expect("put");
    let TypedSyncEvent::Change(change) = next(&mut interfaces).await else {
        panic!("a change")
    };
    assert_eq!(
        (change.key.as_str(), change.value.as_ref()),
        ("config/if/eth0", Some(&eth0))
    );
    change.done.ok();
    stack.stop().await;
}
