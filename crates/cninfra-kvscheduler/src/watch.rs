//! The value-status watch: bounded queues that never block the engine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use cninfra_kv::watch::{EventReceiver, EventSender, Received, Sent, event_channel};
use parking_lot::Mutex;
use prometheus_client::metrics::counter::Counter;

use crate::state::BaseValueStatus;

/// One item of a [`StatusWatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusUpdate {
    /// The status of a watched base value changed.
    Changed(BaseValueStatus),
    /// The watcher fell behind: `missed` updates were dropped before the ones that follow.
    /// Read the current state with [`Scheduler::status`](crate::Scheduler::status) or
    /// [`Scheduler::statuses`](crate::Scheduler::statuses), then go on.
    Lagged {
        /// How many updates were dropped.
        missed: u64,
    },
}

impl StatusUpdate {
    /// The new status, unless this is a lag signal.
    pub fn status(&self) -> Option<&BaseValueStatus> {
        match self {
            Self::Changed(status) => Some(status),
            Self::Lagged { .. } => None,
        }
    }
}

impl From<Received<BaseValueStatus>> for StatusUpdate {
    fn from(received: Received<BaseValueStatus>) -> Self {
        match received {
            Received::Item(status) => Self::Changed(status),
            Received::Lagged { missed } => Self::Lagged { missed },
        }
    }
}

/// A subscription to value-status changes (from [`Scheduler::watch_status`](crate::Scheduler::watch_status)).
///
/// The engine never waits for a watcher. The queue follows the overflow policy of
/// [`cninfra_kv::watch::event_channel`]: when it is full, the updates it holds are dropped
/// and counted ([`dropped`](Self::dropped), and the scheduler's stats and metrics), and the
/// watcher receives [`StatusUpdate::Lagged`] before the updates that follow. Nothing is
/// dropped without that signal.
#[derive(Debug)]
pub struct StatusWatch {
    rx: EventReceiver<BaseValueStatus>,
    dropped: Arc<AtomicU64>,
}

impl StatusWatch {
    /// The next status update or lag signal; `None` once the scheduler is gone.
    pub async fn recv(&mut self) -> Option<StatusUpdate> {
        self.rx.recv().await.map(StatusUpdate::from)
    }

    /// A status update or lag signal if one is waiting.
    pub fn try_recv(&mut self) -> Option<StatusUpdate> {
        self.rx.try_recv().ok().map(StatusUpdate::from)
    }

    /// Updates dropped for this watcher because its queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
struct Entry {
    prefixes: Vec<String>,
    tx: EventSender<BaseValueStatus>,
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
        let (tx, rx) = event_channel(capacity);
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
                match entry.tx.send(status.clone()) {
                    Ok(Sent::Queued) => {}
                    Ok(Sent::Overflowed { dropped }) => {
                        let dropped = dropped as u64;
                        entry.dropped.fetch_add(dropped, Ordering::Relaxed);
                        self.dropped.inc_by(dropped);
                        tracing::warn!(target: crate::engine::LOG, prefixes = ?entry.prefixes, dropped, "status watcher fell behind; it gets a lag signal");
                    }
                    Err(_) => return false,
                }
            }
            true
        });
        self.count.store(list.len(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ValueState;

    fn status(key: &str, state: ValueState) -> BaseValueStatus {
        let mut status = BaseValueStatus::default();
        status.value.key = key.to_owned();
        status.value.state = state;
        status
    }

    #[test]
    fn a_slow_watcher_gets_a_lag_signal_before_later_updates() {
        let watchers = Watchers::new(Counter::default());
        let mut slow = watchers.add(vec!["a/".into()], 2);
        let mut fast = watchers.add(Vec::new(), 100);
        for key in ["a/1", "a/2", "b/x", "a/3", "a/4"] {
            watchers.publish(vec![status(key, ValueState::Configured)]);
        }
        // a/3 found a/1 and a/2 queued: they were dropped and counted.
        assert_eq!(slow.try_recv(), Some(StatusUpdate::Lagged { missed: 2 }));
        let keys: Vec<String> = std::iter::from_fn(|| slow.try_recv())
            .map(|u| u.status().expect("a status").value.key.clone())
            .collect();
        assert_eq!(keys, ["a/3", "a/4"]);
        assert_eq!((slow.dropped(), watchers.dropped()), (2, 2));

        watchers.publish(vec![status("a/5", ValueState::Removed)]);
        let next = slow.try_recv().expect("an update");
        assert_eq!(
            next.status().map(|s| s.value.state),
            Some(ValueState::Removed)
        );

        let fast_updates: Vec<_> = std::iter::from_fn(|| fast.try_recv()).collect();
        assert_eq!(
            fast_updates.len(),
            6,
            "a slow watcher does not affect others"
        );
        assert!(fast_updates.iter().all(|u| u.status().is_some()));
        assert_eq!(fast.dropped(), 0);
    }

    #[test]
    fn a_dropped_watch_is_forgotten() {
        let watchers = Watchers::new(Counter::default());
        drop(watchers.add(Vec::new(), 1));
        assert!(watchers.has_watchers());
        watchers.publish(vec![status("a", ValueState::Configured)]);
        assert!(!watchers.has_watchers());
    }
}
