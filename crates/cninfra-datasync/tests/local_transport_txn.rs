//! The local transport delivers in-process transactions to the same watches, with the same
//! events and acknowledgements, and reports the outcome per watch.

mod support;

use cninfra_datasync::{DatasyncError, Event, ResyncCause, StoreSource, Watcher};
use cninfra_health::State;
use support::{Stack, expect_change, expect_resync, pairs, plugin_state, quick_config, text};

async fn start() -> Stack {
    // No store: only the local transport feeds the watches.
    Stack::start(
        StoreSource::none(),
        quick_config(),
        &[("wide", &["config/"]), ("narrow", &["config/ex/"])],
    )
    .await
}

/// Acknowledges every change of `watcher` with `answer(key)`, returning the keys seen,
/// until `count` changes arrived.
async fn ack_changes(
    watcher: &mut Watcher,
    count: usize,
    answer: impl Fn(&str) -> Result<(), String>,
) -> Vec<(String, Option<String>, Option<String>, u64)> {
    let mut seen = Vec::new();
    for _ in 0..count {
        let change = expect_change(watcher).await;
        seen.push((
            change.key.clone(),
            text(change.value.as_ref()),
            text(change.prev_value.as_ref()),
            change.revision,
        ));
        match answer(&change.key) {
            Ok(()) => change.done.ok(),
            Err(err) => change.done.fail(err),
        }
    }
    seen
}

#[tokio::test]
async fn a_local_transaction_reaches_the_matching_watches_with_acknowledgements() {
    let stack = start().await;
    stack.rounds_done(1).await; // nothing to resync without a store
    for name in ["wide", "narrow"] {
        assert_eq!(
            plugin_state(&stack.status, name, State::Ok).await,
            None,
            "{name} in sync"
        );
    }
    let (mut wide, mut narrow) = (stack.watcher("wide"), stack.watcher("narrow"));
    let local = stack.sync.local();

    let commit = tokio::spawn(
        local
            .txn()
            .put("config/ex/a", "1")
            .put("config/other/b", "2")
            .commit(),
    );
    let wide_seen = ack_changes(&mut wide, 2, |_| Ok(())).await;
    let narrow_seen = ack_changes(&mut narrow, 1, |_| Ok(())).await;
    let report = commit.await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.outcomes.len(), 2);
    assert_eq!(
        wide_seen,
        [
            ("config/ex/a".into(), Some("1".into()), None, 1),
            ("config/other/b".into(), Some("2".into()), None, 1),
        ]
    );
    assert_eq!(
        narrow_seen,
        [("config/ex/a".into(), Some("1".into()), None, 1)]
    );

    let commit = tokio::spawn(local.txn().delete("config/ex/a").commit());
    let wide_seen = ack_changes(&mut wide, 1, |_| Ok(())).await;
    let narrow_seen = ack_changes(&mut narrow, 1, |_| Err("in use".to_owned())).await;
    let report = commit.await.unwrap();
    assert_eq!(
        wide_seen,
        [("config/ex/a".into(), None, Some("1".into()), 2)]
    );
    assert_eq!(narrow_seen, wide_seen);
    assert!(!report.is_ok());
    assert!(report.outcome("wide").unwrap().is_ok());
    let err = report.outcome("narrow").unwrap().as_ref().unwrap_err();
    assert!(matches!(err, DatasyncError::Rejected { .. }), "{err:?}");
    assert_eq!(err.key(), Some("config/ex/a"));
    let error = plugin_state(&stack.status, "narrow", State::Error).await;
    assert_eq!(
        error.as_deref(),
        Some("plugin `narrow` failed to apply the change of `config/ex/a`: in use")
    );
    stack.stop().await;
}

#[tokio::test]
async fn a_local_resync_gives_every_watch_its_full_state() {
    let stack = start().await;
    let (mut wide, mut narrow) = (stack.watcher("wide"), stack.watcher("narrow"));
    let local = stack.sync.local();
    let commit = tokio::spawn(
        local
            .resync()
            .put("config/other/b", "2")
            .put("elsewhere/c", "3")
            .commit(),
    );
    let resync = expect_resync(&mut wide).await;
    assert_eq!(resync.cause, ResyncCause::Local);
    assert_eq!(pairs(&resync), [("config/other/b".into(), "2".into())]);
    resync.done.ok();
    let resync = expect_resync(&mut narrow).await;
    assert!(
        resync.values.is_empty(),
        "nothing under its prefix: an empty state"
    );
    resync.done.ok();
    assert!(commit.await.unwrap().is_ok());

    // Previous values continue from the resync.
    let commit = tokio::spawn(local.txn().put("config/other/b", "3").commit());
    match wide.recv().await.expect("open") {
        Event::Change(change) => {
            assert_eq!(text(change.prev_value.as_ref()), Some("2".into()));
            change.done.ok();
        }
        Event::Resync(_) => panic!("expected a change"),
    }
    assert!(commit.await.unwrap().is_ok());
    stack.stop().await;
}

#[tokio::test]
async fn without_a_store_the_publisher_says_so() {
    let stack = start().await;
    let err = stack
        .sync
        .publisher()
        .put("config/a", Some("1".into()))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "data sync `kvdbsync` has no store (no KV connector is configured)"
    );
    assert!(stack.sync.store().is_err(), "no store");
    stack.stop().await;
}
