//! The conformance kit of cninfra-kv against the in-test Consul server (no real Consul can
//! be installed here; see the crate docs).
//!
//! Blocking queries report the states they are shown, so writes landing between two
//! answers merge: the kit runs with `watch_every_change: false`, which checks that the
//! watch converges (`watch_converges`) instead of expecting every change as its own event
//! (`watch_live`). `watch_changes_one_by_one` in `watch_behaviour.rs` checks single
//! changes with writes spaced by their delivery.

use std::sync::Arc;

use cninfra_kv::testkit::{self, KitOptions};
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
    let options = KitOptions {
        watch_every_change: false,
    };
    let report = testkit::conformance_with(store, prefix, options)
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let skipped: Vec<&str> = report.skipped().iter().map(|(name, _)| *name).collect();
    assert_eq!(
        skipped,
        ["watch_from_revision", "ttl_expiry", "lease_expiry"],
        "{report}"
    );
    let passed = report.passed();
    assert!(passed.contains(&"watch_converges"), "{report}");
    assert_eq!(passed.len(), 10, "{report}");
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
