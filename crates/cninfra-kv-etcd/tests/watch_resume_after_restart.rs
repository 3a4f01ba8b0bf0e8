//! A watch survives etcd being killed (SIGKILL) in the middle of a stream of puts and
//! restarted: every put arrives exactly once, in order. When etcd comes back without its
//! data, the watch asks for a resync instead.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use tokio::sync::Notify;

use cninfra_kv::{ChangeKind, KvStore, PutOptions, ResyncReason, WatchEvent, WatchStream};
use cninfra_kv_etcd::EtcdStore;
use support::EtcdServer;

const PUTS: usize = 300;

/// Puts `k/0000` … in order; a put that fails is retried unless a read shows it landed
/// before the connection broke, so that each key is written exactly once.
async fn write_all(
    store: EtcdStore,
    prefix: String,
    progress: Arc<AtomicUsize>,
    failed: Arc<Notify>,
    saw_failure: Arc<AtomicBool>,
) {
    for i in 0..PUTS {
        let key = format!("{prefix}k/{i:04}");
        loop {
            match store
                .put(&key, i.to_string().into(), PutOptions::default())
                .await
            {
                Ok(_) => break,
                Err(err) => {
                    assert!(err.is_retryable(), "put of {key}: {err}");
                    saw_failure.store(true, Ordering::SeqCst);
                    failed.notify_one();
                    if landed(&store, &key).await {
                        break;
                    }
                }
            }
        }
        progress.store(i + 1, Ordering::SeqCst);
    }
}

/// Whether `key` exists, asking until etcd answers.
async fn landed(store: &EtcdStore, key: &str) -> bool {
    loop {
        match store.get(key).await {
            Ok(found) => return found.is_some(),
            Err(err) => assert!(err.is_retryable(), "get of {key}: {err}"),
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Reads `count` items from `watch` (30 s at most).
async fn collect(watch: &mut WatchStream, count: usize) -> Vec<WatchEvent> {
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        match tokio::time::timeout(Duration::from_secs(30), watch.next()).await {
            Ok(Some(Ok(event))) => events.push(event),
            other => panic!("after {} events the watch gave {other:?}", events.len()),
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_put_arrives_once_in_order_across_a_kill_and_restart() {
    let mut server = EtcdServer::start().await;
    let store = EtcdStore::connect(&support::quick_config(&server.endpoint()))
        .await
        .unwrap();
    // The watch is read only after the last put: its etcd stream broke with the kill,
    // and every put after that must be replayed from the last revision it had.
    let prefix = support::unique_prefix("resume");
    let mut watch = store.watch(&[&format!("{prefix}k/")], None).await.unwrap();

    let progress = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(Notify::new());
    let saw_failure = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(write_all(
        store.clone(),
        prefix.clone(),
        Arc::clone(&progress),
        Arc::clone(&failed),
        Arc::clone(&saw_failure),
    ));
    let early = collect(&mut watch, 1).await;
    assert_eq!(
        early[0].as_change().map(|c| c.key.clone()),
        Some(format!("{prefix}k/0000"))
    );

    support::eventually("a third of the puts", Duration::from_secs(30), || {
        let done = progress.load(Ordering::SeqCst);
        async move { done >= PUTS / 3 }
    })
    .await;
    server.kill();
    // Restart only once the writer has felt the outage.
    tokio::time::timeout(Duration::from_secs(10), failed.notified())
        .await
        .expect("a put fails while etcd is down");
    server.run().await;
    writer.await.unwrap();
    assert!(saw_failure.load(Ordering::SeqCst));

    let mut events = early;
    events.extend(collect(&mut watch, PUTS - 1).await);
    let mut last_revision = 0;
    for (i, event) in events.iter().enumerate() {
        let WatchEvent::Change(change) = event else {
            panic!("event {i} is {event:?}, expected a change")
        };
        assert_eq!(
            change.key,
            format!("{prefix}k/{i:04}"),
            "event {i} out of order"
        );
        assert_eq!(change.kind, ChangeKind::Put);
        assert_eq!(change.value, i.to_string().as_bytes());
        assert!(change.revision > last_revision, "revisions increase");
        last_revision = change.revision;
    }
    // Nothing more: no put was reported twice.
    store
        .put(
            &format!("{prefix}k/end"),
            "end".into(),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let after = collect(&mut watch, 1).await;
    let WatchEvent::Change(end) = &after[0] else {
        panic!("{after:?}")
    };
    assert_eq!(
        end.key,
        format!("{prefix}k/end"),
        "a put was delivered twice"
    );
    // The events carry the revisions etcd stored.
    let stored: Vec<_> = store
        .list_values(&format!("{prefix}k/"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(stored.len(), PUTS + 1);
    for (entry, event) in stored.iter().zip(&events) {
        assert_eq!(Some(entry.revision), event.as_change().map(|c| c.revision));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_back_without_its_data_means_resync() {
    let mut server = EtcdServer::start().await;
    let store = EtcdStore::connect(&support::quick_config(&server.endpoint()))
        .await
        .unwrap();
    let mut watch = store.watch(&["/cfg/"], None).await.unwrap();
    for i in 0..20 {
        store
            .put(&format!("/cfg/{i}"), "v".into(), PutOptions::default())
            .await
            .unwrap();
    }
    assert_eq!(collect(&mut watch, 20).await.len(), 20);

    server.kill();
    server.wipe();
    server.run().await;
    let resync = collect(&mut watch, 1).await;
    assert_eq!(resync, [WatchEvent::Resync(ResyncReason::Reconnected)]);

    // The watch goes on in the new cluster.
    let revision = store
        .put("/cfg/new", "1".into(), PutOptions::default())
        .await
        .unwrap();
    let next = collect(&mut watch, 1).await;
    let change = next[0].as_change().expect("a change after the resync");
    assert_eq!(
        (change.key.as_str(), change.revision),
        ("/cfg/new", revision)
    );
}
