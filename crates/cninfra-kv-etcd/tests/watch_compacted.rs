//! When the history a watch needs was compacted, the watch sends a resync signal instead
//! of the changes, then goes on with later changes.

mod support;

use std::time::Duration;

use futures::StreamExt;

use cninfra_kv::{KvStore, PutOptions, ResyncReason, WatchEvent, WatchStream};
use cninfra_kv_etcd::EtcdStore;
use support::EtcdServer;

async fn next(watch: &mut WatchStream) -> WatchEvent {
    match tokio::time::timeout(Duration::from_secs(30), watch.next()).await {
        Ok(Some(Ok(event))) => event,
        other => panic!("expected a watch event, got {other:?}"),
    }
}

async fn put(store: &EtcdStore, key: &str) -> u64 {
    store
        .put(key, "v".into(), PutOptions::default())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_from_a_compacted_revision_starts_with_a_resync() {
    let server = EtcdServer::start().await;
    let store = EtcdStore::connect(&support::quick_config(&server.endpoint()))
        .await
        .unwrap();
    let first = put(&store, "/c/a").await;
    put(&store, "/c/b").await;
    let last = put(&store, "/c/c").await;
    store.compact(last).await.unwrap();

    let mut watch = store.watch(&["/c/"], Some(first)).await.unwrap();
    let expected = ResyncReason::Compacted {
        requested: first,
        compacted: last - 1,
    };
    assert_eq!(next(&mut watch).await, WatchEvent::Resync(expected));
    let revision = put(&store, "/c/d").await;
    let WatchEvent::Change(change) = next(&mut watch).await else {
        panic!("a change follows the resync")
    };
    assert_eq!((change.key.as_str(), change.revision), ("/c/d", revision));

    // From the compaction revision itself, the history is still there.
    let mut replay = store.watch(&["/c/"], Some(last)).await.unwrap();
    let WatchEvent::Change(change) = next(&mut replay).await else {
        panic!()
    };
    assert_eq!((change.key.as_str(), change.revision), ("/c/c", last));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_compacted_while_away_means_resync_on_return() {
    let mut server = EtcdServer::start().await;
    let config = support::quick_config(&server.endpoint());
    let watcher = EtcdStore::connect(&config).await.unwrap();
    let mut watch = watcher.watch(&["/c/"], None).await.unwrap();
    let seen = put(&watcher, "/c/before").await;
    assert_eq!(
        next(&mut watch).await.as_change().map(|c| c.revision),
        Some(seen)
    );

    // etcd restarts on another client port, where the watcher cannot follow: changes
    // happen and the history is compacted behind its back.
    server.kill();
    let watched_port = server.client_port;
    server.client_port = support::free_port();
    server.run().await;
    let elsewhere = EtcdStore::connect(&support::quick_config(&server.endpoint()))
        .await
        .unwrap();
    for i in 0..5 {
        put(&elsewhere, &format!("/c/missed-{i}")).await;
    }
    let compacted = elsewhere.revision().await.unwrap();
    elsewhere.compact(compacted).await.unwrap();
    elsewhere.close().await.unwrap();

    server.kill();
    server.client_port = watched_port;
    server.run().await;
    let expected = ResyncReason::Compacted {
        requested: seen + 1,
        compacted: compacted - 1,
    };
    assert_eq!(next(&mut watch).await, WatchEvent::Resync(expected));
    let revision = put(&watcher, "/c/after").await;
    let WatchEvent::Change(change) = next(&mut watch).await else {
        panic!("a change follows the resync")
    };
    assert_eq!(
        (change.key.as_str(), change.revision),
        ("/c/after", revision)
    );
}
