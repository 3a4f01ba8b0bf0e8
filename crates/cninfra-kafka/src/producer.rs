//! Publishers: [`SyncPublisher`] (waits for all in-sync replicas) and [`AsyncPublisher`]
//! (leader ack, result through [`Callbacks`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::LOG;
use crate::error::KafkaError;
use crate::message::{Delivered, Partitioner, Record};

/// Picks partitions: fixed, left to the client's murmur2 hash, or random over `count`.
#[derive(Debug)]
pub(crate) struct Picker {
    partitioner: Partitioner,
    count: i32,
    seed: AtomicU64,
}

impl Picker {
    pub(crate) fn new(partitioner: Partitioner, count: usize) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9E37_79B9, |d| d.subsec_nanos());
        Self {
            partitioner,
            count: i32::try_from(count).unwrap_or(i32::MAX).max(1),
            seed: AtomicU64::new(u64::from(nanos) | 1),
        }
    }

    fn pick(&self) -> Option<i32> {
        match self.partitioner {
            Partitioner::Hash => None,
            Partitioner::Manual(p) => Some(p),
            Partitioner::Random => {
                // xorshift64*: plenty for spreading messages.
                let mut x = self.seed.load(Ordering::Relaxed);
                x ^= x >> 12;
                x ^= x << 25;
                x ^= x >> 27;
                self.seed.store(x, Ordering::Relaxed);
                let r = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33;
                Some(i32::try_from(r % u64::try_from(self.count).unwrap_or(1)).unwrap_or(0))
            }
        }
    }
}

fn headers_of(record: &Record) -> Option<OwnedHeaders> {
    if record.headers.is_empty() {
        return None;
    }
    let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
    for (key, value) in &record.headers {
        headers = headers.insert(Header {
            key,
            value: Some(value.as_ref()),
        });
    }
    Some(headers)
}

fn future_record<'a>(
    topic: &'a str,
    record: &'a Record,
    partition: Option<i32>,
) -> FutureRecord<'a, [u8], [u8]> {
    let mut out = FutureRecord::to(topic).payload(record.value.as_ref());
    if let Some(key) = &record.key {
        out = out.key(key.as_ref());
    }
    if let Some(headers) = headers_of(record) {
        out = out.headers(headers);
    }
    if let Some(p) = partition {
        out = out.partition(p);
    }
    out
}

/// Publishes to one topic and waits until all in-sync replicas have the message (`acks=all`,
/// idempotent unless `idempotence: false`).
#[derive(Clone)]
pub struct SyncPublisher {
    producer: FutureProducer,
    topic: Arc<str>,
    picker: Arc<Picker>,
    timeout: Duration,
}

impl SyncPublisher {
    pub(crate) fn new(
        producer: FutureProducer,
        topic: &str,
        picker: Picker,
        timeout: Duration,
    ) -> Self {
        Self {
            producer,
            topic: topic.into(),
            picker: Arc::new(picker),
            timeout,
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Publishes and waits for the acknowledgement (within the configured `timeout`).
    ///
    /// # Errors
    /// [`KafkaError::Produce`] naming the topic when the broker refused it or time ran out.
    pub async fn send(&self, record: Record) -> Result<Delivered, KafkaError> {
        let out = future_record(&self.topic, &record, self.picker.pick());
        match self.producer.send(out, self.timeout).await {
            Ok(d) => Ok(Delivered {
                partition: d.partition,
                offset: d.offset,
            }),
            Err((source, _)) => Err(KafkaError::Produce {
                topic: self.topic.to_string(),
                source,
            }),
        }
    }
}

type SuccessFn = dyn Fn(Delivered, Record) + Send + Sync;
type ErrorFn = dyn Fn(KafkaError, Record) + Send + Sync;

/// What an [`AsyncPublisher`] calls when a delivery ends: exactly one of the two per message.
#[derive(Clone)]
pub struct Callbacks {
    on_success: Arc<SuccessFn>,
    on_error: Arc<ErrorFn>,
}

impl Callbacks {
    /// Callbacks for success and for failure.
    pub fn new(
        on_success: impl Fn(Delivered, Record) + Send + Sync + 'static,
        on_error: impl Fn(KafkaError, Record) + Send + Sync + 'static,
    ) -> Self {
        Self {
            on_success: Arc::new(on_success),
            on_error: Arc::new(on_error),
        }
    }

    /// Callbacks that only log failures (at `warn`).
    pub fn log_errors() -> Self {
        Self::new(
            |_, _| {},
            |err, _| tracing::warn!(target: LOG, error = %err, "async delivery failed"),
        )
    }
}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Callbacks")
    }
}

/// Publishes to one topic without waiting: the leader's ack (`acks=1`) or the failure arrives
/// later through the [`Callbacks`]. Messages that time out (the configured `timeout`) while
/// the broker is away are reported as errors, never dropped silently.
#[derive(Clone)]
pub struct AsyncPublisher {
    producer: FutureProducer,
    topic: Arc<str>,
    picker: Arc<Picker>,
    callbacks: Callbacks,
}

impl AsyncPublisher {
    pub(crate) fn new(
        producer: FutureProducer,
        topic: &str,
        picker: Picker,
        callbacks: Callbacks,
    ) -> Self {
        Self {
            producer,
            topic: topic.into(),
            picker: Arc::new(picker),
            callbacks,
        }
    }

    /// The topic.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Queues the message; its outcome goes to the callbacks.
    ///
    /// # Errors
    /// [`KafkaError::Produce`] when the client's queue is full or the message is invalid;
    /// then no callback runs for it.
    pub fn send(&self, record: Record) -> Result<(), KafkaError> {
        let queued = {
            let out = future_record(&self.topic, &record, self.picker.pick());
            self.producer.send_result(out).map_err(|(source, _)| source)
        };
        let future = queued.map_err(|source| KafkaError::Produce {
            topic: self.topic.to_string(),
            source,
        })?;
        let callbacks = self.callbacks.clone();
        let topic = self.topic.clone();
        tokio::spawn(async move {
            match future.await {
                Ok(Ok(d)) => (callbacks.on_success)(
                    Delivered {
                        partition: d.partition,
                        offset: d.offset,
                    },
                    record,
                ),
                Ok(Err((source, _))) => {
                    (callbacks.on_error)(
                        KafkaError::Produce {
                            topic: topic.to_string(),
                            source,
                        },
                        record,
                    );
                }
                Err(_) => (callbacks.on_error)(
                    KafkaError::Produce {
                        topic: topic.to_string(),
                        source: rdkafka::error::KafkaError::Canceled,
                    },
                    record,
                ),
            }
        });
        Ok(())
    }

    /// Waits (within `limit`) until every queued message was delivered or failed.
    ///
    /// # Errors
    /// [`KafkaError::Produce`] when time ran out first.
    pub async fn flush(&self, limit: Duration) -> Result<(), KafkaError> {
        let producer = self.producer.clone();
        let topic = self.topic.to_string();
        tokio::task::spawn_blocking(move || rdkafka::producer::Producer::flush(&producer, limit))
            .await
            .map_err(|_| KafkaError::Closed)?
            .map_err(|source| KafkaError::Produce { topic, source })
    }
}

impl std::fmt::Debug for SyncPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPublisher")
            .field("topic", &self.topic)
            .field("picker", &self.picker)
            .finish()
    }
}

impl std::fmt::Debug for AsyncPublisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncPublisher")
            .field("topic", &self.topic)
            .field("picker", &self.picker)
            .finish()
    }
}
