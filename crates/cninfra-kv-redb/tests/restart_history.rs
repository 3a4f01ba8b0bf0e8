//! Revisions and the change log persist across restarts; a bounded log turns a watch from
//! before it into a resync signal.

use std::time::Duration;

use cninfra_kv::{ChangeKind, KvStore, ResyncReason, Txn, WatchEvent, WatchStream};
use cninfra_kv_redb::{RedbConfig, RedbStore};
use futures::StreamExt;

async fn next(watch: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("a watch event within 10 s")
        .expect("stream open")
        .expect("no error item")
}

#[tokio::test]
async fn a_watch_after_restart_replays_history_from_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.redb");
    let store = RedbStore::open(RedbConfig::at(&path)).await.unwrap();
    let first = store
        .put("cfg/a", "1".into(), Default::default())
        .await
        .unwrap();
    store
        .put("cfg/a", "2".into(), Default::default())
        .await
        .unwrap();
    let txn = Txn::new()
        .put("cfg/b", "x")
        .delete("cfg/a")
        .commit(&store)
        .await
        .unwrap();
    store.close().await.unwrap();

    let store = RedbStore::open(RedbConfig::at(&path)).await.unwrap();
    assert_eq!(store.revision().await.unwrap(), txn);
    assert_eq!(
        store.get("cfg/b").await.unwrap().map(|v| v.revision),
        Some(txn)
    );
    assert_eq!(store.get("cfg/a").await.unwrap(), None);

    let mut watch = store.watch(&["cfg/"], Some(first)).await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let WatchEvent::Change(c) = next(&mut watch).await else {
            panic!("resync")
        };
        seen.push((c.kind, c.key, c.revision, c.prev_value));
    }
    assert_eq!(
        seen,
        [
            (ChangeKind::Put, "cfg/a".into(), first, None),
            (ChangeKind::Put, "cfg/a".into(), first + 1, Some("1".into())),
            (ChangeKind::Put, "cfg/b".into(), txn, None),
            (ChangeKind::Delete, "cfg/a".into(), txn, Some("2".into())),
        ]
    );
    // Then live changes, with the revision going on from the file's.
    let live = store
        .put("cfg/c", "3".into(), Default::default())
        .await
        .unwrap();
    assert_eq!(live, txn + 1);
    let WatchEvent::Change(c) = next(&mut watch).await else {
        panic!("resync")
    };
    assert_eq!((c.key.as_str(), c.revision), ("cfg/c", live));
    store.close().await.unwrap();
}

#[tokio::test]
async fn history_beyond_the_limit_is_dropped_whole_revisions_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let config = RedbConfig {
        history_limit: 3,
        ..RedbConfig::at(dir.path().join("kv.redb"))
    };
    let store = RedbStore::open(config).await.unwrap();
    let r1 = store
        .put("a", "1".into(), Default::default())
        .await
        .unwrap();
    // One revision with two changes, then two single ones: 5 rows, limit 3.
    let r2 = Txn::new()
        .put("b", "1")
        .put("c", "1")
        .commit(&store)
        .await
        .unwrap();
    let r3 = store
        .put("d", "1".into(), Default::default())
        .await
        .unwrap();
    let r4 = store
        .put("e", "1".into(), Default::default())
        .await
        .unwrap();
    assert_eq!((r2, r3, r4), (r1 + 1, r1 + 2, r1 + 3));

    // r1 and all of r2 are gone (r2 is not kept half).
    let mut watch = store.watch(&[""], Some(r2)).await.unwrap();
    assert_eq!(
        next(&mut watch).await,
        WatchEvent::Resync(ResyncReason::Compacted {
            requested: r2,
            compacted: r2
        })
    );
    let mut watch = store.watch(&[""], Some(r3)).await.unwrap();
    for expected in ["d", "e"] {
        let WatchEvent::Change(c) = next(&mut watch).await else {
            panic!("resync")
        };
        assert_eq!(c.key, expected);
    }
    store.close().await.unwrap();
}

#[tokio::test]
async fn without_history_a_watch_from_the_past_resyncs_but_from_now_works() {
    let dir = tempfile::tempdir().unwrap();
    let config = RedbConfig {
        history_limit: 0,
        ..RedbConfig::at(dir.path().join("kv.redb"))
    };
    let store = RedbStore::open(config).await.unwrap();
    let r1 = store
        .put("a", "1".into(), Default::default())
        .await
        .unwrap();
    let mut past = store.watch(&[""], Some(r1)).await.unwrap();
    assert!(matches!(
        next(&mut past).await,
        WatchEvent::Resync(ResyncReason::Compacted { .. })
    ));
    let mut from_next = store.watch(&[""], Some(r1 + 1)).await.unwrap();
    store
        .put("b", "1".into(), Default::default())
        .await
        .unwrap();
    let WatchEvent::Change(c) = next(&mut from_next).await else {
        panic!("resync")
    };
    assert_eq!((c.key.as_str(), c.revision), ("b", r1 + 1));
    store.close().await.unwrap();
}
