//! The cninfra-kv conformance kit against the redb store, bare and behind a prefixed view.

use std::sync::Arc;

use cninfra_kv::testkit::{self, Outcome};
use cninfra_kv::{KvStore, KvStoreExt};
use cninfra_kv_redb::{RedbConfig, RedbStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redb_store_passes_every_check_but_ttl() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(RedbConfig::at(dir.path().join("kv.redb")))
        .await
        .unwrap();
    let report = testkit::conformance(Arc::new(store.clone()), "/conformance/")
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let skipped: Vec<&str> = report.skipped().iter().map(|(name, _)| *name).collect();
    assert_eq!(skipped, ["ttl_expiry", "lease_expiry"], "{report}");
    assert_eq!(report.outcomes().len(), 13, "{report}");
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prefixed_view_of_a_reopened_store_passes_the_watch_checks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.redb");
    let first = RedbStore::open(RedbConfig::at(&path)).await.unwrap();
    first
        .put("/other/x", "1".into(), Default::default())
        .await
        .unwrap();
    first.close().await.unwrap();

    let store = RedbStore::open(RedbConfig::at(&path)).await.unwrap();
    let view: Arc<dyn KvStore> = Arc::new(store.clone().with_prefix("/vnf-agent/vpp1/"));
    let outcomes = [
        testkit::watch_live(&view, "c/").await,
        testkit::watch_from_revision(&view, "c/").await,
        testkit::txn_atomicity(&view, "c/").await,
    ];
    for outcome in outcomes {
        assert_eq!(outcome.unwrap(), Outcome::Passed);
    }
    store.close().await.unwrap();
}
