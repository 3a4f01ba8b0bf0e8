//! Shared helpers of the integration tests: the broker address, unique topics, muxes.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use cninfra_kafka::{KafkaConfig, Multiplexer};
use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use tokio::sync::mpsc;

/// The broker from `CNINFRA_TEST_KAFKA`; fails the test naming the variable otherwise.
pub fn broker() -> String {
    std::env::var("CNINFRA_TEST_KAFKA").unwrap_or_else(|_| {
        panic!("CNINFRA_TEST_KAFKA is not set: run the tests through scripts/test.sh (it starts a tansu broker)")
    })
}

/// A unique name with this prefix.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates a topic with `partitions` partitions on `broker` and returns its name.
pub async fn create_topic(broker: &str, partitions: i32) -> String {
    let topic = unique("t");
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .create()
        .unwrap();
    let done = admin
        .create_topics(
            &[NewTopic::new(
                &topic,
                partitions,
                TopicReplication::Fixed(1),
            )],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    for result in done {
        result.unwrap();
    }
    topic
}

/// The config for `broker` with short time limits.
pub fn config(broker: &str) -> KafkaConfig {
    KafkaConfig {
        addrs: vec![broker.to_owned()],
        timeout: Duration::from_secs(5),
        commit_interval: Duration::from_millis(200),
        ..Default::default()
    }
}

/// A connected multiplexer in `group`.
pub async fn mux(broker: &str, group: &str) -> Multiplexer {
    Multiplexer::connect(config(broker), group).await.unwrap()
}

/// Receives `n` items within `limit` (fails naming how many came).
pub async fn recv_n<T: std::fmt::Debug>(
    rx: &mut mpsc::UnboundedReceiver<T>,
    n: usize,
    limit: Duration,
) -> Vec<T> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    while out.len() < n {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(item)) => out.push(item),
            Ok(None) => break,
            Err(_) => panic!(
                "got {} of {n} items within {limit:?}: {:?}",
                out.len(),
                out.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>()
            ),
        }
    }
    out
}
