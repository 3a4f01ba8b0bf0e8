//! Publishers: [`SyncPublisher`] (waits for all in-sync replicas) and [`AsyncPublisher`]
//! (leader ack, result through [`Callbacks`] run by the client's delivery reports).

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::ClientContext;
use rdkafka::Message as _;
use rdkafka::message::{DeliveryResult, Header, OwnedHeaders};
use rdkafka::producer::{
    BaseRecord, FutureProducer, FutureRecord, ProducerContext, ThreadedProducer,
};

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
    let mut out = FutureRecord::to(topic);
    if !record.tombstone {
        out = out.payload(record.value.as_ref());
    }
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

/// The client of the async publishers: librdkafka calls [`delivery`](ProducerContext::delivery)
/// on the producer's polling thread for each message, with the message's [`Report`].
pub(crate) type AsyncProducer = ThreadedProducer<Reporter>;

/// What a finished async delivery is reported to.
pub(crate) struct Report {
    record: Record,
    callbacks: Callbacks,
    topic: Arc<str>,
}

/// Runs the [`Callbacks`] of each finished async delivery.
#[derive(Debug)]
pub(crate) struct Reporter;

impl ClientContext for Reporter {}

impl ProducerContext for Reporter {
    type DeliveryOpaque = Box<Report>;

    fn delivery(&self, result: &DeliveryResult<'_>, report: Box<Report>) {
        let Report {
            record,
            callbacks,
            topic,
        } = *report;
        // A panicking callback must not stop the polling thread (and every later report).
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| match result {
            Ok(msg) => (callbacks.on_success)(
                Delivered {
                    partition: msg.partition(),
                    offset: msg.offset(),
                },
                record,
            ),
            Err((source, _)) => (callbacks.on_error)(
                KafkaError::Produce {
                    topic: topic.to_string(),
                    source: source.clone(),
                },
                record,
            ),
        }));
        if ran.is_err() {
            tracing::error!(target: LOG, %topic, "an async delivery callback panicked");
        }
    }
}

/// Publishes to one topic without waiting: the leader's ack (`acks=1`) or the failure arrives
/// later through the [`Callbacks`], exactly once per message. Messages that time out (the
/// configured `timeout`) while the broker is away are reported as errors, never dropped
/// silently.
///
/// The callbacks run on the client's delivery thread, outside the tokio runtime: keep them
/// short and non-blocking (hand longer work to a channel; `tokio::spawn` needs a runtime
/// handle there). A panic in a callback is caught and logged.
#[derive(Clone)]
pub struct AsyncPublisher {
    producer: Arc<AsyncProducer>,
    topic: Arc<str>,
    picker: Arc<Picker>,
    callbacks: Callbacks,
}

impl AsyncPublisher {
    pub(crate) fn new(
        producer: Arc<AsyncProducer>,
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
        // librdkafka copies key and payload; the record itself travels with the report.
        let (key, value) = (record.key.clone(), record.value.clone());
        let headers = headers_of(&record);
        let payload = (!record.tombstone).then_some(value.as_ref());
        let report = Box::new(Report {
            record,
            callbacks: self.callbacks.clone(),
            topic: self.topic.clone(),
        });
        let mut out: BaseRecord<'_, [u8], [u8], Box<Report>> =
            BaseRecord::with_opaque_to(&self.topic, report);
        out.payload = payload;
        out.key = key.as_deref();
        out.headers = headers;
        out.partition = self.picker.pick();
        self.producer
            .send(out)
            .map_err(|(source, _)| KafkaError::Produce {
                topic: self.topic.to_string(),
                source,
            })
    }

    /// Waits (within `limit`) until every queued message was delivered or failed.
    ///
    /// # Errors
    /// [`KafkaError::Produce`] when time ran out first.
    pub async fn flush(&self, limit: Duration) -> Result<(), KafkaError> {
        let producer = self.producer.clone();
        let topic = self.topic.to_string();
        tokio::task::spawn_blocking(move || rdkafka::producer::Producer::flush(&*producer, limit))
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
