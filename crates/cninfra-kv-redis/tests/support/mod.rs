//! Shared test plumbing: the harness's Redis, our own Redis instances, unique prefixes.

#![allow(dead_code, unreachable_pub, unused_imports)]

use std::time::{SystemTime, UNIX_EPOCH};

use cninfra_kv_redis::RedisConfig;
pub use cninfra_testsupport::{RedisServer, free_port};

/// The address of the Redis that the harness started; fails the test with instructions
/// when it is missing.
pub fn shared_endpoint() -> String {
    cninfra_testsupport::harness_server("CNINFRA_TEST_REDIS")
}

/// A config for the harness's Redis.
pub fn shared_config() -> RedisConfig {
    RedisConfig::node(shared_endpoint())
}

/// A key prefix no other test run uses.
pub fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("/cninfra-test/{test}/{}-{nanos}/", std::process::id())
}

/// [`RedisServer::config`]: a store config for a test's own server.
pub trait ServerConfig {
    /// A single-node config for this server.
    fn config(&self) -> RedisConfig;
}

impl ServerConfig for RedisServer {
    fn config(&self) -> RedisConfig {
        RedisConfig::node(self.endpoint())
    }
}
