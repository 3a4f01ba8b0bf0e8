//! [`MemoryStore`]: a complete in-process [`KvStore`] for tests, examples and caches.

mod atomic;
mod expiry;
mod queue;
mod state;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream;
use parking_lot::RwLock;
use tokio::sync::Notify;
use tokio::time::Instant;

use self::state::{Entry, State};
use crate::error::KvError;
use crate::lease::LeaseId;
use crate::store::{
    Capabilities, DeleteOptions, KvEntry, KvStore, KvStream, KvValue, PutOptions, validate_key,
};
use crate::txn::TxnOp;
use crate::watch::WatchStream;

/// How many changes the history keeps by default (for watches from a past revision).
pub const DEFAULT_HISTORY_LIMIT: usize = 10_000;
/// How many unread events a watcher may have by default before it gets a resync signal.
pub const DEFAULT_WATCH_BUFFER: usize = 4_096;
/// Entries read per lock acquisition by the list streams.
const PAGE_SIZE: usize = 512;
const NAME: &str = "memory";

/// An in-memory store with everything the API offers, etcd-like: one global revision that
/// every put, delete, expiry and transaction bumps by one; values remember their mod
/// revision; TTLs; atomic transactions; watches that replay a bounded history.
///
/// Clones share the same data. Writers never wait for watchers: each watcher has a bounded
/// queue, and a watcher that lets it fill up loses the queued events and gets
/// [`ResyncReason::Lagged`](crate::ResyncReason::Lagged) instead (see the
/// [crate docs](crate#watch-and-resync-contract)). Keys past their TTL are invisible at
/// once and deleted (with a delete event) by a background task of the tokio runtime that
/// made the put, or by the next write.
///
/// # Examples
/// ```
/// use futures::StreamExt;
/// use cninfra_kv::{KvStore, MemoryStore, PutOptions, WatchEvent};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_kv::KvError> {
/// let store = MemoryStore::builder().history_limit(100).build();
/// let first = store.put("cfg/a", "1".into(), PutOptions::default()).await?;
/// store.put("cfg/a", "2".into(), PutOptions::default()).await?;
///
/// // Replay from the first revision: both puts, the second with its previous value.
/// let mut watch = store.watch(&["cfg/"], Some(first)).await?;
/// let _first_put = watch.next().await;
/// let Some(Ok(WatchEvent::Change(second))) = watch.next().await else { panic!() };
/// assert_eq!(second.prev_value.as_deref(), Some(&b"1"[..]));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MemoryStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    state: RwLock<State>,
    watch_buffer: usize,
    /// Wakes the TTL task when a deadline is added or the store goes away.
    expiry_wake: Arc<Notify>,
    expiry_task_started: std::sync::atomic::AtomicBool,
}

impl Drop for Shared {
    /// The last clone is gone: end the watch streams and the expiry task.
    fn drop(&mut self) {
        self.state.get_mut().close();
        self.expiry_wake.notify_one();
    }
}

/// Builds a [`MemoryStore`] with non-default limits.
#[derive(Debug, Clone)]
pub struct MemoryStoreBuilder {
    history_limit: usize,
    watch_buffer: usize,
}

impl MemoryStoreBuilder {
    /// How many changes to keep for watches from a past revision (default
    /// [`DEFAULT_HISTORY_LIMIT`]); older ones are compacted away. 0 keeps none.
    #[must_use]
    pub fn history_limit(mut self, changes: usize) -> Self {
        self.history_limit = changes;
        self
    }

    /// How many unread events a watcher may hold (default [`DEFAULT_WATCH_BUFFER`], at
    /// least 1) before its queue is dropped for a resync signal.
    #[must_use]
    pub fn watch_buffer(mut self, events: usize) -> Self {
        self.watch_buffer = events.max(1);
        self
    }

