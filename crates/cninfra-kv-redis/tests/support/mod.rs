//! Test plumbing of the Redis connector: the harness's Redis (`CNINFRA_TEST_REDIS`) and
//! configs; servers, ports and prefixes come from `cninfra-testsupport`.

#![allow(dead_code, unreachable_pub, unused_imports)]

use cninfra_kv_redis::RedisConfig;
pub use cninfra_testsupport::{RedisServer, free_port, unique_prefix};

/// The address of the Redis that the harness started; fails the test with instructions
/// when it is missing.
pub fn shared_endpoint() -> String {
    cninfra_testsupport::harness_server("CNINFRA_TEST_REDIS")
}

/// A config for the harness's Redis.
pub fn shared_config() -> RedisConfig {
    RedisConfig::node(shared_endpoint())
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

pub mod fault;
