//! msgsync: a data sync publisher that writes values to a Kafka topic instead of a key-value
//! store (upstream's `datasync/msgsync`). Its methods have the shape of cninfra-datasync's
//! `KvPublisher`: `put(key, Some(&value))` writes the key with the value as JSON;
//! [`MsgSyncPublisher::put_proto`] writes a prost message as proto3 JSON, as upstream's
//! agents do, and [`MsgSyncPublisher::put_proto_binary`] in binary, chosen explicitly;
//! `put(key, None)` and `delete(key)` write the key with a null payload, a tombstone.
//!
//! Messages are keyed by the data key and partitioned by its hash, so the changes of one key
//! stay in order and a compacted topic keeps the last value of each key.

use std::any::type_name;
use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, Requirement, async_trait};
use cninfra_models::codec::{Codec, EncodeError, ProtoBinaryCodec, ProtoJsonCodec};
use serde::{Deserialize, Serialize};

use crate::LOG;
use crate::error::KafkaError;
use crate::message::{Partitioner, Record};
use crate::mux::Connection;
use crate::plugin::KafkaPlugin;
use crate::producer::SyncPublisher;

/// The `msgsync.conf` file (`--msgsync-config`, `MSGSYNC_CONFIG`).
///
/// # Examples
/// ```
/// use cninfra_kafka::msgsync::MsgSyncConfig;
///
/// let config: MsgSyncConfig = serde_yaml_ng::from_str("topic: example-changes\n")?;
/// assert_eq!(config.topic, "example-changes");
/// # Ok::<(), serde_yaml_ng::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct MsgSyncConfig {
    /// The topic the values are written to; required (no default).
    pub topic: String,
}

/// Writes values to one topic and waits for each write (a sync publisher: all in-sync
/// replicas, within the kafka `timeout`). Cheap to clone.
///
/// # Examples
/// ```no_run
/// use cninfra_kafka::Multiplexer;
/// use cninfra_kafka::msgsync::{MsgSyncConfig, MsgSyncPublisher};
///
/// # async fn demo(mux: Multiplexer) -> Result<(), cninfra_kafka::KafkaError> {
/// let config = MsgSyncConfig { topic: "example-changes".into() };
/// let publisher = MsgSyncPublisher::new(&mux.connection("msgsync-connection"), &config).await?;
/// publisher.put("config/example/v1/a", Some(&serde_json::json!({"port": 80}))).await?;
/// publisher.put::<serde_json::Value>("config/example/v1/a", None).await?; // a tombstone
/// publisher.delete("config/example/v1/b").await?;                         // one more
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MsgSyncPublisher {
    inner: SyncPublisher,
}

impl MsgSyncPublisher {
    /// A publisher to `config.topic` through `conn`, partitioning by the key's hash.
    ///
    /// # Errors
    /// [`KafkaError::NoTopic`] when `config.topic` is empty.
    pub async fn new(conn: &Connection, config: &MsgSyncConfig) -> Result<Self, KafkaError> {
        if config.topic.is_empty() {
            return Err(KafkaError::NoTopic {
                config: MsgSyncPlugin::NAME,
            });
        }
        let inner = conn
            .sync_publisher(&config.topic, Partitioner::Hash)
            .await?;
        Ok(Self { inner })
    }

    /// The topic written to.
    pub fn topic(&self) -> &str {
        self.inner.topic()
    }

    /// Writes `key` with `value` as JSON; `None` writes a tombstone, as
    /// [`delete`](Self::delete).
    ///
    /// # Errors
    /// [`KafkaError::Encode`] naming the key when `value` does not serialize,
    /// [`KafkaError::Produce`] when the write failed or was not acknowledged in time.
    pub async fn put<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: Option<&T>,
    ) -> Result<(), KafkaError> {
        let Some(value) = value else {
            return self.delete(key).await;
        };
        let payload = serde_json::to_vec(value).map_err(|err| {
            self.encode_error(
                key,
                EncodeError {
                    type_name: type_name::<T>(),
                    reason: err.to_string(),
                },
            )
        })?;
        self.send(Record::new(payload).with_key(key.to_owned()))
            .await
    }

    /// Writes `key` with a prost message (with a descriptor) as proto3 JSON, as upstream's
    /// agents write values; `None` writes a tombstone. A message whose fields are all at
    /// their defaults is `{}`, not a tombstone.
    ///
    /// # Errors
    /// [`KafkaError::Produce`] when the write failed or was not acknowledged in time.
    pub async fn put_proto<M>(&self, key: &str, value: Option<&M>) -> Result<(), KafkaError>
    where
        M: cninfra_models::ProtoMessage,
    {
        self.put_coded(key, value, &ProtoJsonCodec).await
    }

    /// Writes `key` with a prost message in binary encoding, chosen explicitly; `None` writes
    /// a tombstone. A message whose fields are all at their defaults encodes to an empty
    /// (not null) payload, so it is not a tombstone.
    ///
    /// # Errors
    /// [`KafkaError::Produce`] when the write failed or was not acknowledged in time.
    pub async fn put_proto_binary<M: prost::Message + Default>(
        &self,
        key: &str,
        value: Option<&M>,
    ) -> Result<(), KafkaError> {
        self.put_coded(key, value, &ProtoBinaryCodec).await
    }

    async fn put_coded<T, C: Codec<T>>(
        &self,
        key: &str,
        value: Option<&T>,
        codec: &C,
    ) -> Result<(), KafkaError> {
        let Some(value) = value else {
            return self.delete(key).await;
        };
        let payload = codec
            .encode(value)
            .map_err(|source| self.encode_error(key, source))?;
        self.send(Record::new(payload).with_key(key.to_owned()))
            .await
    }

    fn encode_error(&self, key: &str, source: EncodeError) -> KafkaError {
        KafkaError::Encode {
            topic: self.topic().to_owned(),
            key: Some(key.to_owned()),
            source,
        }
    }

    /// Writes a tombstone for `key`: the key with a null payload.
    ///
    /// # Errors
    /// [`KafkaError::Produce`] when the write failed or was not acknowledged in time.
    pub async fn delete(&self, key: &str) -> Result<(), KafkaError> {
        self.send(Record::tombstone(key.to_owned())).await
    }

    async fn send(&self, record: Record) -> Result<(), KafkaError> {
        let key = record.key.clone();
        let done = self.inner.send(record).await?;
        tracing::debug!(target: MsgSyncPlugin::NAME, topic = %self.topic(), key = ?key, partition = done.partition,
            offset = done.offset, "written");
        Ok(())
    }
}