    /// The store.
    pub fn build(self) -> MemoryStore {
        MemoryStore {
            shared: Arc::new(Shared {
                state: RwLock::new(State::new(self.history_limit)),
                watch_buffer: self.watch_buffer,
                expiry_wake: Arc::new(Notify::new()),
                expiry_task_started: std::sync::atomic::AtomicBool::new(false),
            }),
        }
    }
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryStore {
    /// An empty store with the default limits.
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A builder for non-default limits.
    pub fn builder() -> MemoryStoreBuilder {
        MemoryStoreBuilder {
            history_limit: DEFAULT_HISTORY_LIMIT,
            watch_buffer: DEFAULT_WATCH_BUFFER,
        }
    }

    /// Forgets the history up to and including `revision`, as etcd's compaction does: a
    /// later watch from such a revision starts with a
    /// [`Compacted`](crate::ResyncReason::Compacted) resync signal.
    pub fn compact(&self, revision: u64) {
        self.shared.state.write().compact(revision);
    }

    /// Runs `f` on the state for reading, unless the store is closed.
    fn read<T>(&self, f: impl FnOnce(&State) -> T) -> Result<T, KvError> {
        let state = self.shared.state.read();
        if state.closed {
            return Err(closed());
        }
        Ok(f(&state))
    }

    /// Runs `f` on the state for writing after expiring due keys, unless the store is closed.
    fn write<T>(&self, f: impl FnOnce(&mut State, Instant) -> T) -> Result<T, KvError> {
        let now = Instant::now();
        let mut state = self.shared.state.write();
        if state.closed {
            return Err(closed());
        }
        state.expire_due(now);
        Ok(f(&mut state, now))
    }

    /// A stream over the entries under `prefix`, read `PAGE_SIZE` at a time.
    fn paged<T: Send + 'static>(
        &self,
        prefix: &str,
        project: fn(&str, &Entry) -> T,
        key_of: fn(&T) -> &str,
    ) -> KvStream<'_, T> {
        struct Cursor {
            prefix: String,
            after: Option<String>,
            done: bool,
        }
        let cursor = Cursor {
            prefix: prefix.to_owned(),
            after: None,
            done: false,
        };
        stream::unfold(cursor, move |mut cursor| async move {
            if cursor.done {
                return None;
            }
            let page = self.read(|state| {
                state.page(&cursor.prefix, cursor.after.as_deref(), PAGE_SIZE, project)
            });
            match &page {
                Ok(items) => {
                    cursor.done = items.len() < PAGE_SIZE;
                    cursor.after = items.last().map(|item| key_of(item).to_owned());
                }
                Err(_) => cursor.done = true,
            }
            Some((page, cursor))
        })
        .flat_map(|page| match page {
            Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
            Err(err) => stream::iter(vec![Err(err)]).right_stream(),
        })
        .boxed()
    }
}

/// Fails when `options` name a lease the store does not have.
fn check_lease(state: &State, options: &PutOptions, now: Instant) -> Result<(), KvError> {
    match options.lease {
        Some(lease) if !state.has_lease(lease.0, now) => Err(KvError::LeaseNotFound {
            store: NAME.to_owned(),
            lease,
        }),
        _ => Ok(()),
    }
}

fn closed() -> KvError {
    KvError::Closed {
        store: NAME.to_owned(),
    }
}

#[async_trait]
impl KvStore for MemoryStore {
    fn name(&self) -> &str {
        NAME
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::ALL
    }

    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        let now = Instant::now();
        self.read(|state| {
            state.live(key, now).map(|entry| KvValue {
                value: entry.value.clone(),
                revision: entry.revision,
            })
        })
    }

    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        self.paged(
            prefix,
            |key, entry| KvEntry {
                key: key.to_owned(),
                value: entry.value.clone(),
                revision: entry.revision,
            },
            |entry| &entry.key,
        )
    }

    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        self.paged(prefix, |key, _| key.to_owned(), |key| key)
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        self.put_when(key, value, &options, |_| true)
            .map(Option::unwrap_or_default)
    }

    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        if !options.prefix {
            validate_key(key)?;
        }
        self.write(|state, _| {
            let revision = state.revision + 1;
            state.delete(key, options.prefix, revision)
        })
    }

    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        let mut has_ttl = false;
        for op in &ops {
            match op {
                TxnOp::Put { key, options, .. } => {
                    validate_key(key)?;
                    options.check(NAME, Capabilities::ALL)?;
                    has_ttl |= options.ttl.is_some() || options.lease.is_some();
                }
                TxnOp::Delete { key, options } if !options.prefix => validate_key(key)?,
                TxnOp::Delete { .. } => {}
            }
        }
        let revision = self.write(|state, now| {
            for op in &ops {
                if let TxnOp::Put { options, .. } = op {
                    check_lease(state, options, now)?;
                }
            }
            Ok(state.apply_txn(ops, now))
        })??;
        if has_ttl {
            self.expiry_scheduled();
        }
        Ok(revision)
    }

    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        if prefixes.is_empty() {
            return Err(KvError::InvalidKey {
                key: String::new(),
                reason: "a watch needs at least one prefix (\"\" watches everything)",
            });
        }
        let prefixes = prefixes.iter().map(|p| (*p).to_owned()).collect();
        let buffer = self.shared.watch_buffer;
        self.write(|state, _| state.add_watcher(prefixes, from_revision, buffer))
    }

    async fn revision(&self) -> Result<u64, KvError> {
        self.read(|state| state.revision)
    }

    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.put_when(key, value, &options, atomic::absent)
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.put_when(key, new, &options, |entry| {
            entry.is_some_and(|entry| entry.value == old)
        })
    }

    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        self.delete_if(key, &old)
    }

    async fn grant_lease(&self, ttl: std::time::Duration) -> Result<LeaseId, KvError> {
        self.grant(ttl)
    }

    async fn keep_lease_alive(&self, lease: LeaseId) -> Result<bool, KvError> {
        self.refresh(lease)
    }

    async fn revoke_lease(&self, lease: LeaseId) -> Result<bool, KvError> {
        self.revoke(lease)
    }

    async fn close(&self) -> Result<(), KvError> {
        self.shared.state.write().close();
        self.shared.expiry_wake.notify_one();
        Ok(())
    }
}
