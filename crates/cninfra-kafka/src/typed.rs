//! Typed connections: values encoded with a [`Codec`]: proto3 JSON for prost messages
//! ([`ProtoConnection`], the default, as upstream's agents write), serde JSON
//! ([`JsonConnection`]), or binary protobuf chosen explicitly ([`ProtoBinaryConnection`]).

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use cninfra_core::{BoxError, ErrorChain};
use cninfra_models::codec::{Codec, JsonCodec, ProtoBinaryCodec, ProtoJsonCodec};

use crate::LOG;
use crate::error::KafkaError;
use crate::message::{Delivered, Handler, Message, Partitioner, Record};
use crate::mux::Connection;
use crate::producer::{AsyncPublisher, Callbacks, SyncPublisher};

/// A connection for serde values as JSON.
pub type JsonConnection<T> = TypedConnection<T, JsonCodec>;
/// A connection for prost messages (with a descriptor) as proto3 JSON, as upstream's agents
/// write them.
pub type ProtoConnection<T> = TypedConnection<T, ProtoJsonCodec>;
/// A connection for prost messages in binary encoding, chosen explicitly.
pub type ProtoBinaryConnection<T> = TypedConnection<T, ProtoBinaryCodec>;

/// Ties a typed wrapper to `T` and `C` without owning either.
type Marker<T, C> = fn(T, C) -> (T, C);

/// A decoded message with where it came from.
#[derive(Debug, Clone)]
pub struct TypedMessage<T> {
    /// The value.
    pub value: T,
    /// The message (key, headers, topic, partition, offset; `value` holds the raw payload).
    pub raw: Message,
}

/// A [`Connection`] for values of type `T` in codec `C`.
///
/// # Examples
/// ```no_run
/// use cninfra_kafka::{JsonConnection, Multiplexer, Partitioner, ProtoConnection};
/// use cninfra_ligato::vpp::l2::FibEntry;
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Order { id: u32 }
///
/// # async fn demo(mux: Multiplexer) -> Result<(), cninfra_kafka::KafkaError> {
/// let orders: JsonConnection<Order> = JsonConnection::new(mux.connection("orders"));
/// orders.watch("orders", |msg| async move { println!("{}", msg.value.id); Ok(()) })?;
/// let publisher = orders.sync_publisher("orders", Partitioner::Hash).await?;
/// publisher.send(Some("o-1"), &Order { id: 1 }).await?;
///
/// // Prost messages travel as proto3 JSON: {"bridgeDomain":"bd1","action":"DROP"}.
/// let fibs: ProtoConnection<FibEntry> = ProtoConnection::new(mux.connection("fibs"));
/// fibs.watch("fibs", |msg| async move { println!("{}", msg.value.bridge_domain); Ok(()) })?;
/// # Ok(()) }
/// ```
pub struct TypedConnection<T, C> {
    conn: Connection,
    codec: Arc<C>,
    _types: PhantomData<Marker<T, C>>,
}

impl<T, C> std::fmt::Debug for TypedConnection<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedConnection")
            .field("conn", &self.conn)
            .field("codec", &std::any::type_name::<C>())
            .finish()
    }
}

impl<T: Send + 'static, C: Codec<T> + Default> TypedConnection<T, C> {
    /// Wraps a bytes connection, with the codec's default settings.
    pub fn new(conn: Connection) -> Self {
        Self::with_codec(conn, C::default())
    }
}

