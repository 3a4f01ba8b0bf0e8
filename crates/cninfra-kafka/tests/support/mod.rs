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
    cninfra_testsupport::harness_server("CNINFRA_TEST_KAFKA")
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
    create_named_topic(broker, &topic, partitions).await;
    topic
}

/// Creates `topic` with `partitions` partitions on `broker`.
pub async fn create_named_topic(broker: &str, topic: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .create()
        .unwrap();
    let done = admin
        .create_topics(
            &[NewTopic::new(topic, partitions, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    for result in done {
        result.unwrap();
    }
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

/// The committed offsets of `group` on partitions `0..partitions` of `topic` (-1 for none),
/// read without joining the group.
pub fn committed(broker: &str, group: &str, topic: &str, partitions: i32) -> Vec<i64> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    let reader: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", broker)
        .set("group.id", group)
        .create()
        .unwrap();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition(topic, p);
    }
    let Ok(got) = reader.committed_offsets(tpl, Duration::from_secs(5)) else {
        return vec![-1; usize::try_from(partitions).unwrap()];
    };
    (0..partitions)
        .map(|p| match got.find_partition(topic, p).map(|e| e.offset()) {
            Some(rdkafka::Offset::Offset(o)) => o,
            _ => -1,
        })
        .collect()
}

/// Polls until `group` has committed every partition of `topic` up to `ends` (fails after
/// `limit`, naming what was committed).
pub async fn wait_committed(broker: &str, group: &str, topic: &str, ends: &[i64], limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    let partitions = i32::try_from(ends.len()).unwrap();
    loop {
        let (b, g, t) = (broker.to_owned(), group.to_owned(), topic.to_owned());
        let got = tokio::task::spawn_blocking(move || committed(&b, &g, &t, partitions))
            .await
            .unwrap();
        if got == ends {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "group {group} committed {got:?} on {topic}, wanted {ends:?} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
