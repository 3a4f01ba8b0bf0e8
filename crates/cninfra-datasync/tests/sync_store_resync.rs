//! Resyncs after start: a store signal (compaction, lag, reconnect), a requested round, a
//! store that cannot be read for a while.

mod support;

use std::sync::Arc;

use cninfra_datasync::{Event, ResyncCause, ResyncEvent, StoreSource, SyncConfig, Watcher};
use cninfra_health::State;
use cninfra_kv::{KvStore, MemoryStore, PutOptions, ResyncReason};
use futures::FutureExt;
use support::store::Signalling;
use support::{Stack, expect_resync, next_event, pairs, plugin_state, quick_config};

async fn put(store: &dyn KvStore, key: &str, value: &str) {
    store
        .put(
            &format!("/vnf-agent/lbl/{key}"),
            value.to_owned().into(),
            PutOptions::default(),
        )
        .await
        .expect("put");
}

/// Acknowledges changes until a resync comes; returns it.
async fn skip_to_resync(watcher: &mut Watcher) -> ResyncEvent {
    loop {
        match next_event(watcher).await {
            Event::Change(change) => change.done.ok(),
            Event::Resync(resync) => return resync,
        }
    }
}

#[tokio::test]
async fn a_compaction_signal_brings_a_new_resync_with_the_full_state() {
    let memory = MemoryStore::new();
    put(&memory, "config/ex/a", "1").await;
    let store = Signalling::new(memory.clone());
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();

    put(&memory, "config/ex/b", "2").await;
    let compacted = ResyncReason::Compacted {
        requested: 1,
        compacted: 5,
    };
    assert_eq!(store.signal(compacted.clone()), 1, "one watch open");
    let resync = skip_to_resync(&mut watcher).await;
    assert_eq!(resync.cause, ResyncCause::Store(compacted));
    assert_eq!(
        pairs(&resync),
        [
            ("config/ex/a".into(), "1".into()),
            ("config/ex/b".into(), "2".into())
        ]
    );
    resync.done.ok();

    // Changes go on after it, on the new watch.
    put(&memory, "config/ex/c", "3").await;
    match next_event(&mut watcher).await {
        Event::Change(change) => assert_eq!(change.key, "config/ex/c"),
        Event::Resync(_) => panic!("no second resync expected"),
    }
    stack.stop().await;
}

#[tokio::test]
async fn a_watch_that_falls_behind_gets_a_resync_with_everything() {
    // Tiny queues: the store's watch queue overflows while the plugin does not read.
    let memory = MemoryStore::builder().watch_buffer(4).build();
    let config = SyncConfig {
        channel_capacity: 1,
        ..quick_config()
    };
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(memory.clone())),
        config,
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();

    for i in 0..50 {
        put(&memory, &format!("config/ex/{i:02}"), "v").await;
    }
    let resync = skip_to_resync(&mut watcher).await;
    assert_eq!(resync.cause, ResyncCause::Store(ResyncReason::Lagged));
    assert_eq!(resync.values.len(), 50, "the full state, nothing lost");
    resync.done.ok();
    stack.stop().await;
}

#[tokio::test]
async fn a_requested_round_resyncs_every_watch_in_registration_order() {
    let memory = MemoryStore::new();
    put(&memory, "config/ex/a", "1").await;
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(memory.clone())),
        quick_config(),
        &[("first", &["config/"]), ("second", &["config/ex/"])],
    )
    .await;
    let (mut first, mut second) = (stack.watcher("first"), stack.watcher("second"));
    expect_resync(&mut first).await.done.ok();
    expect_resync(&mut second).await.done.ok();
    stack.rounds_done(1).await;

    stack.resync.request_resync("operator asked");
    let resync = expect_resync(&mut first).await;
    assert_eq!(
        resync.cause,
        ResyncCause::Requested("operator asked".into())
    );
    // The second watch waits until the first acknowledged.
    assert!(
        second.recv().now_or_never().is_none(),
        "second resync before the first ack"
    );
    resync.done.ok();
    let resync = expect_resync(&mut second).await;
    assert_eq!(pairs(&resync), [("config/ex/a".into(), "1".into())]);
    resync.done.ok();
    stack.rounds_done(2).await;
    let status = stack.resync.resync_status();
    assert_eq!((status.rounds_started, status.rounds_done), (2, 2));
    assert_eq!(status.last_cause.as_deref(), Some("operator asked"));
    assert!(status.failing.is_empty());
    stack.stop().await;
}

#[tokio::test]
async fn an_unreadable_store_turns_the_orchestrator_to_error_until_a_retry_works() {
    let memory = MemoryStore::new();
    put(&memory, "config/ex/a", "1").await;
    let store = Signalling::new(memory.clone());
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();
    assert_eq!(plugin_state(&stack.status, "resync", State::Ok).await, None);

    store.fail_lists(true);
    stack.resync.request_resync("test");
    let error = plugin_state(&stack.status, "resync", State::Error).await;
    let error = error.expect("error text");
    assert!(
        error.contains("watch `ex`") && error.contains("connection refused"),
        "{error}"
    );
    // Not the plugin's fault: its own status stays OK.
    assert_eq!(
        stack.status.plugin_status("ex").map(|s| s.state),
        Some(State::Ok)
    );

    store.fail_lists(false);
    let resync = expect_resync(&mut watcher).await;
    assert_eq!(resync.cause, ResyncCause::Restarted);
    resync.done.ok();
    assert_eq!(plugin_state(&stack.status, "resync", State::Ok).await, None);
    stack.stop().await;
}