impl<T: Send + 'static, C: Codec<T>> TypedConnection<T, C> {
    /// Wraps a bytes connection, encoding with `codec`.
    pub fn with_codec(conn: Connection, codec: C) -> Self {
        Self {
            conn,
            codec: Arc::new(codec),
            _types: PhantomData,
        }
    }

    /// The bytes connection underneath (partition watchers, async publishers, stop watch).
    pub fn bytes(&self) -> &Connection {
        &self.conn
    }

    /// A typed sync publisher.
    ///
    /// # Errors
    /// As [`Connection::sync_publisher`].
    pub async fn sync_publisher(
        &self,
        topic: &str,
        partitioner: Partitioner,
    ) -> Result<TypedPublisher<T, C>, KafkaError> {
        let inner = self.conn.sync_publisher(topic, partitioner).await?;
        Ok(TypedPublisher {
            inner,
            codec: Arc::clone(&self.codec),
            _types: PhantomData,
        })
    }

    /// A typed async publisher: `send` encodes and queues; the outcome goes to `callbacks`
    /// (their [`Record`] holds the encoded payload).
    ///
    /// # Errors
    /// As [`Connection::async_publisher`].
    pub async fn async_publisher(
        &self,
        topic: &str,
        partitioner: Partitioner,
        callbacks: Callbacks,
    ) -> Result<TypedAsyncPublisher<T, C>, KafkaError> {
        let inner = self
            .conn
            .async_publisher(topic, partitioner, callbacks)
            .await?;
        Ok(TypedAsyncPublisher {
            inner,
            codec: Arc::clone(&self.codec),
            _types: PhantomData,
        })
    }

    /// The handler for the bytes layer: decodes, then runs `handle`. A payload that does not
    /// decode is logged as [`KafkaError::Decode`] (naming topic, partition, offset and key;
    /// its source the message and field) and skipped, so consumption goes on; it counts as
    /// handled (a retry cannot fix it).
    pub fn handler<F, Fut>(&self, handle: F) -> Handler
    where
        F: Fn(TypedMessage<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let handle = Arc::new(handle);
        let codec = Arc::clone(&self.codec);
        Handler::new(move |raw: Message| {
            let decoded = decode(&*codec, &raw);
            let handle = handle.clone();
            async move {
                match decoded {
                    Ok(value) => handle(TypedMessage { value, raw }).await,
                    Err(err) => {
                        tracing::error!(target: LOG, error = %ErrorChain(&err), "message skipped");
                        Ok(())
                    }
                }
            }
        })
    }

    /// Watches `topic` in the group, decoding each message (see [`handler`](Self::handler)).
    ///
    /// # Errors
    /// As [`Connection::watch`].
    pub fn watch<F, Fut>(&self, topic: &str, handle: F) -> Result<(), KafkaError>
    where
        F: Fn(TypedMessage<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.conn.watch(topic, self.handler(handle))
    }

    /// Watches one partition from `offset`, decoding each message.
    ///
    /// # Errors
    /// As [`Connection::watch_partition`].
    pub fn watch_partition<F, Fut>(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        handle: F,
    ) -> Result<(), KafkaError>
    where
        F: Fn(TypedMessage<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.conn
            .watch_partition(topic, partition, offset, self.handler(handle))
    }
}

/// A sync publisher of typed values.
pub struct TypedPublisher<T, C> {
    inner: SyncPublisher,
    codec: Arc<C>,
    _types: PhantomData<Marker<T, C>>,
}

impl<T, C> std::fmt::Debug for TypedPublisher<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedPublisher")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<T, C: Codec<T>> TypedPublisher<T, C> {
    /// Encodes and publishes `value` with an optional string key (as upstream).
    ///
    /// # Errors
    /// [`KafkaError::Encode`], or as [`SyncPublisher::send`].
    pub async fn send(&self, key: Option<&str>, value: &T) -> Result<Delivered, KafkaError> {
        let record = encode(&*self.codec, self.inner.topic(), key, value)?;
        self.inner.send(record).await
    }
}

/// An async publisher of typed values: encodes, queues, and reports through its
/// [`Callbacks`] (see [`AsyncPublisher`]).
///
/// # Examples
/// ```no_run
/// use cninfra_kafka::{Callbacks, JsonConnection, Multiplexer, Partitioner};
///
/// # async fn demo(mux: Multiplexer) -> Result<(), cninfra_kafka::KafkaError> {
/// let changes: JsonConnection<serde_json::Value> =
///     JsonConnection::new(mux.connection("example"));
/// let publisher = changes
///     .async_publisher("example-changes", Partitioner::Hash, Callbacks::log_errors())
///     .await?;
/// publisher.send(Some("item-1"), &serde_json::json!({"count": 1}))?;
/// # Ok(()) }
/// ```
pub struct TypedAsyncPublisher<T, C> {
    inner: AsyncPublisher,
    codec: Arc<C>,
    _types: PhantomData<Marker<T, C>>,
}

