//! Memory store watches: history, compaction, lagging watchers, close.

use futures::StreamExt;

use cninfra_kv::{
    ChangeKind, DeleteOptions, KvStore, MemoryStore, PutOptions, ResyncReason, Txn, WatchEvent,
    WatchStream,
};

async fn put(store: &MemoryStore, key: &str, value: &'static str) -> u64 {
    store
        .put(key, value.into(), PutOptions::default())
        .await
        .unwrap()
}

async fn next(watch: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(std::time::Duration::from_secs(5), watch.next())
        .await
        .expect("an event within 5 s")
        .expect("stream open")
        .expect("no error")
}

async fn next_change(watch: &mut WatchStream) -> cninfra_kv::KeyChange {
    match next(watch).await {
        WatchEvent::Change(change) => change,
        other => panic!("expected a change, got {other:?}"),
    }
}

#[tokio::test]
async fn watching_from_a_compacted_revision_signals_resync_then_goes_live() {
    let store = MemoryStore::builder().history_limit(2).build();
    let r1 = put(&store, "a", "1").await;
    put(&store, "a", "2").await;
    let r3 = put(&store, "a", "3").await;
    let mut watch = store.watch(&["a"], Some(r1)).await.unwrap();
    assert_eq!(
        next(&mut watch).await,
        WatchEvent::Resync(ResyncReason::Compacted {
            requested: r1,
            compacted: r1
        })
    );
    put(&store, "a", "4").await;
    let live = next_change(&mut watch).await;
    assert_eq!((live.revision, &live.value[..]), (r3 + 1, &b"4"[..]));

    // Revisions still in the history replay normally.
    let mut replay = store.watch(&["a"], Some(r3)).await.unwrap();
    assert_eq!(next_change(&mut replay).await.revision, r3);
}

#[tokio::test]
async fn explicit_compaction_drops_history() {
    let store = MemoryStore::new();
    let r1 = put(&store, "k", "1").await;
    let r2 = put(&store, "k", "2").await;
    store.compact(r1);
    let mut gone = store.watch(&["k"], Some(r1)).await.unwrap();
    assert!(matches!(
        next(&mut gone).await,
        WatchEvent::Resync(ResyncReason::Compacted { .. })
    ));
    let mut kept = store.watch(&["k"], Some(r2)).await.unwrap();
    assert_eq!(
        next_change(&mut kept).await.prev_value.as_deref(),
        Some(&b"1"[..])
    );
}

#[tokio::test]
async fn a_slow_watcher_gets_lagged_and_writers_never_block() {
    let store = MemoryStore::builder().watch_buffer(4).build();
    let mut slow = store.watch(&[""], None).await.unwrap();
    for i in 0..100 {
        store
            .put(&format!("k{i:03}"), "v".into(), PutOptions::default())
            .await
            .unwrap();
    }
    assert_eq!(
        next(&mut slow).await,
        WatchEvent::Resync(ResyncReason::Lagged)
    );
    // After the signal the stream carries the changes that followed it, in order, up to
    // the last put; at most a buffer's worth is kept.
    let mut after = Vec::new();
    while after.last().is_none_or(|key| key != "k099") {
        after.push(next_change(&mut slow).await.key);
    }
    assert!(after.len() <= 4, "{after:?}");
    let mut sorted = after.clone();
    sorted.sort();
    assert_eq!(after, sorted);
    put(&store, "later", "v").await;
    assert_eq!(next_change(&mut slow).await.key, "later");
}

#[tokio::test]
async fn transactions_share_one_revision_and_reach_watchers_in_order() {
    let store = MemoryStore::new();
    put(&store, "b", "old").await;
    let mut watch = store.watch(&["a", "b"], None).await.unwrap();
    let rev = Txn::new()
        .put("a", "1")
        .delete("b")
        .commit(&store)
        .await
        .unwrap();
    let first = next_change(&mut watch).await;
    let second = next_change(&mut watch).await;
    assert_eq!(
        (first.key.as_str(), first.kind, first.revision),
        ("a", ChangeKind::Put, rev)
    );
    assert_eq!(
        (second.key.as_str(), second.kind, second.revision),
        ("b", ChangeKind::Delete, rev)
    );
    assert_eq!(second.prev_value.as_deref(), Some(&b"old"[..]));
}

#[tokio::test]
async fn overlapping_prefixes_deliver_once_and_future_revisions_wait() {
    let store = MemoryStore::new();
    let now = store.revision().await.unwrap();
    let mut watch = store.watch(&["a", "a/b"], Some(now + 2)).await.unwrap();
    put(&store, "a/b/1", "skipped: below the start revision").await;
    put(&store, "a/b/2", "v").await;
    put(&store, "a/b/3", "v").await;
    assert_eq!(next_change(&mut watch).await.key, "a/b/2");
    assert_eq!(next_change(&mut watch).await.key, "a/b/3");
}

#[tokio::test]
async fn no_op_deletes_do_not_bump_the_revision() {
    let store = MemoryStore::new();
    let rev = put(&store, "a", "1").await;
    assert!(
        !store
            .delete("missing", DeleteOptions::default())
            .await
            .unwrap()
    );
    assert!(!store.delete("zzz/", DeleteOptions::prefix()).await.unwrap());
    assert_eq!(store.revision().await.unwrap(), rev);
    assert_eq!(
        Txn::new().delete("missing").commit(&store).await.unwrap(),
        rev
    );
}

#[tokio::test]
async fn close_ends_streams_and_refuses_operations() {
    let store = MemoryStore::new();
    let mut watch = store.watch(&[""], None).await.unwrap();
    put(&store, "a", "1").await;
    store.close().await.unwrap();
    // Queued events are still delivered, then the stream ends.
    assert_eq!(next_change(&mut watch).await.key, "a");
    assert!(watch.next().await.is_none());
    assert!(store.get("a").await.unwrap_err().is_closed());
    assert!(
        store
            .put("a", "2".into(), PutOptions::default())
            .await
            .unwrap_err()
            .is_closed()
    );
    let listed: Vec<_> = store.list_keys("").collect().await;
    assert!(matches!(&listed[..], [Err(err)] if err.is_closed()));
}

#[tokio::test]
async fn watch_needs_a_prefix() {
    let store = MemoryStore::new();
    assert!(store.watch(&[], None).await.err().unwrap().is_invalid_key());
}

#[tokio::test]
async fn dropping_the_last_clone_ends_watch_streams() {
    let store = MemoryStore::new();
    let mut watch = store.watch(&[""], None).await.unwrap();
    put(&store, "a", "1").await;
    drop(store);
    assert_eq!(next_change(&mut watch).await.key, "a");
    assert!(watch.next().await.is_none());
}
