//! A watch gets the full state first, then every change in order, keys relative to the
//! agent prefix; overlapping watches each get theirs.

mod support;

use std::sync::Arc;

use cninfra_datasync::{ResyncCause, StoreSource};
use cninfra_health::State;
use cninfra_kv::{ChangeKind, KvStore, MemoryStore, PutOptions};
use support::store::Signalling;
use support::{
    PREFIX, Stack, expect_change, expect_resync, pairs, plugin_state, quick_config, text,
};

async fn put(store: &dyn KvStore, key: &str, value: &str) -> u64 {
    store
        .put(key, value.to_owned().into(), PutOptions::default())
        .await
        .expect("put")
}

async fn delete(store: &dyn KvStore, key: &str) {
    store.delete(key, Default::default()).await.expect("delete");
}

#[tokio::test]
async fn first_resync_has_the_full_state_then_changes_follow_in_order() {
    let store = MemoryStore::new();
    put(&store, "/vnf-agent/lbl/config/ex/a", "1").await;
    put(&store, "/vnf-agent/lbl/config/ex/b", "2").await;
    put(&store, "/vnf-agent/lbl/other/x", "9").await;
    put(&store, "/vnf-agent/vpp2/config/ex/c", "other agent").await;
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut watcher = stack.watcher("ex");

    let resync = expect_resync(&mut watcher).await;
    assert_eq!(resync.cause, ResyncCause::Requested("startup".into()));
    assert_eq!(
        pairs(&resync),
        [
            ("config/ex/a".into(), "1".into()),
            ("config/ex/b".into(), "2".into())
        ]
    );
    resync.done.ok();
    stack.rounds_done(1).await;
    assert_eq!(plugin_state(&stack.status, "resync", State::Ok).await, None);
    assert_eq!(plugin_state(&stack.status, "ex", State::Ok).await, None);

    let first = put(&store, &format!("{PREFIX}config/ex/a"), "10").await;
    delete(&store, &format!("{PREFIX}config/ex/b")).await;
    put(&store, &format!("{PREFIX}other/y"), "not watched").await;
    let last = put(&store, &format!("{PREFIX}config/ex/c"), "3").await;

    let a = expect_change(&mut watcher).await;
    assert_eq!((a.key.as_str(), a.kind()), ("config/ex/a", ChangeKind::Put));
    assert_eq!(
        (text(a.value.as_ref()), text(a.prev_value.as_ref())),
        (Some("10".into()), Some("1".into()))
    );
    assert_eq!(a.revision, first);
    a.done.ok();
    let b = expect_change(&mut watcher).await;
    assert_eq!(
        (b.key.as_str(), b.kind()),
        ("config/ex/b", ChangeKind::Delete)
    );
    assert_eq!(
        (b.value, text(b.prev_value.as_ref())),
        (None, Some("2".into()))
    );
    b.done.ok();
    let c = expect_change(&mut watcher).await;
    assert_eq!(
        (c.key.as_str(), text(c.value.as_ref()), c.prev_value),
        ("config/ex/c", Some("3".into()), None)
    );
    assert_eq!(c.revision, last);
    c.done.ok();
    stack.stop().await;
}

#[tokio::test]
async fn overlapping_watches_each_get_their_events() {
    let store = MemoryStore::new();
    put(&store, "/vnf-agent/lbl/config/ex/a", "1").await;
    put(&store, "/vnf-agent/lbl/config/other/b", "2").await;
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[
            ("wide", &["config/"]),
            ("narrow", &["config/ex/", "config/ex/sub/"]),
        ],
    )
    .await;
    let (mut wide, mut narrow) = (stack.watcher("wide"), stack.watcher("narrow"));
    let resync = expect_resync(&mut wide).await;
    assert_eq!(resync.values.len(), 2);
    resync.done.ok();
    let resync = expect_resync(&mut narrow).await;
    assert_eq!(pairs(&resync), [("config/ex/a".into(), "1".into())]);
    resync.done.ok();

    put(&store, "/vnf-agent/lbl/config/other/c", "3").await;
    put(&store, "/vnf-agent/lbl/config/ex/sub/d", "4").await;
    let c = expect_change(&mut wide).await;
    assert_eq!(c.key, "config/other/c");
    c.done.ok();
    let d = expect_change(&mut wide).await;
    assert_eq!(d.key, "config/ex/sub/d");
    d.done.ok();
    // The narrow watch skips `config/other/c`, and gets `d` once although two prefixes match.
    let d = expect_change(&mut narrow).await;
    assert_eq!(d.key, "config/ex/sub/d");
    d.done.ok();
    put(&store, "/vnf-agent/lbl/config/ex/e", "5").await;
    assert_eq!(expect_change(&mut narrow).await.key, "config/ex/e");
    stack.stop().await;
}

#[tokio::test]
async fn stores_without_previous_values_get_them_from_the_last_seen_value() {
    let memory = MemoryStore::new();
    put(&memory, "/vnf-agent/lbl/config/ex/a", "1").await;
    let store = Signalling::without_prev_values(memory.clone());
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store)),
        quick_config(),
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut watcher = stack.watcher("ex");
    expect_resync(&mut watcher).await.done.ok();

    put(&memory, "/vnf-agent/lbl/config/ex/a", "2").await;
    delete(&memory, "/vnf-agent/lbl/config/ex/a").await;
    let change = expect_change(&mut watcher).await;
    assert_eq!(
        text(change.prev_value.as_ref()),
        Some("1".into()),
        "from the resync"
    );
    change.done.ok();
    let change = expect_change(&mut watcher).await;
    assert_eq!(
        (change.value.is_none(), text(change.prev_value.as_ref())),
        (true, Some("2".into()))
    );
    change.done.ok();
    stack.stop().await;
}

#[tokio::test]
async fn a_watch_registered_after_the_first_round_gets_its_own_resync() {
    let store = MemoryStore::new();
    put(&store, "/vnf-agent/lbl/config/late/a", "1").await;
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[("ex", &["config/ex/"])],
    )
    .await;
    let mut early = stack.watcher("ex");
    expect_resync(&mut early).await.done.ok();
    stack.rounds_done(1).await;

    let mut late = stack
        .sync
        .watch(&support::ctx("late"), &["config/late/"])
        .expect("registered");
    let resync = expect_resync(&mut late).await;
    assert_eq!(resync.cause, ResyncCause::Registered);
    assert_eq!(pairs(&resync), [("config/late/a".into(), "1".into())]);
    resync.done.ok();
    assert_eq!(plugin_state(&stack.status, "late", State::Ok).await, None);

    let err = stack
        .sync
        .watch(&support::ctx("late"), &["x/"])
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "a watch named `late` is already registered"
    );
    stack.stop().await;
}
