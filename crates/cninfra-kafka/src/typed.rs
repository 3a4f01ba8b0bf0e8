//! Typed connections: values encoded with a [`Codec`] (serde JSON or protobuf).

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use cninfra_core::BoxError;

use crate::LOG;
use crate::error::KafkaError;
use crate::message::{Delivered, Handler, Message, Partitioner, Record};
use crate::mux::Connection;
use crate::producer::{AsyncPublisher, Callbacks, SyncPublisher};

/// Turns values into payloads and back.
pub trait Codec<T>: Send + Sync + 'static {
    /// Encodes a value.
    ///
    /// # Errors
    /// The reason, as text.
    fn encode(value: &T) -> Result<Bytes, String>;
    /// Decodes a payload.
    ///
    /// # Errors
    /// The reason, as text.
    fn decode(payload: &[u8]) -> Result<T, String>;
}

/// serde JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl<T: serde::Serialize + serde::de::DeserializeOwned> Codec<T> for Json {
    fn encode(value: &T) -> Result<Bytes, String> {
        serde_json::to_vec(value)
            .map(Bytes::from)
            .map_err(|e| e.to_string())
    }
    fn decode(payload: &[u8]) -> Result<T, String> {
        serde_json::from_slice(payload).map_err(|e| e.to_string())
    }
}

/// Protobuf (prost) binary encoding.
#[derive(Debug, Clone, Copy, Default)]
pub struct Proto;

impl<T: prost::Message + Default> Codec<T> for Proto {
    fn encode(value: &T) -> Result<Bytes, String> {
        Ok(Bytes::from(value.encode_to_vec()))
    }
    fn decode(payload: &[u8]) -> Result<T, String> {
        T::decode(payload).map_err(|e| e.to_string())
    }
}

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
/// use cninfra_kafka::{Json, Multiplexer, Partitioner, TypedConnection};
///
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Order { id: u32 }
///
/// # async fn demo(mux: Multiplexer) -> Result<(), cninfra_kafka::KafkaError> {
/// let orders: TypedConnection<Order, Json> = TypedConnection::new(mux.connection("orders"));
/// orders.watch("orders", |msg| async move { println!("{}", msg.value.id); Ok(()) })?;
/// let publisher = orders.sync_publisher("orders", Partitioner::Hash).await?;
/// publisher.send(Some("o-1"), &Order { id: 1 }).await?;
/// # Ok(()) }
/// ```
pub struct TypedConnection<T, C> {
    conn: Connection,
    _types: PhantomData<Marker<T, C>>,
}

impl<T, C> std::fmt::Debug for TypedConnection<T, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedConnection")
            .field("conn", &self.conn)
            .finish()
    }
}

impl<T: Send + 'static, C: Codec<T>> TypedConnection<T, C> {
    /// Wraps a bytes connection.
    pub fn new(conn: Connection) -> Self {
        Self {
            conn,
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
            _types: PhantomData,
        })
    }

    /// The handler for the bytes layer: decodes, then runs `handle`. A payload that does not
    /// decode is logged as [`KafkaError::Decode`] (naming topic, partition and offset) and
    /// skipped, so consumption goes on; it counts as handled (a retry cannot fix it).
    pub fn handler<F, Fut>(handle: F) -> Handler
    where
        F: Fn(TypedMessage<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let handle = Arc::new(handle);
        Handler::new(move |raw: Message| {
            let handle = handle.clone();
            async move {
                match C::decode(&raw.value) {
                    Ok(value) => handle(TypedMessage { value, raw }).await,
                    Err(reason) => {
                        let err = KafkaError::Decode {
                            topic: raw.topic.to_string(),
                            partition: raw.partition,
                            offset: raw.offset,
                            reason,
                        };
                        tracing::error!(target: LOG, error = %err, "message skipped");
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
        self.conn.watch(topic, Self::handler(handle))
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
            .watch_partition(topic, partition, offset, Self::handler(handle))
    }
}

/// A sync publisher of typed values.
pub struct TypedPublisher<T, C> {
    inner: SyncPublisher,
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
        let record = encode::<T, C>(self.inner.topic(), key, value)?;
        self.inner.send(record).await
    }
}

/// An async publisher of typed values: encodes, queues, and reports through its
/// [`Callbacks`] (see [`AsyncPublisher`]).
///
/// # Examples
/// ```no_run
/// use cninfra_kafka::{Callbacks, Json, Multiplexer, Partitioner, TypedConnection};
///
/// # async fn demo(mux: Multiplexer) -> Result<(), cninfra_kafka::KafkaError> {
/// let changes: TypedConnection<serde_json::Value, Json> =
///     TypedConnection::new(mux.connection("example"));
/// let publisher = changes
///     .async_publisher("example-changes", Partitioner::Hash, Callbacks::log_errors())
///     .await?;
/// publisher.send(Some("item-1"), &serde_json::json!({"count": 1}))?;
/// # Ok(()) }
/// ```
pub struct TypedAsyncPublisher<T, C> {
    inner: AsyncPublisher,
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
            .send(encode::<T, C>(self.inner.topic(), key, value)?)
    }
}

/// A record of `value` encoded with `C`, keyed by `key`.
fn encode<T, C: Codec<T>>(topic: &str, key: Option<&str>, value: &T) -> Result<Record, KafkaError> {
    let payload = C::encode(value).map_err(|reason| KafkaError::Encode {
        topic: topic.to_owned(),
        reason,
    })?;
    let record = Record::new(payload);
    Ok(match key {
        Some(key) => record.with_key(key.to_owned()),
        None => record,
    })
}
