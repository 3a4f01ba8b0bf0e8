//! The data of the memory store: values, revisions, history, TTL deadlines and watchers.
//! Every method runs under the store's lock; the caller picks read or write.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use super::queue::{Item, WatchQueue};
use crate::txn::TxnOp;
use crate::watch::{ChangeKind, KeyChange, ResyncReason, WatchStream};

/// A stored value.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) value: Bytes,
    pub(super) revision: u64,
    pub(super) expires_at: Option<Instant>,
    /// The lease the key is bound to; `expires_at` is then the lease's deadline.
    pub(super) lease: Option<u64>,
}

/// A granted lease: its TTL, deadline and the keys bound to it.
#[derive(Debug)]
struct Lease {
    ttl: Duration,
    deadline: Instant,
    keys: BTreeSet<String>,
}

impl Entry {
    pub(super) fn is_live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|at| at > now)
    }
}

#[derive(Debug)]
pub(super) struct State {
    pub(super) data: BTreeMap<String, Entry>,
    pub(super) revision: u64,
    /// Changes with revisions in `(compacted, revision]`, oldest first.
    history: VecDeque<Arc<KeyChange>>,
    history_limit: usize,
    compacted: u64,
    watchers: Vec<WatchQueue>,
    /// TTL deadlines, soonest first.
    expiries: BTreeSet<(Instant, String)>,
    leases: BTreeMap<u64, Lease>,
    last_lease: u64,
    pub(super) closed: bool,
}

impl State {
    pub(super) fn new(history_limit: usize) -> Self {
        Self {
            data: BTreeMap::new(),
            revision: 0,
            history: VecDeque::new(),
            history_limit,
            compacted: 0,
            watchers: Vec::new(),
            expiries: BTreeSet::new(),
            leases: BTreeMap::new(),
            last_lease: 0,
            closed: false,
        }
    }

    /// Up to `limit` live entries under `prefix` with keys after `after`, projected by `f`.
    pub(super) fn page<T>(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: usize,
        f: fn(&str, &Entry) -> T,
    ) -> Vec<T> {
        let start = after.map_or(Bound::Included(prefix), Bound::Excluded);
        let now = Instant::now();
        self.data
            .range::<str, _>((start, Bound::Unbounded))
            .take_while(|(key, _)| key.starts_with(prefix))
            .filter(|(_, entry)| entry.is_live(now))
            .take(limit)
            .map(|(key, entry)| f(key, entry))
            .collect()
    }

    /// The soonest TTL deadline.
    pub(super) fn next_expiry(&self) -> Option<Instant> {
        self.expiries.first().map(|(at, _)| *at)
    }

    /// Deletes every key whose TTL passed, each as its own change.
    pub(super) fn expire_due(&mut self, now: Instant) {
        while let Some((at, _)) = self.expiries.first() {
            if *at > now {
                break;
            }
            let Some((_, key)) = self.expiries.pop_first() else {
                break;
            };
            if let Some(entry) = self.data.remove(&key) {
                self.detach(&key, entry.lease);
                let revision = self.revision + 1;
                tracing::debug!(%key, revision, "memory store key expired");
                self.record(
                    key,
                    ChangeKind::Delete,
                    Bytes::new(),
                    Some(entry.value),
                    revision,
                );
            }
        }
        self.expire_leases(now);
    }

    /// Forgets the leases whose deadline passed (their keys expired with them).
    fn expire_leases(&mut self, now: Instant) {
        if self.leases.values().any(|l| l.deadline <= now) {
            self.leases.retain(|_, l| l.deadline > now);
        }
    }

    /// The live entry of `key`.
    pub(super) fn live(&self, key: &str, now: Instant) -> Option<&Entry> {
        self.data.get(key).filter(|entry| entry.is_live(now))
    }

    /// Whether `lease` exists and has not expired.
    pub(super) fn has_lease(&self, lease: u64, now: Instant) -> bool {
        self.leases.get(&lease).is_some_and(|l| l.deadline > now)
    }

