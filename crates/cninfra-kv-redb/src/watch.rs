//! In-process watches: the writer hands each commit's changes to the queue of every
//! watcher; each watch stream filters them by prefix after replaying the change log.
//!
//! The queues are [`event_channel`]s holding up to `watch-buffer` commits, with their
//! policy: writers never wait for watchers, and a watcher that lags further loses the
//! queued commits and gets a [`ResyncReason::Lagged`] signal before the later ones.

use std::sync::Arc;

use cninfra_kv::watch::{EventReceiver, EventSender, Received, event_channel};
use cninfra_kv::{KeyChange, ResyncReason, WatchEvent, WatchStream};
use futures::{StreamExt, stream};
use parking_lot::Mutex;
use redb::{Database, ReadableDatabase};

use crate::LOG;
use crate::schema::{CHANGES, META, Meta, change_of};

/// The changes of one commit, in revision order.
pub(crate) type Commit = Arc<[KeyChange]>;

/// Where the writer publishes commits; closed with the store.
#[derive(Debug)]
pub(crate) struct Hub {
    buffer: usize,
    /// The queue of every live watcher; `None` once closed.
    watchers: Mutex<Option<Vec<EventSender<Commit>>>>,
}

impl Hub {
    /// A hub whose watchers may lag `buffer` commits behind.
    pub(crate) fn new(buffer: usize) -> Self {
        Self {
            buffer,
            watchers: Mutex::new(Some(Vec::new())),
        }
    }

    /// A receiver of every commit published from now on; `None` once closed.
    pub(crate) fn subscribe(&self) -> Option<EventReceiver<Commit>> {
        let mut watchers = self.watchers.lock();
        let watchers = watchers.as_mut()?;
        let (sender, receiver) = event_channel(self.buffer);
        watchers.push(sender);
        Some(receiver)
    }

    /// Hands a commit to every watcher (none listening is fine) and forgets the watchers
    /// whose stream was dropped. Never waits: a full queue turns into a lag signal.
    pub(crate) fn publish(&self, commit: Commit) {
        if let Some(watchers) = self.watchers.lock().as_mut() {
            watchers.retain(|watcher| watcher.send(Arc::clone(&commit)).is_ok());
        }
    }

    /// Ends every watch stream once it has read what was published.
    pub(crate) fn close(&self) {
        self.watchers.lock().take();
    }
}

/// What a watch starts with, read from the file in one read transaction.
#[derive(Debug)]
pub(crate) struct Start {
    /// Replayed changes, or a resync signal when the history is gone.
    pub(crate) initial: Vec<WatchEvent>,
    /// The store revision the replay covers; live changes at or below it are skipped.
    pub(crate) snapshot: u64,
}

/// Reads the store revision and, with `from_revision`, the matching history since then.
pub(crate) fn read_start(
    db: &Database,
    prefixes: &[String],
    from_revision: Option<u64>,
) -> Result<Start, redb::Error> {
    let txn = db.begin_read()?;
    let meta = Meta::read(&txn.open_table(META)?)?;
    let mut initial = Vec::new();
    if let Some(requested) = from_revision.map(|r| r.max(1)) {
        if requested <= meta.compacted {
            initial.push(WatchEvent::Resync(ResyncReason::Compacted {
                requested,
                compacted: meta.compacted,
            }));
        } else {
            let log = txn.open_table(CHANGES)?;
            for row in log.range((requested, 0)..)? {
                let (key, value) = row?;
                let Some(change) = change_of(key.value().0, value.value()) else {
                    tracing::warn!(target: LOG, revision = key.value().0, "skipping a change-log row of unknown kind");
                    continue;
                };
                if matches(prefixes, &change.key) {
                    initial.push(WatchEvent::Change(change));
                }
            }
        }
    }
    Ok(Start {
        initial,
        snapshot: meta.revision,
    })
}

fn matches(prefixes: &[String], key: &str) -> bool {
    prefixes.iter().any(|p| key.starts_with(p.as_str()))
}

/// The watch stream: `start`'s events, then live changes under `prefixes` with revisions
/// above both the snapshot and `from_revision - 1`.
pub(crate) fn stream(
    start: Start,
    receiver: EventReceiver<Commit>,
    prefixes: Vec<String>,
    from_revision: Option<u64>,
) -> WatchStream {
    let after = start
        .snapshot
        .max(from_revision.map_or(0, |r| r.saturating_sub(1)));
    let live = receiver.flat_map(move |received| {
        let events: Vec<WatchEvent> = match received {
            Received::Item(commit) => commit
                .iter()
                .filter(|c| c.revision > after && matches(&prefixes, &c.key))
                .cloned()
                .map(WatchEvent::Change)
                .collect(),
            Received::Lagged { missed } => {
                tracing::warn!(target: LOG, ?prefixes, missed, "redb watcher is too slow; it lost commits and must resync");
                vec![WatchEvent::Resync(ResyncReason::Lagged)]
            }
        };
        stream::iter(events)
    });
    stream::iter(start.initial).chain(live).map(Ok).boxed()
}
