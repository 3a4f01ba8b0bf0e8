//! The publisher writes under the agent prefix; putting `None` deletes, as upstream.

mod support;

use std::sync::Arc;

use cninfra_datasync::StoreSource;
use cninfra_kv::{KvStore, MemoryStore};
use support::{Stack, quick_config};

#[tokio::test]
async fn the_publisher_writes_and_deletes_under_the_agent_prefix() {
    let store = MemoryStore::new();
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[],
    )
    .await;
    let publisher = stack.sync.publisher();

    publisher.put("config/a", Some("1".into())).await.unwrap();
    let got = store
        .get("/vnf-agent/lbl/config/a")
        .await
        .unwrap()
        .expect("written");
    assert_eq!(got.value.as_ref(), b"1");
    publisher.put("config/a", None).await.unwrap();
    assert!(
        store
            .get("/vnf-agent/lbl/config/a")
            .await
            .unwrap()
            .is_none(),
        "None deletes"
    );

    publisher
        .put_json("config/b", &serde_json::json!({"port": 80}))
        .await
        .unwrap();
    let got = store
        .get("/vnf-agent/lbl/config/b")
        .await
        .unwrap()
        .expect("written");
    assert_eq!(got.value.as_ref(), br#"{"port":80}"#);
    assert!(publisher.delete("config/b").await.unwrap());
    assert!(!publisher.delete("config/b").await.unwrap(), "already gone");

    let err = publisher.put("", Some("x".into())).await.unwrap_err();
    assert!(err.to_string().contains("invalid key"), "{err}");
    stack.stop().await;
}

#[tokio::test]
async fn before_init_the_publisher_is_not_ready() {
    let sync =
        cninfra_datasync::KvdbSyncPlugin::new(StoreSource::fixed(Arc::new(MemoryStore::new())));
    let err = sync.publisher().delete("a").await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "plugin `kvdbsync` is not initialised: its init has not run or failed"
    );
}