    /// Grants a lease of `ttl`.
    pub(super) fn grant_lease(&mut self, ttl: Duration, now: Instant) -> u64 {
        self.last_lease += 1;
        let lease = Lease {
            ttl,
            deadline: now + ttl,
            keys: BTreeSet::new(),
        };
        self.leases.insert(self.last_lease, lease);
        self.last_lease
    }

    /// Moves the deadline of `lease` (and of its keys) one TTL past `now`; false when it
    /// is gone.
    pub(super) fn keep_lease_alive(&mut self, id: u64, now: Instant) -> bool {
        if !self.has_lease(id, now) {
            self.leases.remove(&id);
            return false;
        }
        let Some(lease) = self.leases.get_mut(&id) else {
            return false;
        };
        lease.deadline = now + lease.ttl;
        let deadline = lease.deadline;
        for key in &lease.keys {
            if let Some(entry) = self.data.get_mut(key) {
                if let Some(at) = entry.expires_at.replace(deadline) {
                    self.expiries.remove(&(at, key.clone()));
                }
                self.expiries.insert((deadline, key.clone()));
            }
        }
        true
    }

    /// Ends `lease` and deletes its keys at `revision`; false when it was gone.
    pub(super) fn revoke_lease(&mut self, id: u64, revision: u64, now: Instant) -> bool {
        let alive = self.has_lease(id, now);
        let Some(lease) = self.leases.remove(&id) else {
            return false;
        };
        for key in lease.keys {
            self.delete(&key, false, revision);
        }
        alive
    }

    /// Removes `key` from the key set of `lease`.
    fn detach(&mut self, key: &str, lease: Option<u64>) {
        if let Some(lease) = lease.and_then(|id| self.leases.get_mut(&id)) {
            lease.keys.remove(key);
        }
    }

    /// Stores a value at `revision`, expiring after `ttl` or with `lease` (which the
    /// caller checked exists).
    pub(super) fn put(
        &mut self,
        key: &str,
        value: Bytes,
        ttl: Option<Duration>,
        lease: Option<u64>,
        revision: u64,
        now: Instant,
    ) {
        let lease_deadline = lease.and_then(|id| self.leases.get_mut(&id)).map(|lease| {
            lease.keys.insert(key.to_owned());
            lease.deadline
        });
        let expires_at = lease_deadline.or(ttl.map(|ttl| now + ttl));
        let new_entry = Entry {
            value: value.clone(),
            revision,
            expires_at,
            lease,
        };
        let prev = match self.data.get_mut(key) {
            Some(entry) => Some(std::mem::replace(entry, new_entry)),
            None => {
                self.data.insert(key.to_owned(), new_entry);
                None
            }
        };
        if let Some(at) = prev.as_ref().and_then(|p| p.expires_at) {
            self.expiries.remove(&(at, key.to_owned()));
        }
        if let Some(old_lease) = prev.as_ref().and_then(|p| p.lease)
            && Some(old_lease) != lease
        {
            self.detach(key, Some(old_lease));
        }
        if let Some(at) = expires_at {
            self.expiries.insert((at, key.to_owned()));
        }
        self.record(
            key.to_owned(),
            ChangeKind::Put,
            value,
            prev.map(|p| p.value),
            revision,
        );
    }

    /// Deletes `key` (or all keys under it) at `revision`; true when anything existed.
    pub(super) fn delete(&mut self, key: &str, prefix: bool, revision: u64) -> bool {
        let keys: Vec<String> = if prefix {
            self.data
                .range::<str, _>((Bound::Included(key), Bound::Unbounded))
                .map(|(k, _)| k)
                .take_while(|k| k.starts_with(key))
                .cloned()
                .collect()
        } else if self.data.contains_key(key) {
            vec![key.to_owned()]
        } else {
            Vec::new()
        };
        let mut deleted = false;
        for key in keys {
            if let Some(entry) = self.data.remove(&key) {
                if let Some(at) = entry.expires_at {
                    self.expiries.remove(&(at, key.clone()));
                }
                self.detach(&key, entry.lease);
                deleted = true;
                self.record(
                    key,
                    ChangeKind::Delete,
                    Bytes::new(),
                    Some(entry.value),
                    revision,
                );
            }
        }
        deleted
    }