/// The `msgsync` plugin: reads `msgsync.conf` and, when both it and the [`KafkaPlugin`]
/// (found by type) are configured, creates a [`MsgSyncPublisher`] on the Kafka connection
/// `msgsync-connection` (`<plugin name>-connection`) in `init`. Without either config it is
/// disabled and [`publisher`](Self::publisher) is `Ok(None)` (upstream's puts are no-ops
/// then).
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_kafka::KafkaPlugin;
/// use cninfra_kafka::msgsync::MsgSyncPlugin;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let msgsync = MsgSyncPlugin::new();
/// let running = Agent::builder()
///     .plugin(KafkaPlugin::new())
///     .plugin(msgsync.clone())
///     .build()?
///     .start()
///     .await?;
/// if let Some(publisher) = msgsync.publisher()? {
///     let _ = publisher.put("config/a", Some(&1)).await;
/// }
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MsgSyncPlugin {
    preset: Option<MsgSyncConfig>,
    publisher: Ready<Option<MsgSyncPublisher>>,
}

/// Builds a [`MsgSyncPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct MsgSyncPluginBuilder {
    preset: Option<MsgSyncConfig>,
}

impl MsgSyncPluginBuilder {
    /// Uses this config instead of reading `msgsync.conf`.
    pub fn with_config(mut self, config: MsgSyncConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<MsgSyncPlugin> {
        Arc::new(MsgSyncPlugin {
            preset: self.preset,
            publisher: Ready::new(MsgSyncPlugin::NAME),
        })
    }
}

impl MsgSyncPlugin {
    /// The plugin name, config file stem and log target.
    pub const NAME: &'static str = "msgsync";

    /// The plugin configured by `msgsync.conf`, writing through the agent's [`KafkaPlugin`].
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code.
    pub fn builder() -> MsgSyncPluginBuilder {
        MsgSyncPluginBuilder::default()
    }

    /// The publisher once `init` ran: `None` when disabled.
    ///
    /// # Errors
    /// [`NotReady`] before `init` (or when it failed).
    pub fn publisher(&self) -> Result<Option<&MsgSyncPublisher>, NotReady> {
        self.publisher.get().map(Option::as_ref)
    }
}

#[async_trait]
impl Plugin for MsgSyncPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::of::<KafkaPlugin>()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: MsgSyncPlugin::NAME, "no msgsync config: the plugin is disabled");
            self.publisher.set(None)?;
            return Ok(());
        };
        let kafka = ctx.dep::<KafkaPlugin>()?;
        let Some(mux) = kafka.multiplexer()? else {
            tracing::info!(target: MsgSyncPlugin::NAME, kafka = LOG, "kafka is disabled: msgsync is too");
            self.publisher.set(None)?;
            return Ok(());
        };
        let conn = mux.connection(&format!("{}-connection", ctx.plugin_name()));
        let publisher = MsgSyncPublisher::new(&conn, &config).await?;
        tracing::info!(target: MsgSyncPlugin::NAME, topic = %config.topic, "msgsync writes to kafka");
        self.publisher.set(Some(publisher))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_survives_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&MsgSyncConfig::default()).unwrap();
        let back: MsgSyncConfig = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, MsgSyncConfig::default());
        let err = serde_yaml_ng::from_str::<MsgSyncConfig>("topik: x\n").unwrap_err();
        assert!(err.to_string().contains("topik"), "{err}");
    }
}
