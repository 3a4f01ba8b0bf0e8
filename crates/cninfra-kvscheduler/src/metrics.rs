//! Prometheus metrics of the scheduler (upstream's seven, plus dropped status updates).
//!
//! Registered under the `kvscheduler` prefix: `kvscheduler_txn_processed_total`,
//! `kvscheduler_txn_dropped_total`, `kvscheduler_queue_capacity`,
//! `kvscheduler_queue_length`, `kvscheduler_queue_wait_seconds`,
//! `kvscheduler_txn_process_duration_seconds`, `kvscheduler_txn_duration_seconds{txn_type}`
//! and `kvscheduler_status_updates_dropped_total`.

use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use tokio::sync::mpsc;

use crate::txn::TxnType;

type TypeLabels = Vec<(&'static str, &'static str)>;

fn seconds_histogram() -> Histogram {
    // 10 µs .. ~10 s
    Histogram::new(exponential_buckets(1e-5, 4.0, 11))
}

/// The scheduler's metrics (always kept; exported when a Prometheus plugin is given).
#[derive(Debug)]
pub(crate) struct Metrics {
    txn_processed: Counter,
    txn_dropped: Counter,
    queue_capacity: Gauge,
    queue_length: Gauge,
    queue_wait: Histogram,
    process_duration: Histogram,
    txn_duration: Family<TypeLabels, Histogram, fn() -> Histogram>,
    pub(crate) status_dropped: Counter,
}

impl Metrics {
    pub(crate) fn new(capacity: usize) -> Self {
        let metrics = Self {
            txn_processed: Counter::default(),
            txn_dropped: Counter::default(),
            queue_capacity: Gauge::default(),
            queue_length: Gauge::default(),
            queue_wait: seconds_histogram(),
            process_duration: seconds_histogram(),
            txn_duration: Family::new_with_constructor(seconds_histogram),
            status_dropped: Counter::default(),
        };
        metrics
            .queue_capacity
            .set(i64::try_from(capacity).unwrap_or(i64::MAX));
        metrics
    }

    #[cfg(feature = "rest")]
    pub(crate) fn register(&self, prometheus: &cninfra_rpc::prometheus::PrometheusPlugin) {
        prometheus.registry_mut(|registry| {
            let sub = registry.sub_registry_with_prefix("kvscheduler");
            sub.register(
                "txn_processed",
                "Transactions processed",
                self.txn_processed.clone(),
            );
            sub.register(
                "txn_dropped",
                "Transactions dropped because the queue was full",
                self.txn_dropped.clone(),
            );
            sub.register(
                "queue_capacity",
                "Capacity of the transaction queue",
                self.queue_capacity.clone(),
            );
            sub.register(
                "queue_length",
                "Transactions waiting in the queue",
                self.queue_length.clone(),
            );
            sub.register(
                "queue_wait_seconds",
                "Time transactions waited in the queue",
                self.queue_wait.clone(),
            );
            sub.register(
                "txn_process_duration_seconds",
                "Processing time of transactions",
                self.process_duration.clone(),
            );
            sub.register(
                "txn_duration_seconds",
                "Duration of transactions by type (start to stop)",
                self.txn_duration.clone(),
            );
            sub.register(
                "status_updates_dropped",
                "Value-status updates dropped because a watcher was full",
                self.status_dropped.clone(),
            );
        });
    }

    pub(crate) fn queued<T>(&self, sender: &mpsc::Sender<T>) {
        let length = sender.max_capacity() - sender.capacity();
        self.queue_length
            .set(i64::try_from(length).unwrap_or(i64::MAX));
    }

    pub(crate) fn dequeued(&self, length: usize) {
        self.queue_length
            .set(i64::try_from(length).unwrap_or(i64::MAX));
    }

    pub(crate) fn dropped(&self) {
        self.txn_dropped.inc();
    }

    pub(crate) fn dropped_count(&self) -> u64 {
        self.txn_dropped.get()
    }

    pub(crate) fn observe_queue_wait(&self, waited: Duration) {
        self.queue_wait.observe(waited.as_secs_f64());
    }

    pub(crate) fn txn_processed(&self, txn_type: TxnType, processing: Duration, total: Duration) {
        self.txn_processed.inc();
        self.process_duration.observe(processing.as_secs_f64());
        self.txn_duration
            .get_or_create(&vec![("txn_type", txn_type.as_str())])
            .observe(total.as_secs_f64());
    }
}
