//! Test plumbing shared by cninfra's test suites (not published): the harness's servers
//! by their variables, private servers (etcd, Redis, the tansu Kafka broker, any
//! [`ServerProcess`]) that tests kill and restart, TLS files, ports no other test is given,
//! unique key prefixes, polling with a deadline, and the headless browser ([`browser`]).

pub mod browser;
mod etcd;
mod etcd_cluster;
pub mod measure;
mod ports;
mod process;
mod redis;
mod redis_cluster;
mod redis_sentinel;
mod resp;
mod tansu;
mod tls;

use std::fmt::Debug;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use etcd::{EtcdServer, etcd_connect_options};
pub use etcd_cluster::EtcdCluster;
pub use process::ServerProcess;
pub use redis::RedisServer;
pub use redis_cluster::{CLUSTER_NODES, RedisCluster};
pub use redis_sentinel::{RedisSentinels, SENTINEL_MASTER_NAME, SENTINELS};
pub use tansu::TansuServer;
pub use tls::TlsFiles;

/// The address (`host:port`) of a server the test harness started, from its variable
/// (`CNINFRA_TEST_ETCD`, `CNINFRA_TEST_REDIS`, `CNINFRA_TEST_KAFKA`).
///
/// # Panics
/// When the variable is missing, with a message saying how to start the server: such
/// tests fail rather than skip.
pub fn harness_server(variable: &str) -> String {
    std::env::var(variable).unwrap_or_else(|_| {
        panic!(
            "{variable} is not set: this test needs the server the test harness starts. Run \
             `scripts/test.sh`, or `source scripts/services.sh; services_start etcd redis kafka` \
             and then cargo test"
        )
    })
}

/// A free port for a server of the test, that no other call of this run returns: below
/// the kernel's ephemeral range, claimed against the other test processes (and
/// `scripts/services.sh`) by a lock file held until this process exits, and free to bind
/// when asked.
///
/// # Panics
/// When no port of the range is left.
pub fn free_port() -> u16 {
    ports::PortAllocator::process().next()
}

/// A key prefix no other test, test process or earlier run uses:
/// `/cninfra-test/<test>/<pid>-<nanoseconds>-<counter>/`.
pub fn unique_prefix(test: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("/cninfra-test/{test}/{}-{nanos}-{n}/", std::process::id())
}

/// Builds and starts the test agent of `builder` with no command-line flags and no
/// environment variables, so nothing of the developer's shell leaks into the test.
///
/// # Panics
/// When the agent does not build or start, with the error and its causes.
pub async fn start_agent(builder: cninfra_core::AgentBuilder) -> cninfra_core::RunningAgent {
    let started = async {
        builder
            .with_args(["test"])
            .with_env(Vec::<(String, String)>::new())
            .build()?
            .start()
            .await
    };
    match started.await {
        Ok(running) => running,
        Err(err) => panic!("the test agent did not start: {}", error_chain(&err)),
    }
}

/// The error's message followed by each of its causes, `: `-separated, as a test wants to
/// search it (`cninfra_core::ErrorChain` as a string).
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    cninfra_core::ErrorChain(err).to_string()
}

/// Polls the plain condition `check` every 20 ms (without blocking the runtime) until it
/// holds.
///
/// # Panics
/// When it does not hold within `limit`, naming `what`.
pub async fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    eventually(what, limit, || std::future::ready(check())).await;
}

/// Polls `state` every 20 ms until it returns `wanted` (a plugin's status, a connection
/// state...).
///
/// # Panics
/// When it does not within `limit`, naming `what` and the last state seen.
pub async fn wait_for_state<T: PartialEq + Debug>(
    what: &str,
    limit: Duration,
    wanted: T,
    mut state: impl FnMut() -> T,
) {
    let deadline = Instant::now() + limit;
    loop {
        let seen = state();
        if seen == wanted {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what} stayed {seen:?}, expected {wanted:?} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// [`wait_until`] for a test without a runtime: polls every 10 ms, blocking the thread.
///
/// # Panics
/// When `check` does not hold within `limit`, naming `what`.
pub fn wait_until_blocking(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Polls `check` every 20 ms until it holds.
///
/// # Panics
/// When it does not hold within `limit`, naming `what`.
pub async fn eventually<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    while !check().await {
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
