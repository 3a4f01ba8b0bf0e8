//! [`KafkaError`]: what can go wrong in this crate.

use std::time::Duration;

use cninfra_models::DecodeError;
use cninfra_models::codec::EncodeError;

/// An error of the Kafka client or multiplexer; messages name the topic, partition, offset or
/// brokers at fault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KafkaError {
    /// No broker answered a metadata request in time.
    #[error("kafka brokers {addrs} unreachable within {timeout:?}")]
    Unreachable {
        /// The bootstrap brokers.
        addrs: String,
        /// The time limit.
        timeout: Duration,
        /// The client error.
        source: rdkafka::error::KafkaError,
    },
    /// A client could not be created from the config.
    #[error("kafka client config rejected")]
    Client(#[source] rdkafka::error::KafkaError),
    /// A produce failed or was not acknowledged in time.
    #[error("produce to topic {topic:?} failed")]
    Produce {
        /// The topic.
        topic: String,
        /// The client error.
        source: rdkafka::error::KafkaError,
    },
    /// Subscribing, assigning or committing failed.
    #[error("consume from topic {topic:?} failed")]
    Consume {
        /// The topic (empty for all).
        topic: String,
        /// The client error.
        source: rdkafka::error::KafkaError,
    },
    /// Topic watchers must be added before the multiplexer starts.
    #[error(
        "cannot watch topic {topic:?}: the multiplexer already started (use a partition watcher)"
    )]
    AlreadyStarted {
        /// The topic.
        topic: String,
    },
    /// The topic is already watched in this multiplexer.
    #[error("topic {topic:?} is already watched by connection {by:?}")]
    AlreadyWatched {
        /// The topic.
        topic: String,
        /// The connection watching it.
        by: String,
    },
    /// The topic has no partition of that number (or no partitions: not created).
    #[error("topic {topic:?} has no partition {partition} (it has {count})")]
    NoPartition {
        /// The topic.
        topic: String,
        /// The partition asked for.
        partition: i32,
        /// How many partitions the topic has.
        count: usize,
    },
    /// A typed payload could not be encoded.
    #[error("encoding a message{} for topic {topic:?} failed", keyed(.key.as_deref()))]
    Encode {
        /// The topic.
        topic: String,
        /// The message key, if any.
        key: Option<String>,
        /// What the codec reported: the type and why.
        #[source]
        source: EncodeError,
    },
    /// A typed payload could not be decoded.
    #[error("decoding the message at {topic}/{partition}@{offset}{} failed", keyed(.key.as_deref()))]
    Decode {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The offset.
        offset: i64,
        /// The message key (lossy UTF-8), if any.
        key: Option<String>,
        /// What the codec reported: the message (or type), the field path, why (boxed:
        /// the error stays small).
        #[source]
        source: Box<DecodeError>,
    },
    /// A publisher was configured without a topic.
    #[error("no topic set in {config}.conf (key `topic`)")]
    NoTopic {
        /// The config (plugin) at fault.
        config: &'static str,
    },
    /// The multiplexer is closed.
    #[error("the kafka multiplexer is closed")]
    Closed,
}

/// ` with key "k"`, or nothing for a message without a key.
fn keyed(key: Option<&str>) -> String {
    key.map(|key| format!(" with key {key:?}"))
        .unwrap_or_default()
}
