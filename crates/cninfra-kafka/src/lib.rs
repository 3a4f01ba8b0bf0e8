//! Kafka for cninfra on `rdkafka` (bundled librdkafka): the `kafka` plugin ([`KafkaPlugin`])
//! and its [`Multiplexer`], one shared client per agent from which plugins open named
//! [`Connection`]s (bytes) or [`TypedConnection`]s to publish and watch.
//!
//! # Quick start
//! ```no_run
//! use cninfra_kafka::{Callbacks, Handler, KafkaConfig, Multiplexer, Partitioner, Record};
//!
//! # async fn demo() -> Result<(), cninfra_kafka::KafkaError> {
//! let config = KafkaConfig { addrs: vec!["127.0.0.1:9092".into()], ..Default::default() };
//! let mux = Multiplexer::connect(config, "my-agent").await?;
//! let conn = mux.connection("events");
//! // Topic watchers join the consumer group; add them before `start`.
//! conn.watch("events", Handler::new(|msg| async move {
//!     println!("{}/{}@{}: {:?}", msg.topic, msg.partition, msg.offset, msg.value);
//!     Ok(()) // only now is the offset marked for commit
//! }))?;
//! mux.start()?;
//! let sync = conn.sync_publisher("events", Partitioner::Manual(0)).await?;
//! sync.send(Record::new("hi").with_key("k").with_header("h", "v")).await?;
//! let fire = conn.async_publisher("events", Partitioner::Random, Callbacks::log_errors()).await?;
//! fire.send(Record::new("later"))?;
//! // Partition watchers may come after start, from any offset.
//! conn.watch_partition("events", 0, 0, Handler::new(|_| async { Ok(()) }))?;
//! mux.close().await;
//! # Ok(()) }
//! ```
//!
//! # Typed values
//! A [`TypedConnection`] encodes values with a [`Codec`] (the platform's one codec trait,
//! from `cninfra-models`, re-exported here):
//! - [`ProtoConnection`] ([`ProtoJsonCodec`]): prost messages as **proto3 JSON**, the default
//!   for messages, as upstream's Go agents (cn-infra, vpp-agent) write them, so either side
//!   reads the other's messages (original or lowerCamel field names, enum names, 64-bit
//!   integers as strings or numbers, oneofs, `Any`).
//! - [`JsonConnection`] ([`JsonCodec`]): serde values as JSON.
//! - [`ProtoBinaryConnection`] ([`ProtoBinaryCodec`]): binary protobuf, chosen explicitly.
//!
//! A payload that does not decode is logged as [`KafkaError::Decode`] (topic, partition,
//! offset, key; its source the message and the field path) and skipped: consumption goes on.
//!
//! # Delivery rules
//! - **Sync publishers** wait for all in-sync replicas (`acks=all`, idempotent by default);
//!   **async publishers** wait for the leader (`acks=1`) and report each message exactly once
//!   to their [`Callbacks`]: delivered, or failed (e.g. timed out after `timeout` while the
//!   broker was away). Callbacks run on the client's delivery thread: keep them short.
//! - **At least once**: a topic watcher's offset is marked only after its handler returned
//!   `Ok`; marked offsets are committed every `commit-interval` and on close. After a handler
//!   error the partition's marks stop at the failed message, so a restarted member gets it
//!   again.
//! - **Slow handlers**: each topic watcher has a buffer of about `buffer-size` messages
//!   (handed over in batches of what librdkafka has ready, at most 64 or `buffer-size`).
//!   When it is full the shared group consumer waits (every topic of the group waits with
//!   it) until the handler takes the next batch; nothing is dropped. librdkafka stops fetching when its own
//!   queue fills. A handler stuck longer than `max.poll.interval.ms` (5 min) makes the member
//!   leave the group; its uncommitted messages go to another member.
//! - **Groups**: multiplexers with one `group-id` split the partitions of their topics; a
//!   member that closes commits what it handled and leaves, and the others (or its restart)
//!   go on from the committed offsets. A rebalance may hand a partition over before its last
//!   marks were committed: the new owner then gets those few messages again.
//! - Partition watchers use their own consumer outside the group and commit nothing.
//! - While a broker is away the clients retry at least every second, so a restarted broker
//!   is used again within about a second.
//!
//! # msgsync
//! [`msgsync`] writes data changes to a topic with the method shape of a datasync publisher:
//! `put(key, Some(&value))` (JSON), `put_proto` (proto3 JSON), `put_proto_binary` (binary),
//! `put(key, None)` / `delete(key)` (a [tombstone](Record::tombstone)).

mod config;
mod error;
mod group;
mod message;
pub mod msgsync;
mod mux;
mod partitioner;
mod plugin;
mod producer;
mod typed;

pub use cninfra_models::DecodeError;
pub use cninfra_models::codec::{Codec, EncodeError, JsonCodec, ProtoBinaryCodec, ProtoJsonCodec};
pub use config::{KafkaConfig, SaslConfig};
pub use error::KafkaError;
pub use message::{Delivered, Handler, Message, Partitioner, Record};
pub use mux::{Connection, Multiplexer};
pub use partitioner::{HashPartitioner, sarama_partition};
pub use plugin::{KafkaPlugin, KafkaPluginBuilder};
pub use producer::{AsyncPublisher, Callbacks, SyncPublisher};
pub use typed::{
    JsonConnection, ProtoBinaryConnection, ProtoConnection, TypedAsyncPublisher, TypedConnection,
    TypedMessage, TypedPublisher,
};

/// Log target of the crate: the plugin's name.
const LOG: &str = KafkaPlugin::NAME;
