//! Test plumbing shared by cninfra's test suites (not published): the harness's servers
//! by their variables, private servers (etcd, Redis, the tansu Kafka broker, any [`ServerProcess`]) that tests kill
//! and restart, TLS files, free ports and polling with a deadline.

mod etcd;
pub mod measure;
mod process;
mod redis;
mod tansu;
mod tls;

use std::future::Future;
use std::net::TcpListener;
use std::time::{Duration, Instant};

pub use etcd::{EtcdServer, etcd_connect_options};
pub use process::ServerProcess;
pub use redis::RedisServer;
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

/// A free loopback port (free when asked; the server binds it soon after).
///
/// # Panics
/// When no port can be bound.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The error's message followed by each of its causes, `: `-separated, as a test wants to
/// search it.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Polls the plain condition `check` every 20 ms (without blocking the runtime) until it
/// holds.
///
/// # Panics
/// When it does not hold within `limit`, naming `what`.
pub async fn wait_until(what: &str, limit: Duration, mut check: impl FnMut() -> bool) {
    eventually(what, limit, || std::future::ready(check())).await;
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
