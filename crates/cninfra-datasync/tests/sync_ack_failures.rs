//! A failed, late or missing acknowledgement shows in the watching plugin's status and in
//! the log, with the key and the plugin; the next good one clears it.

mod support;

use std::sync::Arc;
use std::time::Duration;

use cninfra_datasync::{StoreSource, SyncConfig};
use cninfra_health::State;
use cninfra_kv::{KvStore, MemoryStore, PutOptions};
use support::logs::Logs;
use support::{Stack, expect_change, expect_resync, plugin_state, plugin_status, quick_config};

async fn start(store: &MemoryStore, config: SyncConfig) -> Stack {
    Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        config,
        &[("ex", &["config/ex/"])],
    )
    .await
}

async fn put(store: &MemoryStore, key: &str) {
    store
        .put(
            &format!("/vnf-agent/lbl/{key}"),
            "v".into(),
            PutOptions::default(),
        )
        .await
        .expect("put");
}

#[tokio::test]
async fn a_rejected_change_is_reported_with_key_and_plugin_then_cleared() {
    let (logs, _guard) = Logs::capture();
    let store = MemoryStore::new();
    let stack = start(&store, quick_config()).await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();
    assert_eq!(plugin_state(&stack.status, "ex", State::Ok).await, None);

    put(&store, "config/ex/a").await;
    expect_change(&mut watcher)
        .await
        .done
        .fail("port 70000 is out of range");
    let error = plugin_state(&stack.status, "ex", State::Error).await;
    assert_eq!(
        error.as_deref(),
        Some("plugin `ex` failed to apply the change of `config/ex/a`: port 70000 is out of range")
    );
    let lines = logs.lines_with(&[
        "event delivery failed",
        "plugin=ex",
        "key=config/ex/a",
        "out of range",
    ]);
    assert_eq!(lines.len(), 1, "{}", logs.text());
    assert!(lines[0].contains("WARN"), "{}", lines[0]);

    put(&store, "config/ex/b").await;
    expect_change(&mut watcher).await.done.ok();
    assert_eq!(plugin_state(&stack.status, "ex", State::Ok).await, None);
    stack.stop().await;
}

#[tokio::test]
async fn a_missing_acknowledgement_times_out_and_is_reported() {
    let (logs, _guard) = Logs::capture();
    let store = MemoryStore::new();
    let config = SyncConfig {
        change_ack_timeout: Duration::from_millis(200),
        ..quick_config()
    };
    let stack = start(&store, config).await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();

    put(&store, "config/ex/slow").await;
    let held = expect_change(&mut watcher).await; // never acknowledged in time
    let error = plugin_state(&stack.status, "ex", State::Error).await;
    assert_eq!(
        error.as_deref(),
        Some("plugin `ex` did not acknowledge the change of `config/ex/slow` within 200ms")
    );
    assert_eq!(
        logs.lines_with(&["plugin=ex", "key=config/ex/slow", "within 200ms"])
            .len(),
        1
    );
    held.done.ok(); // too late: nobody listens any more

    put(&store, "config/ex/next").await;
    let dropped = expect_change(&mut watcher).await;
    drop(dropped);
    let expected = "plugin `ex` dropped the change of `config/ex/next` without calling done()";
    let status = plugin_status(&stack.status, "ex", |p| {
        p.error.as_deref() == Some(expected)
    })
    .await;
    assert_eq!(status.state, State::Error);
    stack.stop().await;
}

#[tokio::test]
async fn a_rejected_resync_is_reported_and_changes_still_flow() {
    let (logs, _guard) = Logs::capture();
    let store = MemoryStore::new();
    put(&store, "config/ex/a").await;
    let stack = start(&store, quick_config()).await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher)
        .await
        .done
        .fail("cannot open the device");
    let error = plugin_state(&stack.status, "ex", State::Error).await;
    assert_eq!(
        error.as_deref(),
        Some("plugin `ex` failed to apply the resync: cannot open the device")
    );
    assert_eq!(
        logs.lines_with(&["plugin=ex", "cannot open the device"])
            .len(),
        1
    );
    // The resync was delivered, so the orchestrator itself is fine.
    stack.rounds_done(1).await;
    assert_eq!(plugin_state(&stack.status, "resync", State::Ok).await, None);

    put(&store, "config/ex/b").await;
    expect_change(&mut watcher).await.done.ok();
    assert_eq!(plugin_state(&stack.status, "ex", State::Ok).await, None);
    stack.stop().await;
}
