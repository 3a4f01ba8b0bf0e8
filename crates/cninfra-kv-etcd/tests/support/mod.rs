//! Test plumbing of the etcd connector: the harness's etcd (`CNINFRA_TEST_ETCD`) and
//! configs; private servers, ports, prefixes and polling come from `cninfra-testsupport`.

#![allow(dead_code, unreachable_pub, unused_imports)]

use std::time::Duration;

use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
pub use cninfra_testsupport::{EtcdServer, eventually, free_port, harness_server, unique_prefix};

/// The harness's etcd (`host:port`); a clear failure when it is not running.
pub fn shared_endpoint() -> String {
    harness_server("CNINFRA_TEST_ETCD")
}

/// A config for `endpoint` with short intervals, as tests want them.
pub fn quick_config(endpoint: &str) -> EtcdConfig {
    EtcdConfig {
        dial_timeout: Duration::from_secs(2),
        operation_timeout: Duration::from_secs(1),
        reconnect_interval: Duration::from_millis(200),
        ..EtcdConfig::with_endpoints([endpoint])
    }
}

/// A store on the harness's etcd.
pub async fn shared_store() -> EtcdStore {
    EtcdStore::connect(&quick_config(&shared_endpoint()))
        .await
        .expect("connect to CNINFRA_TEST_ETCD")
}
