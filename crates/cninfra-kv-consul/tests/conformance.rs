//! The conformance kit of cninfra-kv against the in-test Consul server (no real Consul can
//! be installed here; see the crate docs).
//!
//! Every check runs except `watch_live`: it writes four changes back to back and expects
//! each as its own event, while a blocking-query watch reports the states it is shown
//! and may merge writes that land between two answers. `watch_changes_one_by_one` in
//! `watch_behaviour.rs` checks the same events with writes spaced by their delivery.

use std::sync::Arc;

use cninfra_kv::testkit::{self, CheckResult, Outcome};
use cninfra_kv::{KvStore, KvStoreExt};
use cninfra_kv_consul::testserver::{ConsulTestServer, TestServerOptions};
use cninfra_kv_consul::{ConsulConfig, ConsulStore};

/// A server configured like a Consul with `limits { kv_max_value_size, txn_max_req_len }`
/// raised to 4 MiB, so the kit's 1 MiB value fits (the default is 512 KiB).
async fn server() -> ConsulTestServer {
    ConsulTestServer::start_with(TestServerOptions::default().with_size_limit(4 << 20))
        .await
        .unwrap()
}

async fn run(store: Arc<dyn KvStore>, prefix: &str) {
    let checks: Vec<(&str, CheckResult)> = vec![
        (
            "list_ordering",
            testkit::list_ordering(&store, prefix).await,
        ),
        ("revisions", testkit::revisions(&store, prefix).await),
        (
            "prefix_isolation",
            testkit::prefix_isolation(&store, prefix).await,
        ),
        (
            "delete_reports_truth",
            testkit::delete_reports_truth(&store, prefix).await,
        ),
        (
            "watch_from_revision",
            testkit::watch_from_revision(&store, prefix).await,
        ),
        (
            "txn_atomicity",
            testkit::txn_atomicity(&store, prefix).await,
        ),
        ("large_values", testkit::large_values(&store, prefix).await),
        ("many_keys", testkit::many_keys(&store, prefix).await),
        (
            "concurrent_writers",
            testkit::concurrent_writers(&store, prefix).await,
        ),
        ("ttl_expiry", testkit::ttl_expiry(&store, prefix).await),
    ];
    let mut skipped = Vec::new();
    for (name, result) in checks {
        match result {
            Ok(Outcome::Passed) => {}
            Ok(Outcome::Skipped { reason }) => skipped.push((name, reason)),
            Err(failure) => panic!("{failure}"),
        }
    }
    let names: Vec<&str> = skipped.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["watch_from_revision", "ttl_expiry"], "{skipped:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consul_passes_the_conformance_kit() {
    let server = server().await;
    let config = ConsulConfig::new(server.address().to_string());
    let store = ConsulStore::connect(&config, |_| None).await.unwrap();
    run(Arc::new(store), "/conformance/").await;
    assert!(server.keys().is_empty(), "left behind: {:?}", server.keys());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prefixed_view_of_consul_passes_the_conformance_kit() {
    let server = server().await;
    let config = ConsulConfig::new(server.address().to_string());
    let store = ConsulStore::connect(&config, |_| None).await.unwrap();
    run(Arc::new(store.with_prefix("/vnf-agent/vpp1/")), "kit/").await;
    // Transactions honoured the view's prefix (upstream's did not) and nothing is left.
    assert!(server.keys().is_empty(), "left behind: {:?}", server.keys());
}
