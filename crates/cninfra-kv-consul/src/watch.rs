//! Watches by blocking queries: one loop per watched prefix asks for the listing with
//! `?recurse&index=<last index>&wait=…`, and compares each answer with the one before.
//!
//! A key that is new or has another modify index becomes a put (with the previous value
//! when the key was known), a key that is gone a delete (with its last value). Changes
//! come in modify-index order; deletes, whose index Consul does not report, carry the
//! listing's index and come last. Blocking queries see states, not every change: two
//! writes of one key between two answers arrive as one put of the latest value (the
//! previous value is the one from the answer before).
//!
//! A failed request is retried with jittered back-off; the next answer is compared with the last
//! one seen, so what changed meanwhile arrives as events. (`resync-after-reconnect` is data
//! sync's business: it follows the plugin's connection state, as for every connector.) An
//! index that goes backwards (the server lost or restored its data) sends
//! [`ResyncReason::Reconnected`] and the new listing becomes the base, as Consul's
//! documentation asks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::watch::{Backoff, EventSender, Sent, event_channel, minimal_prefixes};
use cninfra_kv::{
    ChangeKind, DEFAULT_WATCH_BUFFER, KeyChange, KvError, ResyncReason, WatchEvent, WatchStream,
};

use tokio_util::sync::CancellationToken;

use crate::api::{Api, Entry};
use crate::keys;

/// How long one blocking query waits for a change.
const WAIT: Duration = Duration::from_secs(60);
/// First and longest pause between two attempts after a failure.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));

type Sender = EventSender<Result<WatchEvent, KvError>>;

/// Opens a watch: reads each prefix once (the base the changes are found against), then
/// starts the loops. Every change committed after this returns is reported.
/// The loops stop when `closed` is cancelled (the store closed) or the stream is dropped.
pub(crate) async fn start(
    api: Arc<Api>,
    closed: CancellationToken,
    prefixes: &[&str],
) -> Result<WatchStream, KvError> {
    let (sender, receiver) = event_channel(DEFAULT_WATCH_BUFFER);
    let mut loops = Vec::new();
    // No change is reported twice: a key is under one of these prefixes at most.
    for prefix in minimal_prefixes(prefixes) {
        let (index, entries) = api.list(&prefix, None).await?;
        loops.push(PrefixWatch {
            api: Arc::clone(&api),
            closed: closed.clone(),
            sender: sender.clone(),
            known: known(entries),
            index,
            prefix,
        });
    }
    for watch in loops {
        tokio::spawn(watch.run());
    }
    Ok(receiver.into_watch_stream())
}

fn known(entries: Vec<Entry>) -> BTreeMap<String, (Bytes, u64)> {
    entries
        .into_iter()
        .map(|e| (e.key, (e.value, e.modify_index)))
        .collect()
}

struct PrefixWatch {
    api: Arc<Api>,
    closed: CancellationToken,
    sender: Sender,
    prefix: String,
    /// The last listing: Consul key → (value, modify index).
    known: BTreeMap<String, (Bytes, u64)>,
    index: u64,
}

impl PrefixWatch {
    async fn run(mut self) {
        let closed = self.closed.clone();
        let mut failing = false;
        let mut backoff = Backoff::new(BACKOFF.0, BACKOFF.1);
        loop {
            // Consul's advice: never block with index 0, which answers at once.
            let since = self.index.max(1);
            let answer = tokio::select! {
                () = closed.cancelled() => return,
                () = self.sender.closed() => return,
                answer = self.api.list(&self.prefix, Some((since, WAIT))) => answer,
            };
            match answer {
                Ok((index, entries)) => {
                    if failing {
                        failing = false;
                        backoff.reset();
                        tracing::info!(target: crate::LOG, prefix = %self.prefix, "watch works again");
                    }
                    if index < self.index {
                        tracing::warn!(target: crate::LOG, prefix = %self.prefix, from = self.index, to = index, "consul index went backwards; asking for a resync");
                        self.emit(Ok(WatchEvent::Resync(ResyncReason::Reconnected)));
                    }
                    self.compare(index, entries);
                    self.index = index;
                }
                Err(err) => {
                    if !failing {
                        tracing::warn!(target: crate::LOG, prefix = %self.prefix, error = %err, "watch request failed; retrying");
                        if !err.is_retryable() {
                            self.emit(Err(err));
                        }
                        failing = true;
                    }
                    tokio::select! {
                        () = closed.cancelled() => return,
                        () = self.sender.closed() => return,
                        () = tokio::time::sleep(backoff.next_delay()) => {}
                    }
                }
            }
        }
    }

    /// Reports the differences between the last listing and `entries`, then keeps these.
    fn compare(&mut self, index: u64, entries: Vec<Entry>) {
        let mut previous = std::mem::take(&mut self.known);
        let mut changes = Vec::new();
        for entry in entries {
            let prev = previous.remove(&entry.key);
            let changed = prev.as_ref().is_none_or(|(value, modified)| {
                *modified != entry.modify_index || *value != entry.value
            });
            if changed {
                changes.push(KeyChange {
                    key: keys::from_consul(entry.key.clone(), &self.prefix),
                    kind: ChangeKind::Put,
                    value: entry.value.clone(),
                    prev_value: prev.map(|(value, _)| value),
                    revision: entry.modify_index,
                });
            }
            self.known
                .insert(entry.key, (entry.value, entry.modify_index));
        }
        for (key, (value, _)) in previous {
            changes.push(KeyChange {
                key: keys::from_consul(key, &self.prefix),
                kind: ChangeKind::Delete,
                value: Bytes::new(),
                prev_value: Some(value),
                revision: index,
            });
        }
        changes.sort_by(|a, b| (a.revision, &a.key).cmp(&(b.revision, &b.key)));
        for change in changes {
            self.emit(Ok(WatchEvent::Change(change)));
        }
    }

    /// Queues an item without waiting; a consumer too far behind loses what is queued and
    /// reads a [`ResyncReason::Lagged`] first (the policy of [`event_channel`]).
    fn emit(&self, item: Result<WatchEvent, KvError>) {
        if let Ok(Sent::Overflowed { dropped }) = self.sender.send(item) {
            tracing::warn!(target: crate::LOG, prefix = %self.prefix, dropped, "watcher fell behind; dropped its queued events and asks for a resync");
        }
    }
}
