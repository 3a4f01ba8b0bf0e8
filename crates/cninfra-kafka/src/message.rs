//! [`Message`], [`Record`], [`Partitioner`] and the [`Handler`] type of watchers.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use cninfra_core::BoxError;
use futures::future::BoxFuture;
use rdkafka::Message as _;
use rdkafka::message::{BorrowedMessage, Headers};

/// A consumed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The topic (shared by every message of the topic: no allocation per message).
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The offset in the partition.
    pub offset: i64,
    /// The key, if any.
    pub key: Option<Bytes>,
    /// The payload (empty for a null payload).
    pub value: Bytes,
    /// True when the payload was null: a tombstone (see [`Record::tombstone`]).
    pub tombstone: bool,
    /// The headers, in order.
    pub headers: Vec<(String, Bytes)>,
}

impl Message {
    /// An owned copy of `msg`, whose topic is `topic`.
    pub(crate) fn from_borrowed(msg: &BorrowedMessage<'_>, topic: Arc<str>) -> Self {
        let headers = msg
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| {
                        (
                            h.key.to_owned(),
                            Bytes::copy_from_slice(h.value.unwrap_or_default()),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            topic,
            partition: msg.partition(),
            offset: msg.offset(),
            key: msg.key().map(Bytes::copy_from_slice),
            value: msg
                .payload()
                .map(Bytes::copy_from_slice)
                .unwrap_or_default(),
            tombstone: msg.payload().is_none(),
            headers,
        }
    }

    /// The key as UTF-8 text, if it has one and it is text.
    pub fn key_str(&self) -> Option<&str> {
        self.key
            .as_deref()
            .and_then(|k| std::str::from_utf8(k).ok())
    }
}

/// A message to publish: payload, optional key and headers.
///
/// # Examples
/// ```
/// use cninfra_kafka::Record;
/// let record = Record::new("payload").with_key("k1").with_header("trace", "abc");
/// assert_eq!(record.headers.len(), 1);
/// let deleted = Record::tombstone("k1");
/// assert!(deleted.tombstone && deleted.value.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record {
    /// The key; the hash partitioner picks the partition from it.
    pub key: Option<Bytes>,
    /// The payload.
    pub value: Bytes,
    /// Send a null payload instead of `value`: a tombstone, which tells a compacted topic
    /// to drop the key. Consumers see [`Message::tombstone`].
    pub tombstone: bool,
    /// Headers, in order.
    pub headers: Vec<(String, Bytes)>,
}

impl Record {
    /// A record with this payload, no key and no headers.
    pub fn new(value: impl Into<Bytes>) -> Self {
        Self {
            key: None,
            value: value.into(),
            tombstone: false,
            headers: Vec::new(),
        }
    }

    /// A tombstone for `key`: the key with a null payload (a delete, for compacted topics).
    pub fn tombstone(key: impl Into<Bytes>) -> Self {
        Self {
            key: Some(key.into()),
            tombstone: true,
            ..Self::default()
        }
    }

    /// Sets the key.
    #[must_use]
    pub fn with_key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Adds a header.
    #[must_use]
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// How a publisher picks the partition of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Partitioner {
    /// By a hash of the key; keyless messages go to a random partition. The default. The
    /// hash is `hash-partitioner` of `kafka.conf`: FNV-1a unless set otherwise, the same as
    /// sarama's default partitioner, so Go and Rust producers put a key in the same
    /// partition (see [`HashPartitioner`](crate::HashPartitioner)).
    #[default]
    Hash,
    /// A random partition for each message, whatever its key.
    Random,
    /// Always this partition.
    Manual(i32),
}

/// Where a message landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The partition.
    pub partition: i32,
    /// The offset in the partition.
    pub offset: i64,
}

type HandlerFn = dyn Fn(Message) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync;

/// What a watcher runs for each message. `Ok` acknowledges the message: only then is its
/// offset marked for commit. `Err` leaves it uncommitted (see the crate docs).
///
/// # Examples
/// ```
/// use cninfra_kafka::Handler;
/// let handler = Handler::new(|msg| async move {
///     tracing::info!(topic = %msg.topic, offset = msg.offset, "got it");
///     Ok(())
/// });
/// # let _ = handler;
/// ```
#[derive(Clone)]
pub struct Handler(Arc<HandlerFn>);

impl Handler {
    /// A handler from an async function.
    pub fn new<F, Fut>(handle: F) -> Self
    where
        F: Fn(Message) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        Self(Arc::new(move |msg| {
            Box::pin(handle(msg)) as BoxFuture<'static, _>
        }))
    }

    pub(crate) fn call(&self, msg: Message) -> BoxFuture<'static, Result<(), BoxError>> {
        (self.0)(msg)
    }
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Handler")
    }
}
