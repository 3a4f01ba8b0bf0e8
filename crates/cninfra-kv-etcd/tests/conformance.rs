//! The broker conformance kit against real etcd (`CNINFRA_TEST_ETCD`), bare and behind a
//! prefixed view.

mod support;

use std::sync::Arc;

use futures::TryStreamExt;

use cninfra_kv::testkit;
use cninfra_kv::{KvStore, KvStoreExt};

async fn run(store: Arc<dyn KvStore>, prefix: &str) {
    let report = testkit::conformance(store, prefix)
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert!(
        report.skipped().is_empty(),
        "etcd supports everything, yet:\n{report}"
    );
    assert_eq!(report.outcomes().len(), 13, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn etcd_store_passes_every_check() {
    let store = support::shared_store().await;
    run(Arc::new(store), &support::unique_prefix("conformance")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixed_view_on_etcd_passes_every_check() {
    let store = support::shared_store().await;
    let prefix = support::unique_prefix("conformance-view");
    let view = store.clone().with_prefix(prefix.clone());
    run(Arc::new(view), "checks/").await;
    let left: Vec<String> = store.list_keys(&prefix).try_collect().await.unwrap();
    assert!(left.is_empty(), "the kit cleans up after itself: {left:?}");
}
