//! The cninfra-kv conformance kit against the file DB, with configuration files present
//! and writes going to the status file (YAML and JSON).

use std::sync::Arc;

use cninfra_kv::testkit;
use cninfra_kv::{KvStore, KvStoreExt};
use cninfra_kv_filedb::{FileDbConfig, FileDbStore};

async fn run(status_name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(
        data.join("base.yaml"),
        "data:\n  - key: /config/a\n    value: {x: 1}\n",
    )
    .unwrap();
    let store = FileDbStore::open(FileDbConfig {
        configuration_paths: vec![data],
        status_path: dir.path().join(status_name),
        ..FileDbConfig::default()
    })
    .await
    .unwrap();
    let report = testkit::conformance(Arc::new(store.clone()), "/conformance/")
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let skipped: Vec<&str> = report.skipped().iter().map(|(name, _)| *name).collect();
    assert_eq!(
        skipped,
        ["ttl_expiry", "atomic_ops", "lease_expiry"],
        "{report}"
    );
    // The configuration file's key was never touched, and the kit cleaned up after itself.
    assert!(store.get("/config/a").await.unwrap().is_some());
    assert!(store.problems().is_empty(), "{:?}", store.problems());
    store.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_db_with_a_yaml_status_file_passes_every_check_but_ttl() {
    run("status.yaml").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_db_with_a_json_status_file_passes_every_check_but_ttl() {
    run("status.json").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefixed_view_passes_the_watch_and_txn_checks() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileDbStore::open(FileDbConfig {
        status_path: dir.path().join("status.yaml"),
        ..FileDbConfig::default()
    })
    .await
    .unwrap();
    let view: Arc<dyn KvStore> = Arc::new(store.clone().with_prefix("/vnf-agent/vpp1/"));
    let outcomes = [
        testkit::watch_live(&view, "c/").await,
        testkit::watch_from_revision(&view, "c/").await,
        testkit::txn_atomicity(&view, "c/").await,
        testkit::list_ordering(&view, "c/").await,
    ];
    for outcome in outcomes {
        assert_eq!(outcome.unwrap(), testkit::Outcome::Passed);
    }
    store.close().await.unwrap();
}