    /// Applies validated transaction ops at one revision.
    pub(super) fn apply_txn(&mut self, ops: Vec<TxnOp>, now: Instant) -> u64 {
        let revision = self.revision + 1;
        for op in ops {
            match op {
                TxnOp::Put {
                    key,
                    value,
                    options,
                } => self.put(
                    &key,
                    value,
                    options.ttl,
                    options.lease.map(|l| l.0),
                    revision,
                    now,
                ),
                TxnOp::Delete { key, options } => {
                    self.delete(&key, options.prefix, revision);
                }
            }
        }
        self.revision
    }

    /// Records a change: bumps the revision, feeds watchers and keeps it in the history.
    fn record(
        &mut self,
        key: String,
        kind: ChangeKind,
        value: Bytes,
        prev_value: Option<Bytes>,
        revision: u64,
    ) {
        self.revision = revision;
        let change = Arc::new(KeyChange {
            key,
            kind,
            value,
            prev_value,
            revision,
        });
        self.watchers.retain(|w| !w.is_abandoned());
        for watcher in &self.watchers {
            watcher.offer(&change);
        }
        self.history.push_back(change);
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted = old.revision;
            }
        }
    }

    /// Registers a watcher, with the history it asked for queued first.
    pub(super) fn add_watcher(
        &mut self,
        prefixes: Vec<String>,
        from_revision: Option<u64>,
        buffer: usize,
    ) -> WatchStream {
        let mut initial = VecDeque::new();
        let mut min_revision = 0;
        if let Some(requested) = from_revision.map(|r| r.max(1)) {
            if requested <= self.compacted {
                initial.push_back(Item::Resync(ResyncReason::Compacted {
                    requested,
                    compacted: self.compacted,
                }));
            } else {
                min_revision = requested;
                initial.extend(
                    self.history
                        .iter()
                        .filter(|c| {
                            c.revision >= requested
                                && prefixes.iter().any(|p| c.key.starts_with(p.as_str()))
                        })
                        .map(|c| Item::Change(Arc::clone(c))),
                );
            }
        }
        let (queue, stream) = WatchQueue::new(prefixes, min_revision, initial, buffer);
        self.watchers.push(queue);
        stream
    }

    /// Forgets the history up to and including `revision` (capped at the current one).
    pub(super) fn compact(&mut self, revision: u64) {
        let revision = revision.min(self.revision);
        while self.history.front().is_some_and(|c| c.revision <= revision) {
            self.history.pop_front();
        }
        self.compacted = self.compacted.max(revision);
    }

    /// Marks the store closed and ends every watch stream.
    pub(super) fn close(&mut self) {
        self.closed = true;
        for watcher in self.watchers.drain(..) {
            watcher.close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_entries_are_hidden_before_they_are_removed() {
        let mut state = State::new(10);
        let now = Instant::now();
        let past = now.checked_sub(Duration::from_secs(2)).unwrap();
        state.put(
            "gone",
            Bytes::from_static(b"v"),
            Some(Duration::from_secs(1)),
            None,
            1,
            past,
        );
        state.put("here", Bytes::from_static(b"v"), None, None, 2, past);
        let keys = state.page("", None, 10, |key, _| key.to_owned());
        assert_eq!(keys, ["here"]);
        assert!(state.data.contains_key("gone"), "not removed yet");
        state.expire_due(now);
        assert!(!state.data.contains_key("gone"));
        assert_eq!(state.revision, 3, "the expiry is a change of its own");
    }

    #[test]
    fn history_limit_zero_keeps_nothing_but_counts_compaction() {
        let mut state = State::new(0);
        state.put("a", Bytes::from_static(b"v"), None, None, 1, Instant::now());
        assert!(state.history.is_empty());
        assert_eq!(state.compacted, 1);
    }
}
