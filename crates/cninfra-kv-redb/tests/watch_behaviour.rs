//! Watch behaviour beyond the conformance kit: transactions notify watchers (upstream did
//! not), duplicate filtering, lagging watchers, and the end of streams on close.

use std::time::Duration;

use cninfra_kv::{ChangeKind, KvError, KvStore, ResyncReason, Txn, WatchEvent, WatchStream};
use cninfra_kv_redb::{RedbConfig, RedbStore};
use futures::StreamExt;

async fn open(dir: &tempfile::TempDir, tweak: impl FnOnce(&mut RedbConfig)) -> RedbStore {
    let mut config = RedbConfig::at(dir.path().join("kv.redb"));
    tweak(&mut config);
    RedbStore::open(config).await.unwrap()
}

async fn next(watch: &mut WatchStream) -> Option<Result<WatchEvent, KvError>> {
    tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("an item or the end within 10 s")
}

async fn change(watch: &mut WatchStream) -> cninfra_kv::KeyChange {
    match next(watch).await {
        Some(Ok(WatchEvent::Change(change))) => change,
        other => panic!("expected a change, got {other:?}"),
    }
}

#[tokio::test]
async fn a_transaction_notifies_watchers_with_one_revision() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, |_| {}).await;
    store
        .put("cfg/old", "v".into(), Default::default())
        .await
        .unwrap();
    let mut watch = store.watch(&["cfg/"], None).await.unwrap();
    let rev = Txn::new()
        .put("cfg/a", "1")
        .put("other/x", "1")
        .delete("cfg/old")
        .commit(&store)
        .await
        .unwrap();
    let a = change(&mut watch).await;
    let old = change(&mut watch).await;
    assert_eq!(
        (a.key.as_str(), a.kind, a.revision),
        ("cfg/a", ChangeKind::Put, rev)
    );
    assert_eq!(
        (old.key.as_str(), old.kind, old.revision),
        ("cfg/old", ChangeKind::Delete, rev)
    );
    assert_eq!(old.prev_value.as_deref(), Some(&b"v"[..]));
    store.close().await.unwrap();
}

#[tokio::test]
async fn duplicate_puts_are_filtered_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, |c| c.filter_duplicate_notifications = true).await;
    let mut watch = store.watch(&[""], None).await.unwrap();
    store
        .put("a", "1".into(), Default::default())
        .await
        .unwrap();
    let same = store
        .put("a", "1".into(), Default::default())
        .await
        .unwrap();
    store
        .put("a", "2".into(), Default::default())
        .await
        .unwrap();
    assert_eq!(change(&mut watch).await.value, "1");
    // The duplicate still got a revision, but no event: the next one is the new value.
    assert_eq!(store.get("a").await.unwrap().unwrap().revision, same + 1);
    let second = change(&mut watch).await;
    assert_eq!(
        (second.value.as_ref(), second.prev_value.as_deref()),
        (&b"2"[..], Some(&b"1"[..]))
    );
    store.close().await.unwrap();
}

#[tokio::test]
async fn a_watcher_that_falls_behind_gets_a_resync_signal_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, |c| c.watch_buffer = 2).await;
    let mut watch = store.watch(&[""], None).await.unwrap();
    for i in 0..5 {
        store
            .put(&format!("k{i}"), "v".into(), Default::default())
            .await
            .unwrap();
    }
    assert!(matches!(
        next(&mut watch).await,
        Some(Ok(WatchEvent::Resync(ResyncReason::Lagged)))
    ));
    // The queue's policy (cninfra_kv::watch::event_channel): k4 found k2 and k3 queued,
    // dropped them and came after the signal; later commits follow in order.
    assert_eq!(change(&mut watch).await.key, "k4");
    store
        .put("k5", "v".into(), Default::default())
        .await
        .unwrap();
    assert_eq!(change(&mut watch).await.key, "k5");
    store.close().await.unwrap();
}

#[tokio::test]
async fn close_ends_watches_and_later_calls_fail_with_closed() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, |_| {}).await;
    let mut watch = store.watch(&[""], None).await.unwrap();
    store
        .put("a", "1".into(), Default::default())
        .await
        .unwrap();
    store.close().await.unwrap();
    // What was published before the close is still delivered, then the stream ends.
    assert_eq!(change(&mut watch).await.key, "a");
    assert!(next(&mut watch).await.is_none());
    let err = store
        .put("b", "1".into(), Default::default())
        .await
        .unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    assert!(store.get("a").await.unwrap_err().is_closed());
    assert!(
        store
            .watch(&[""], None)
            .await
            .err()
            .is_some_and(|e| e.is_closed())
    );
}

#[tokio::test]
async fn ttl_is_refused_not_ignored_and_missing_keys_are_none() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, |_| {}).await;
    let ttl = cninfra_kv::PutOptions::default().with_ttl(Duration::from_secs(5));
    let err = store.put("a", "1".into(), ttl.clone()).await.unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
    let err = Txn::new()
        .put("b", "1")
        .put_with("a", "1", ttl)
        .commit(&store)
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err:?}");
    assert_eq!(
        store.get("b").await.unwrap(),
        None,
        "the txn applied nothing"
    );
    assert!(!store.delete("a", Default::default()).await.unwrap());
    store.close().await.unwrap();
}
