//! `announce-changes: false`: plain `SET`/`DEL` writes that any Redis client can read,
//! watches without previous values, and the capabilities that say so.

mod support;

use std::time::Duration;

use cninfra_kv::{ChangeKind, DeleteOptions, KvStore, PutOptions, Txn, WatchEvent};
use cninfra_kv_redis::{RedisConfig, RedisStore};
use futures::{StreamExt, TryStreamExt};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_writes_work_and_watches_report_no_previous_values() {
    let config = RedisConfig {
        announce_changes: false,
        ..support::shared_config()
    };
    let store = RedisStore::connect(&config).await.unwrap();
    assert!(!store.capabilities().prev_values);
    let p = support::unique_prefix("plain");
    let key = |rel: &str| format!("{p}{rel}");

    let mut watch = store.watch(&[&p], None).await.unwrap();
    store
        .put(&key("a"), "1".into(), PutOptions::default())
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    let Some(Ok(WatchEvent::Change(change))) = event else {
        panic!("expected a change, got {event:?}")
    };
    assert_eq!(
        (change.kind, &change.value[..]),
        (ChangeKind::Put, &b"1"[..])
    );

    // Stored as a plain string: another client reads it with GET.
    let client = redis::Client::open(format!("redis://{}/", support::shared_endpoint())).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let value: String = redis::cmd("GET")
        .arg(key("a"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(value, "1");

    Txn::new()
        .put(key("b"), "2")
        .put_with(
            key("c"),
            "3",
            PutOptions::default().with_ttl(Duration::from_secs(60)),
        )
        .delete(key("a"))
        .commit(&store)
        .await
        .unwrap();
    let mut keys: Vec<String> = store.list_keys(&p).try_collect().await.unwrap();
    keys.sort();
    assert_eq!(keys, [key("b"), key("c")]);
    let ttl: i64 = redis::cmd("PTTL")
        .arg(key("c"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 60_000, "PTTL {ttl}");

    let mut deletes = 0;
    while deletes == 0 {
        let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .unwrap();
        if let Some(Ok(WatchEvent::Change(change))) = event {
            assert_eq!(change.prev_value, None, "{change:?}");
            if change.kind == ChangeKind::Delete {
                assert_eq!(change.key, key("a"));
                deletes += 1;
            }
        }
    }
    assert!(store.delete(&p, DeleteOptions::prefix()).await.unwrap());
    assert!(!store.delete(&p, DeleteOptions::prefix()).await.unwrap());
}
