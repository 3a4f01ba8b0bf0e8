//! The conformance kit of cninfra-kv against the harness's real Redis
//! (`CNINFRA_TEST_REDIS`), bare and behind a prefixed view.

mod support;

use std::sync::Arc;

use cninfra_kv::testkit::{self, Outcome};
use cninfra_kv::{KvStore, KvStoreExt};
use cninfra_kv_redis::RedisStore;
use futures::TryStreamExt;

/// Runs the kit and checks that exactly what Redis lacks was skipped.
async fn run(store: Arc<dyn KvStore>, prefix: &str) {
    let report = testkit::conformance(store, prefix)
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let mut skipped: Vec<&str> = report.skipped().iter().map(|(name, _)| *name).collect();
    skipped.sort_unstable();
    assert_eq!(skipped, ["revisions", "watch_from_revision"], "{report}");
    let passed = report
        .outcomes()
        .iter()
        .filter(|(_, outcome)| *outcome == Outcome::Passed)
        .count();
    assert_eq!(passed, 9, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_passes_the_conformance_kit() {
    let store = RedisStore::connect(&support::shared_config())
        .await
        .unwrap();
    run(Arc::new(store), &support::unique_prefix("conformance")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefixed_view_of_redis_passes_the_conformance_kit() {
    let store = RedisStore::connect(&support::shared_config())
        .await
        .unwrap();
    let base = support::unique_prefix("conformance-view");
    let view = store.clone().with_prefix(base.clone());
    run(Arc::new(view), "kit/").await;
    let left: Vec<String> = store.list_keys(&base).try_collect().await.unwrap();
    assert!(left.is_empty(), "the kit left {left:?}");
}
