//! The cache helper against the real in-memory store: initial load, changes, resync
//! reloads, decode errors, shutdown.

mod cache_fixture;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cache_fixture::{Iface, PREFIX, iface, mtus, new_map, put};
use cninfra_idxmap::{CacheHelper, EventKind, IdxMap, Notification, Subscription};
use cninfra_kv::{DeleteOptions, JsonCodec, KvStore, MemoryStore, PutOptions};
use tokio_util::sync::CancellationToken;

const DEADLINE: Duration = Duration::from_secs(5);

/// Waits (polling, with a deadline) until the map holds exactly `expected`.
async fn wait_for(map: &IdxMap<Iface>, expected: &[(&str, u32)]) {
    let expected: BTreeMap<String, u32> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), *v))
        .collect();
    let start = Instant::now();
    while mtus(map) != expected {
        assert!(
            start.elapsed() < DEADLINE,
            "map is {:?}, expected {expected:?}",
            mtus(map)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The map events buffered so far, as (name, kind).
fn drain_events(sub: &mut Subscription<Iface>) -> Vec<(String, EventKind)> {
    let mut seen = Vec::new();
    while let Ok(notification) = sub.try_recv() {
        match notification {
            Notification::Event(ev) => seen.push((ev.name.to_string(), ev.kind())),
            Notification::Resync { .. } => panic!("the test subscriber must not lag"),
        }
    }
    seen
}

#[tokio::test]
async fn initial_load_mirrors_the_prefix_with_names_and_indexes() {
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    put(&*store, "eth0/config", iface("ethernet", 1500)).await;
    put(&*store, "eth1/config", iface("ethernet", 9000)).await;
    put(&*store, "lo/config", iface("loopback", 65536)).await;
    put(&*store, "lo/status", iface("ignored", 1)).await;
    store
        .put(
            "/other/eth9/config",
            iface("ethernet", 1),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let map = new_map();
    let task = CacheHelper::new(Arc::clone(&store), PREFIX, map.clone(), JsonCodec)
        .with_name_fn(|key| key.strip_suffix("/config").map(str::to_owned))
        .start()
        .await
        .unwrap();
    // Loaded before `start` returned.
    assert_eq!(
        mtus(&map),
        BTreeMap::from([
            ("eth0".into(), 1500),
            ("eth1".into(), 9000),
            ("lo".into(), 65536)
        ])
    );
    let mut ethernet = map.lookup_by_index("by-kind", "ethernet").unwrap();
    ethernet.sort();
    assert_eq!(ethernet, ["eth0".into(), "eth1".into()] as [Arc<str>; 2]);
    task.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_changes_reach_the_map_and_repeats_do_not() {
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    put(&*store, "a", iface("x", 1)).await;
    let map = new_map();
    let task = CacheHelper::new(Arc::clone(&store), PREFIX, map.clone(), JsonCodec)
        .start()
        .await
        .unwrap();
    let mut events = map.subscribe("test").unwrap();
    put(&*store, "b", iface("x", 2)).await;
    put(&*store, "a", iface("x", 1)).await; // same bytes: no map change
    put(&*store, "a", iface("y", 3)).await;
    store
        .delete(&format!("{PREFIX}b"), DeleteOptions::default())
        .await
        .unwrap();
    put(&*store, "c", iface("y", 4)).await;
    wait_for(&map, &[("a", 3), ("c", 4)]).await;
    assert_eq!(
        drain_events(&mut events),
        [
            ("b".to_owned(), EventKind::Created),
            ("a".to_owned(), EventKind::Updated),
            ("b".to_owned(), EventKind::Deleted),
            ("c".to_owned(), EventKind::Created),
        ]
    );
    assert_eq!(map.lookup_by_index("by-kind", "y").unwrap().len(), 2);
    assert!(map.lookup_by_index("by-kind", "x").unwrap().is_empty());
    task.stop().await;
}

#[tokio::test]
async fn lagging_watch_triggers_a_reload_that_emits_only_real_changes() {
    // A watch buffer of 1 and a burst of writes with no await point in between (the
    // current-thread runtime does not run the cache task meanwhile): the store drops the
    // queued changes and sends a Lagged resync signal.
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::builder().watch_buffer(1).build());
    for (name, mtu) in [("same", 1), ("twice", 2), ("back", 3), ("gone", 4)] {
        put(&*store, name, iface("x", mtu)).await;
    }
    let map = new_map();
    let task = CacheHelper::new(Arc::clone(&store), PREFIX, map.clone(), JsonCodec)
        .start()
        .await
        .unwrap();
    let mut events = map.subscribe("test").unwrap();
    put(&*store, "twice", iface("x", 20)).await;
    put(&*store, "twice", iface("x", 21)).await;
    put(&*store, "back", iface("x", 30)).await;
    put(&*store, "back", iface("x", 3)).await;
    store
        .delete(&format!("{PREFIX}gone"), DeleteOptions::default())
        .await
        .unwrap();
    put(&*store, "new", iface("y", 5)).await;
    put(&*store, "same", iface("x", 1)).await;
    wait_for(&map, &[("same", 1), ("twice", 21), ("back", 3), ("new", 5)]).await;
    let mut seen = drain_events(&mut events);
    seen.sort();
    // One event per real difference: no intermediate "twice"=20, nothing for "back" and
    // "same", which ended as they started.
    assert_eq!(
        seen,
        [
            ("gone".to_owned(), EventKind::Deleted),
            ("new".to_owned(), EventKind::Created),
            ("twice".to_owned(), EventKind::Updated),
        ]
    );
    assert_eq!(map.get("twice").unwrap().mtu, 21);
    task.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compacted_watch_triggers_a_full_reload() {
    let store = MemoryStore::builder().history_limit(100).build();
    let dyn_store: Arc<dyn KvStore> = Arc::new(store.clone());
    put(&*dyn_store, "a", iface("x", 1)).await;
    put(&*dyn_store, "b", iface("x", 2)).await;
    let map = new_map();
    let mut helper = CacheHelper::new(Arc::clone(&dyn_store), PREFIX, map.clone(), JsonCodec);
    helper.reload().await.unwrap();
    // The store moves on while the helper is not watching, then forgets its history: a
    // watch resuming from an old revision starts with a Compacted resync signal.
    put(&*dyn_store, "a", iface("x", 5)).await;
    put(&*dyn_store, "a", iface("x", 10)).await;
    store
        .delete(&format!("{PREFIX}b"), DeleteOptions::default())
        .await
        .unwrap();
    let now = dyn_store.revision().await.unwrap();
    store.compact(now);
    let mut stream = dyn_store.watch(&[PREFIX], Some(2)).await.unwrap();
    let mut events = map.subscribe("test").unwrap();
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    let follower = tokio::spawn(async move {
        helper.follow(&mut stream, &token).await.unwrap();
        helper
    });
    wait_for(&map, &[("a", 10)]).await;
    // A reload, not a replay: no event for the intermediate a=5.
    let mut seen = drain_events(&mut events);
    seen.sort();
    assert_eq!(
        seen,
        [
            ("a".to_owned(), EventKind::Updated),
            ("b".to_owned(), EventKind::Deleted)
        ]
    );
    put(&*dyn_store, "c", iface("x", 3)).await; // live changes go on after the reload
    wait_for(&map, &[("a", 10), ("c", 3)]).await;
    cancel.cancel();
    follower.await.unwrap();
}

/// Collects formatted log output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_change_events_remove_the_entry_and_the_task_goes_on() {
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    put(&*store, "a", iface("x", 1)).await;
    let map = new_map();
    let task = CacheHelper::new(Arc::clone(&store), PREFIX, map.clone(), JsonCodec)
        .start()
        .await
        .unwrap();
    put(&*store, "a", Bytes::from_static(b"\xff\xfe")).await;
    wait_for(&map, &[]).await;
    put(&*store, "b", iface("x", 2)).await;
    wait_for(&map, &[("b", 2)]).await;
    assert!(!task.is_finished());
    task.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_ends_when_the_store_is_closed() {
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    let map = new_map();
    let task = CacheHelper::new(Arc::clone(&store), PREFIX, map.clone(), JsonCodec)
        .start()
        .await
        .unwrap();
    store.close().await.unwrap();
    let start = Instant::now();
    while !task.is_finished() {
        assert!(
            start.elapsed() < DEADLINE,
            "cache task still running after the store closed"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let err = CacheHelper::new(store, PREFIX, new_map(), JsonCodec)
        .start()
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains(PREFIX),
        "error names the prefix: {err}"
    );
    assert!(format!("{task:?}").contains("interfaces"));
}
