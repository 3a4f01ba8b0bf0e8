//! The conformance kit against the in-memory store, bare and behind prefixed views.

use std::sync::Arc;

use futures::TryStreamExt;

use cninfra_kv::testkit::{self, Outcome};
use cninfra_kv::{KvStore, KvStoreExt, MemoryStore};

async fn run(store: Arc<dyn KvStore>, prefix: &str) {
    let report = testkit::conformance(store, prefix)
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    assert!(
        report.skipped().is_empty(),
        "the memory store supports everything, yet:\n{report}"
    );
    assert_eq!(report.outcomes().len(), 13, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_passes_every_check() {
    run(Arc::new(MemoryStore::new()), "/conformance/").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixed_view_passes_every_check() {
    let store = MemoryStore::new();
    let view = store.clone().with_prefix("/vnf-agent/vpp1/");
    run(Arc::new(view), "conformance/").await;
    // The kit wrote (many revisions) only under the view's prefix and cleaned up after.
    assert!(store.revision().await.unwrap() > testkit::MANY_KEYS as u64);
    let left: Vec<String> = store.list_keys("").try_collect().await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_share_a_store_under_distinct_prefixes() {
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    let (a, b) = tokio::join!(
        testkit::watch_from_revision(&store, "/run-a/"),
        testkit::watch_from_revision(&store, "/run-b/"),
    );
    assert_eq!(a.unwrap(), Outcome::Passed);
    assert_eq!(b.unwrap(), Outcome::Passed);
}

#[tokio::test]
async fn a_check_refuses_a_prefix_with_leftovers() {
    let store = MemoryStore::new();
    store
        .put("/dirty/list_ordering/x", "1".into(), Default::default())
        .await
        .unwrap();
    let store: Arc<dyn KvStore> = Arc::new(store);
    let failure = testkit::list_ordering(&store, "/dirty/").await.unwrap_err();
    assert_eq!(failure.check, "list_ordering");
    assert!(failure.message.contains("must start empty"), "{failure}");
}
