//! Memory store TTLs, with tokio's paused clock so no test waits in real time.

use std::time::Duration;

use futures::StreamExt;

use cninfra_kv::{ChangeKind, KvStore, MemoryStore, PutOptions, Txn, WatchEvent};

fn ttl(secs: u64) -> PutOptions {
    PutOptions::default().with_ttl(Duration::from_secs(secs))
}

#[tokio::test(start_paused = true)]
async fn expired_keys_vanish_and_watchers_see_a_delete() {
    let store = MemoryStore::new();
    let mut watch = store.watch(&[""], None).await.unwrap();
    let put_rev = store.put("short", "v".into(), ttl(5)).await.unwrap();
    store.put("long", "v".into(), ttl(60)).await.unwrap();
    store
        .put("forever", "v".into(), PutOptions::default())
        .await
        .unwrap();
    for _ in 0..3 {
        assert!(
            matches!(watch.next().await, Some(Ok(WatchEvent::Change(c))) if c.kind == ChangeKind::Put)
        );
    }

    // The paused clock jumps to the expiry task's deadline once everything is idle.
    let Some(Ok(WatchEvent::Change(expired))) = watch.next().await else {
        panic!()
    };
    assert_eq!(
        (expired.key.as_str(), expired.kind),
        ("short", ChangeKind::Delete)
    );
    assert_eq!(expired.prev_value.as_deref(), Some(&b"v"[..]));
    assert!(expired.revision > put_rev);
    assert!(store.get("short").await.unwrap().is_none());
    assert!(store.get("long").await.unwrap().is_some());

    let Some(Ok(WatchEvent::Change(expired))) = watch.next().await else {
        panic!()
    };
    assert_eq!(expired.key, "long");
    assert!(store.get("forever").await.unwrap().is_some());
}

#[tokio::test(start_paused = true)]
async fn reads_hide_expired_keys() {
    let store = MemoryStore::new();
    store.put("k", "v".into(), ttl(1)).await.unwrap();
    tokio::time::advance(Duration::from_secs(2)).await;
    assert!(store.get("k").await.unwrap().is_none());
    let keys: Vec<_> = store.list_keys("").collect().await;
    assert!(keys.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_put_without_ttl_clears_the_ttl() {
    let store = MemoryStore::new();
    store.put("k", "1".into(), ttl(1)).await.unwrap();
    store
        .put("k", "2".into(), PutOptions::default())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(store.get("k").await.unwrap().unwrap().value, "2");
}

#[tokio::test(start_paused = true)]
async fn ttl_in_a_transaction_expires_too() {
    let store = MemoryStore::new();
    Txn::new()
        .put_with("k", "1", ttl(3))
        .put("p", "1")
        .commit(&store)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(store.get("k").await.unwrap().is_none());
    assert!(store.get("p").await.unwrap().is_some());
}
