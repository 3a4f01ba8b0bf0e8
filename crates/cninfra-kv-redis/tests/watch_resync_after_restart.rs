//! A Redis restart under a live watch: the watch reconnects, asks for a resync after every
//! reconnect, and a listing then gives the full state; later changes flow again.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::{ChangeKind, KvStore, PutOptions, ResyncReason, WatchEvent, WatchStream};
use cninfra_kv_redis::RedisStore;
use futures::{StreamExt, TryStreamExt};
use support::RedisServer;
use support::ServerConfig as _;

const WAIT: Duration = Duration::from_secs(20);

type View = BTreeMap<String, Bytes>;

async fn put_until_up(store: &RedisStore, key: &str, value: &'static str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match store.put(key, value.into(), PutOptions::default()).await {
            Ok(_) => return,
            Err(err) if err.is_retryable() && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(err) => panic!("put `{key}` after the restart: {err}"),
        }
    }
}

async fn next(watch: &mut WatchStream) -> WatchEvent {
    tokio::time::timeout(WAIT, watch.next())
        .await
        .expect("a watch event in time")
        .expect("the watch goes on")
        .expect("no error item")
}

fn apply(view: &mut View, event: &WatchEvent) {
    if let WatchEvent::Change(change) = event {
        match change.kind {
            ChangeKind::Put => view.insert(change.key.clone(), change.value.clone()),
            ChangeKind::Delete => view.remove(&change.key),
        };
    }
}

async fn listing(store: &RedisStore, prefix: &str) -> View {
    store
        .list_values(prefix)
        .map_ok(|entry| (entry.key, entry.value))
        .try_collect()
        .await
        .expect("list after the restart")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_restart_brings_a_resync_and_the_listing_has_the_full_state() {
    let mut server = RedisServer::start(&["--notify-keyspace-events", "KA"]);
    let store = RedisStore::connect(&server.config()).await.unwrap();
    let p = "/restart/";
    store
        .put("/restart/a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .put("/restart/b", "2".into(), PutOptions::default())
        .await
        .unwrap();
    let mut watch = store.watch(&[p], None).await.unwrap();
    let mut view = listing(&store, p).await;

    let mut expected = view.clone();
    for (round, key) in ["/restart/c", "/restart/d"].into_iter().enumerate() {
        server.restart();
        put_until_up(&store, key, "new").await;
        expected.insert(key.to_owned(), "new".into());
        // Changes seen before the resync are applied, then the listing replaces the view.
        loop {
            let event = next(&mut watch).await;
            if event == WatchEvent::Resync(ResyncReason::Reconnected) {
                break;
            }
            apply(&mut view, &event);
        }
        view = listing(&store, p).await;
        // A marker written now must arrive as an event: the watch is live again.
        let marker = format!("/restart/marker{round}");
        store
            .put(&marker, "m".into(), PutOptions::default())
            .await
            .unwrap();
        expected.insert(marker.clone(), "m".into());
        loop {
            let event = next(&mut watch).await;
            apply(&mut view, &event);
            if event.as_change().is_some_and(|c| c.key == marker) {
                break;
            }
        }
        assert_eq!(view, expected, "view after restart {round}");
    }
}
