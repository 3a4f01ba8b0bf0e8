//! [`KafkaError`]: what can go wrong in this crate.

use std::time::Duration;

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
    #[error("encoding a message for topic {topic:?} failed: {reason}")]
    Encode {
        /// The topic.
        topic: String,
        /// Why.
        reason: String,
    },
    /// A typed payload could not be decoded.
    #[error("decoding the message at {topic}/{partition}@{offset} failed: {reason}")]
    Decode {
        /// The topic.
        topic: String,
        /// The partition.
        partition: i32,
        /// The offset.
        offset: i64,
        /// Why.
        reason: String,
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