impl<T, C> std::fmt::Debug for TypedAsyncPublisher<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedAsyncPublisher")
            .field("inner", &self.inner)
            .finish()
    }
}

impl<T, C> Clone for TypedAsyncPublisher<T, C> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            codec: Arc::clone(&self.codec),
            _types: PhantomData,
        }
    }
}

impl<T, C: Codec<T>> TypedAsyncPublisher<T, C> {
    /// Encodes and queues `value` with an optional string key; the outcome goes to the
    /// callbacks.
    ///
    /// # Errors
    /// [`KafkaError::Encode`], or as [`AsyncPublisher::send`] (then no callback runs).
    pub fn send(&self, key: Option<&str>, value: &T) -> Result<(), KafkaError> {
        self.inner
            .send(encode(&*self.codec, self.inner.topic(), key, value)?)
    }
}

/// The value of `raw` decoded with `codec`; the error names where the message is.
fn decode<T, C: Codec<T>>(codec: &C, raw: &Message) -> Result<T, KafkaError> {
    codec
        .decode(&raw.value)
        .map_err(|source| KafkaError::Decode {
            topic: raw.topic.to_string(),
            partition: raw.partition,
            offset: raw.offset,
            key: raw
                .key
                .as_deref()
                .map(|key| String::from_utf8_lossy(key).into_owned()),
            source: Box::new(source),
        })
}

/// A record of `value` encoded with `codec`, keyed by `key`.
fn encode<T, C: Codec<T>>(
    codec: &C,
    topic: &str,
    key: Option<&str>,
    value: &T,
) -> Result<Record, KafkaError> {
    let payload = codec.encode(value).map_err(|source| KafkaError::Encode {
        topic: topic.to_owned(),
        key: key.map(str::to_owned),
        source,
    })?;
    let record = Record::new(payload);
    Ok(match key {
        Some(key) => record.with_key(key.to_owned()),
        None => record,
    })
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use cninfra_ligato::vpp::l2::FibEntry;
    use cninfra_ligato::vpp::l2::fib_entry::Action;

    use super::*;

    fn message(key: Option<&'static str>, value: &'static [u8]) -> Message {
        Message {
            topic: "fibs".into(),
            partition: 2,
            offset: 41,
            key: key.map(|key| Bytes::from_static(key.as_bytes())),
            value: Bytes::from_static(value),
            tombstone: false,
            headers: Vec::new(),
        }
    }

    #[test]
    fn upstreams_proto3_json_decodes() {
        let raw = message(
            Some("bd1/mac/62:89:c6:a3:7e:3a"),
            br#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","action":"DROP"}"#,
        );
        let fib: FibEntry = decode(&ProtoJsonCodec, &raw).unwrap();
        assert_eq!(
            (fib.bridge_domain.as_str(), fib.action()),
            ("bd1", Action::Drop)
        );
    }

    #[test]
    fn a_decode_error_names_topic_offset_key_message_and_field() {
        let raw = message(
            Some("bd1/mac/62:89:c6:a3:7e:3a"),
            br#"{"bridge_domain":"bd1","action":"FORWARDX"}"#,
        );
        let err = decode::<FibEntry, _>(&ProtoJsonCodec, &raw).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"decoding the message at fibs/2@41 with key "bd1/mac/62:89:c6:a3:7e:3a" failed"#
        );
        let text = ErrorChain(&err).to_string();
        assert!(
            text.contains("`ligato.vpp.l2.FIBEntry`")
                && text.contains("field `action`")
                && text.contains("FORWARDX"),
            "{text}"
        );
        let KafkaError::Decode { key, source, .. } = err else {
            panic!("a decode error")
        };
        assert_eq!(key.as_deref(), Some("bd1/mac/62:89:c6:a3:7e:3a"));
        assert_eq!(source.path, "action");

        let err = decode::<FibEntry, _>(&ProtoBinaryCodec, &message(None, b"\x10")).unwrap_err();
        assert_eq!(err.to_string(), "decoding the message at fibs/2@41 failed");
    }
}
