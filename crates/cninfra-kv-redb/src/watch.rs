//! In-process watches: the writer publishes each commit's changes on a broadcast channel;
//! each watch stream filters them by prefix after replaying the change log.
//!
//! A watcher that lags more than the channel holds loses the oldest commits and gets a
//! [`ResyncReason::Lagged`] signal instead, so writers never wait for watchers.

use std::sync::Arc;

use cninfra_kv::{KeyChange, ResyncReason, WatchEvent, WatchStream};
use futures::{StreamExt, stream};
use parking_lot::Mutex;
use redb::{Database, ReadableDatabase};
use tokio::sync::broadcast::{self, error::RecvError};

use crate::LOG;
use crate::schema::{CHANGES, META, Meta, change_of};

/// The changes of one commit, in revision order.
pub(crate) type Commit = Arc<[KeyChange]>;

/// Where the writer publishes commits; closed with the store.
#[derive(Debug)]
pub(crate) struct Hub {
    sender: Mutex<Option<broadcast::Sender<Commit>>>,
}

impl Hub {
    /// A hub whose watchers may lag `buffer` commits behind.
    pub(crate) fn new(buffer: usize) -> Self {
        let (sender, _) = broadcast::channel(buffer.max(1));
        Self {
            sender: Mutex::new(Some(sender)),
        }
    }

    /// A receiver of every commit published from now on; `None` once closed.
    pub(crate) fn subscribe(&self) -> Option<broadcast::Receiver<Commit>> {
        self.sender
            .lock()
            .as_ref()
            .map(broadcast::Sender::subscribe)
    }

    /// Hands a commit to every watcher (none listening is fine).
    pub(crate) fn publish(&self, commit: Commit) {
        if let Some(sender) = self.sender.lock().as_ref() {
            let _ = sender.send(commit);
        }
    }

    /// Ends every watch stream once it has read what was published.
    pub(crate) fn close(&self) {
        self.sender.lock().take();
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
    receiver: broadcast::Receiver<Commit>,
    prefixes: Vec<String>,
    from_revision: Option<u64>,
) -> WatchStream {
    let after = start
        .snapshot
        .max(from_revision.map_or(0, |r| r.saturating_sub(1)));
    let live = stream::unfold(receiver, move |mut receiver| {
        let prefixes = prefixes.clone();
        async move {
            loop {
                let events: Vec<WatchEvent> = match receiver.recv().await {
                    Ok(commit) => commit
                        .iter()
                        .filter(|c| c.revision > after && matches(&prefixes, &c.key))
                        .cloned()
                        .map(WatchEvent::Change)
                        .collect(),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(target: LOG, ?prefixes, missed, "redb watcher is too slow; it lost commits and must resync");
                        vec![WatchEvent::Resync(ResyncReason::Lagged)]
                    }
                    Err(RecvError::Closed) => return None,
                };
                if !events.is_empty() {
                    return Some((stream::iter(events), receiver));
                }
            }
        }
    })
    .flatten();
    stream::iter(start.initial).chain(live).map(Ok).boxed()
}
