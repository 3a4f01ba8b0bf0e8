//! Blocking-query watches: every change with previous value and revision, resumption
//! without loss after an outage, a resync when the index goes backwards, keys with their
//! leading `/`, and the check-and-set helpers.

use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::{
    ChangeKind, KeyChange, KvStore, PutOptions, ResyncReason, Txn, WatchEvent, WatchStream,
};
use cninfra_kv_consul::testserver::ConsulTestServer;
use cninfra_kv_consul::{Check, ConsulConfig, ConsulStore};
use futures::StreamExt;

const WAIT: Duration = Duration::from_secs(15);

async fn connect(server: &ConsulTestServer, resync_after_reconnect: bool) -> ConsulStore {
    let config = ConsulConfig {
        resync_after_reconnect,
        ..ConsulConfig::new(server.address().to_string())
    };
    ConsulStore::connect(&config, |_| None).await.unwrap()
}

async fn next(watch: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(WAIT, watch.next())
        .await
        .expect("an event in time")
        .expect("the watch goes on")
        .expect("no error item")
}

async fn next_change(watch: &mut WatchStream) -> KeyChange {
    match next(watch).await {
        WatchEvent::Change(change) => change,
        other => panic!("expected a change, got {other:?}"),
    }
}

/// Waits until the server holds `n` blocking queries (the watch is waiting for news).
async fn until_blocked(server: &ConsulTestServer, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while server.blocked_queries() != n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} blocked queries",
            server.blocked_queries()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn describe(change: &KeyChange) -> (ChangeKind, &str, &[u8], Option<&[u8]>) {
    (
        change.kind,
        change.key.as_str(),
        &change.value[..],
        change.prev_value.as_deref(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_changes_one_by_one() {
    let server = ConsulTestServer::start().await.unwrap();
    let store = connect(&server, false).await;
    let mut watch = store.watch(&["/live/"], None).await.unwrap();
    let r1 = store
        .put("/live/a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    let change = next_change(&mut watch).await;
    assert_eq!(
        describe(&change),
        (ChangeKind::Put, "/live/a", &b"1"[..], None)
    );
    assert_eq!(change.revision, r1);
    let r2 = store
        .put("/live/a", "2".into(), PutOptions::default())
        .await
        .unwrap();
    let change = next_change(&mut watch).await;
    assert_eq!(
        describe(&change),
        (ChangeKind::Put, "/live/a", &b"2"[..], Some(&b"1"[..]))
    );
    assert_eq!(change.revision, r2);
    assert!(store.delete("/live/a", Default::default()).await.unwrap());
    let change = next_change(&mut watch).await;
    assert_eq!(
        describe(&change),
        (ChangeKind::Delete, "/live/a", &b""[..], Some(&b"2"[..]))
    );
    assert!(change.revision > r2);
    store
        .put("/live/b", "1".into(), PutOptions::default())
        .await
        .unwrap();
    let change = next_change(&mut watch).await;
    assert_eq!(
        describe(&change),
        (ChangeKind::Put, "/live/b", &b"1"[..], None)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overlapping_prefixes_report_a_change_once() {
    let server = ConsulTestServer::start().await.unwrap();
    let store = connect(&server, false).await;
    let mut watch = store.watch(&["/x/y/", "/x/", "/z/"], None).await.unwrap();
    store
        .put("/x/y/1", "v".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .put("/z/1", "w".into(), PutOptions::default())
        .await
        .unwrap();
    let mut keys = vec![
        next_change(&mut watch).await.key,
        next_change(&mut watch).await.key,
    ];
    keys.sort();
    assert_eq!(keys, ["/x/y/1", "/z/1"]);
    // Stored without the leading slash, as upstream does.
    assert_eq!(server.keys(), ["x/y/1", "z/1"]);
    store
        .put("/x/2", "v".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        next_change(&mut watch).await.key,
        "/x/2",
        "no duplicate of /x/y/1 came first"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_outage_the_watch_resumes_without_loss() {
    for resync_after_reconnect in [false, true] {
        let mut server = ConsulTestServer::start().await.unwrap();
        let store = connect(&server, resync_after_reconnect).await;
        store
            .put("/o/a", "1".into(), PutOptions::default())
            .await
            .unwrap();
        let mut watch = store.watch(&["/o/"], None).await.unwrap();
        until_blocked(&server, 1).await;

        server.halt().await;
        assert!(store.check().await.unwrap_err().is_retryable());
        server.resume().await.unwrap();
        // Written after the outage, before or after the watch is back: either way it must
        // arrive, with the delete's previous value from before the outage.
        store.delete("/o/a", Default::default()).await.unwrap();
        store
            .put("/o/b", "2".into(), PutOptions::default())
            .await
            .unwrap();

        let mut seen = Vec::new();
        while seen
            .iter()
            .filter(|e| matches!(e, WatchEvent::Change(_)))
            .count()
            < 2
        {
            seen.push(next(&mut watch).await);
        }
        let resyncs = seen
            .iter()
            .filter(|e| matches!(e, WatchEvent::Resync(_)))
            .count();
        // A reconnect is data sync's to resync on (from the plugin's connection state);
        // the stream itself compares the listings and loses nothing.
        assert_eq!(resyncs, 0, "{seen:?}");
        let changes: Vec<_> = seen
            .iter()
            .filter_map(WatchEvent::as_change)
            .map(describe)
            .collect();
        assert!(
            changes.contains(&(ChangeKind::Delete, "/o/a", &b""[..], Some(&b"1"[..]))),
            "{changes:?}"
        );
        assert!(
            changes.contains(&(ChangeKind::Put, "/o/b", &b"2"[..], None)),
            "{changes:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_that_goes_backwards_asks_for_a_resync() {
    let server = ConsulTestServer::start().await.unwrap();
    let store = connect(&server, false).await;
    for i in 0..5 {
        store
            .put(&format!("/r/{i}"), "v".into(), PutOptions::default())
            .await
            .unwrap();
    }
    let mut watch = store.watch(&["/r/"], None).await.unwrap();
    until_blocked(&server, 1).await;
    server.wipe();
    assert_eq!(
        next(&mut watch).await,
        WatchEvent::Resync(ResyncReason::Reconnected)
    );
    // The data is gone: the comparison reports the deletes too.
    for i in 0..5 {
        let change = next_change(&mut watch).await;
        assert_eq!(
            describe(&change),
            (
                ChangeKind::Delete,
                format!("/r/{i}").as_str(),
                &b""[..],
                Some(&b"v"[..])
            )
        );
    }
    store
        .put("/r/new", "n".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        next_change(&mut watch).await.key,
        "/r/new",
        "the watch goes on from the new index"
    );
}

#[tokio::test]
async fn check_and_set_helpers() {
    let server = ConsulTestServer::start().await.unwrap();
    let store = connect(&server, false).await;
    assert!(
        store
            .put_cas("/c/k", Bytes::from_static(b"1"), 0)
            .await
            .unwrap()
    );
    assert!(
        !store
            .put_cas("/c/k", Bytes::from_static(b"2"), 0)
            .await
            .unwrap()
    );
    let revision = store.get_revision("/c/k").await.unwrap().unwrap();
    assert!(
        store
            .put_cas("/c/k", Bytes::from_static(b"2"), revision)
            .await
            .unwrap()
    );
    assert!(
        !store.delete_cas("/c/k", revision).await.unwrap(),
        "stale revision"
    );

    let current = store.get_revision("/c/k").await.unwrap().unwrap();
    let stale = [Check::Revision {
        key: "/c/k".into(),
        revision,
    }];
    let ops = Txn::new().put("/c/other", "x").into_ops();
    assert_eq!(store.txn_if(&stale, ops.clone()).await.unwrap(), None);
    assert!(
        store.get("/c/other").await.unwrap().is_none(),
        "nothing applied"
    );
    let fresh = [
        Check::Revision {
            key: "/c/k".into(),
            revision: current,
        },
        Check::Absent {
            key: "/c/other".into(),
        },
    ];
    let applied = store
        .txn_if(&fresh, ops)
        .await
        .unwrap()
        .expect("checks hold");
    assert_eq!(store.get_revision("/c/other").await.unwrap(), Some(applied));
    assert!(store.delete_cas("/c/k", current).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_fails_later_calls_and_ends_watches() {
    let server = ConsulTestServer::start().await.unwrap();
    let store = connect(&server, false).await;
    let mut watch = store.watch(&["/closing/"], None).await.unwrap();
    until_blocked(&server, 1).await;
    store.close().await.unwrap();
    let end = tokio::time::timeout(WAIT, watch.next()).await;
    assert!(matches!(end, Ok(None)), "the watch must end, got {end:?}");
    let err = store
        .put("/closing/k", "v".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    assert!(store.get("/closing/k").await.unwrap_err().is_closed());
}
