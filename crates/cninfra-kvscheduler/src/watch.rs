//! The value-status watch: bounded channels that never block the engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use parking_lot::Mutex;
use prometheus_client::metrics::counter::Counter;
use tokio::sync::mpsc;

use crate::state::BaseValueStatus;

/// A subscription to value-status changes (from [`Scheduler::watch_status`](crate::Scheduler::watch_status)).
///
/// The engine sends with `try_send`: when the channel is full the update is dropped and
/// counted ([`dropped`](Self::dropped), and the scheduler's stats and metrics), so a slow
/// watcher never delays transactions. After drops, read the current state with
/// [`Scheduler::status`](crate::Scheduler::status).
#[derive(Debug)]
pub struct StatusWatch {
    rx: mpsc::Receiver<BaseValueStatus>,
    dropped: Arc<AtomicU64>,
}

impl StatusWatch {
    /// The next status update; `None` once the scheduler is gone.
    pub async fn recv(&mut self) -> Option<BaseValueStatus> {
        self.rx.recv().await
    }

    /// A status update if one is waiting.
    pub fn try_recv(&mut self) -> Option<BaseValueStatus> {
        self.rx.try_recv().ok()
    }

    /// Updates dropped for this watcher because its channel was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
struct Entry {
    prefixes: Vec<String>,
    tx: mpsc::Sender<BaseValueStatus>,
    dropped: Arc<AtomicU64>,
}

/// The watchers of one scheduler.
#[derive(Debug, Default)]
pub(crate) struct Watchers {
    list: Mutex<Vec<Entry>>,
    count: AtomicUsize,
    dropped: Counter,
}

impl Watchers {
    /// Watchers counting their drops in `dropped` (shared with the metrics).
    pub(crate) fn new(dropped: Counter) -> Self {
        Self {
            dropped,
            ..Self::default()
        }
    }

    pub(crate) fn add(&self, prefixes: Vec<String>, capacity: usize) -> StatusWatch {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let mut list = self.list.lock();
        list.push(Entry {
            prefixes,
            tx,
            dropped: Arc::clone(&dropped),
        });
        self.count.store(list.len(), Ordering::Relaxed);
        StatusWatch { rx, dropped }
    }

    pub(crate) fn has_watchers(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    /// Total updates dropped over all watchers.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.get()
    }

    pub(crate) fn publish(&self, statuses: Vec<BaseValueStatus>) {
        if statuses.is_empty() {
            return;
        }
        let mut list = self.list.lock();
        list.retain(|entry| {
            for status in &statuses {
                let key = &status.value.key;
                if !entry.prefixes.is_empty()
                    && !entry.prefixes.iter().any(|p| key.starts_with(p.as_str()))
                {
                    continue;
                }
                match entry.tx.try_send(status.clone()) {
                    Ok(()) => {}
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        entry.dropped.fetch_add(1, Ordering::Relaxed);
                        self.dropped.inc();
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => return false,
                }
            }
            true
        });
        self.count.store(list.len(), Ordering::Relaxed);
    }
}
