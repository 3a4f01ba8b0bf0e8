//! The conformance kit of cninfra-kv against the harness's real Redis
//! (`CNINFRA_TEST_REDIS`), in both watch modes: the default (plain writes, watches read
//! values on notification, so back-to-back changes may merge: the kit's convergence
//! check) and `exact-watch-values: true` (every change with its values: the kit's
//! every-change check), bare and behind a prefixed view.

mod support;

use std::sync::Arc;

use cninfra_kv::testkit::{self, KitOptions};
use cninfra_kv::{KvStore, KvStoreExt};
use cninfra_kv_redis::{RedisConfig, RedisStore};
use futures::TryStreamExt;

/// The config of one watch mode.
fn config(exact_watch_values: bool) -> RedisConfig {
    RedisConfig {
        exact_watch_values,
        ..support::shared_config()
    }
}

/// Runs the kit and checks that exactly what Redis lacks was skipped and that the watch
/// check fitting the mode ran.
async fn run(store: Arc<dyn KvStore>, prefix: &str, exact_watch_values: bool) {
    let options = KitOptions {
        watch_every_change: exact_watch_values,
    };
    let report = testkit::conformance_with(store, prefix, options)
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let mut skipped: Vec<&str> = report.skipped().iter().map(|(name, _)| *name).collect();
    skipped.sort_unstable();
    assert_eq!(
        skipped,
        ["lease_expiry", "revisions", "watch_from_revision"],
        "{report}"
    );
    let passed = report.passed();
    assert_eq!(passed.len(), 10, "{report}");
    let watch_check = if exact_watch_values {
        "watch_live"
    } else {
        "watch_converges"
    };
    assert!(passed.contains(&watch_check), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_passes_the_conformance_kit() {
    let store = RedisStore::connect(&config(false)).await.unwrap();
    assert!(!store.capabilities().prev_values);
    run(
        Arc::new(store),
        &support::unique_prefix("conformance"),
        false,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_with_exact_watch_values_passes_the_every_change_kit() {
    let store = RedisStore::connect(&config(true)).await.unwrap();
    assert!(store.capabilities().prev_values);
    let prefix = support::unique_prefix("conformance-exact");
    run(Arc::new(store), &prefix, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefixed_view_of_redis_passes_the_conformance_kit() {
    for exact in [false, true] {
        let store = RedisStore::connect(&config(exact)).await.unwrap();
        let base = support::unique_prefix("conformance-view");
        let view = store.clone().with_prefix(base.clone());
        run(Arc::new(view), "kit/", exact).await;
        let left: Vec<String> = store.list_keys(&base).try_collect().await.unwrap();
        assert!(left.is_empty(), "the kit left {left:?}");
    }
}
