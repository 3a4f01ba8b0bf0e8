//! [`RedbStore`]: the [`KvStore`] on a redb file.

use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStream, KvValue, PutOptions, TxnOp,
    WatchStream, validate_key,
};
use futures::{StreamExt, stream};
use parking_lot::{Mutex, RwLock};
use redb::{Database, ReadTransaction, ReadableDatabase};
use tokio::sync::{mpsc, oneshot};

use crate::LOG;
use crate::config::RedbConfig;
use crate::error::RedbError;
use crate::open::open_database;
use crate::schema::{META, Meta, VALUES, decode_value};
use crate::watch::{self, Hub};
use crate::writer::{self, Done, Job, Settings, Write};

/// Writes that may wait for the writer thread before senders wait for room.
const QUEUE: usize = 1024;
/// Entries read per read transaction by the list streams.
const PAGE_SIZE: usize = 512;
/// A list page also ends once its values reach this many bytes.
const PAGE_BYTES: usize = 4 << 20;

/// The embedded persistent store: every key in one redb file, with a store-wide revision
/// that survives restarts, a bounded change log for watches from a past revision, and
/// watches of the changes made through this process.
///
/// - **Writes** go to one writer thread that commits whatever is queued in one redb
///   transaction, synced to disk (group commit). A write returns once it is on disk: a
///   process killed after that loses nothing. Each write has the `operation-timeout`.
/// - **Reads** (`get`, list pages, `revision`) run on the calling task: redb readers never
///   wait for the writer (MVCC) and are served from redb's page cache.
/// - **Watches** see only changes made through this store (in this process), including
///   transactions; they replay the change log from a past revision, also one from before
///   a restart.
/// - **TTLs** are not supported: a put with a TTL fails with
///   [`KvError::Unsupported`].
///
/// Clones share the store. [`close`](KvStore::close) stops the writer and releases the
/// file, so another process can open it.
///
/// # Examples
/// ```
/// use cninfra_kv::{KvStore, PutOptions};
/// use cninfra_kv_redb::{RedbConfig, RedbStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let store = RedbStore::open(RedbConfig::at(dir.path().join("kv.redb"))).await?;
/// let rev = store.put("cfg/a", "1".into(), PutOptions::default()).await?;
/// assert_eq!(store.get("cfg/a").await?.map(|v| v.revision), Some(rev));
/// store.close().await?;
///
/// // Reopened, the data and the revision are still there.
/// let store = RedbStore::open(RedbConfig::at(dir.path().join("kv.redb"))).await?;
/// assert_eq!(store.revision().await?, rev);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RedbStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    name: String,
    path: PathBuf,
    operation_timeout: Duration,
    /// `None` once closed.
    db: RwLock<Option<Arc<Database>>>,
    /// `None` once closed; dropping the last sender stops the writer thread.
    writer: Mutex<Option<mpsc::Sender<Job>>>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    hub: Arc<Hub>,
}

impl RedbStore {
    /// Opens (creating if needed) the database file of `config` and starts its writer.
    ///
    /// # Errors
    /// [`RedbError::Locked`] when another process or store holds the file beyond
    /// `lock-timeout`; [`RedbError::Open`] when the file is not a usable redb database;
    /// [`RedbError::Create`] when the file or its folder cannot be created.
    pub async fn open(config: RedbConfig) -> Result<Self, RedbError> {
        let db = Arc::new(open_database(&config).await?);
        let hub = Arc::new(Hub::new(config.watch_buffer));
        let (sender, receiver) = mpsc::channel(QUEUE);
        let settings = Settings {
            history_limit: config.history_limit,
            filter_duplicates: config.filter_duplicate_notifications,
        };
        let thread = std::thread::Builder::new()
            .name("redb-writer".to_owned())
            .spawn({
                let db = Arc::clone(&db);
                let hub = Arc::clone(&hub);
                move || writer::run(db, receiver, hub, settings)
            })
            .map_err(|source| RedbError::Thread {
                path: config.db_path.clone(),
                source,
            })?;
        let store = Self {
            shared: Arc::new(Shared {
                name: format!("redb {}", config.db_path.display()),
                path: config.db_path,
                operation_timeout: config.operation_timeout,
                db: RwLock::new(Some(db)),
                writer: Mutex::new(Some(sender)),
                thread: Mutex::new(Some(thread)),
                hub,
            }),
        };
        let revision = store.read_meta().map(|m| m.revision).unwrap_or_default();
        tracing::info!(target: LOG, path = %store.shared.path.display(), revision, "redb store open");
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    fn db(&self) -> Result<Arc<Database>, KvError> {
        self.shared.db.read().clone().ok_or_else(|| self.closed())
    }

    fn closed(&self) -> KvError {
        KvError::Closed {
            store: self.shared.name.clone(),
        }
    }

    fn backend(&self, op: &'static str, err: impl Into<redb::Error>) -> KvError {
        KvError::Backend {
            store: self.shared.name.clone(),
            op,
            source: Box::new(err.into()),
        }
    }

    fn timeout(&self, op: &'static str) -> KvError {
        KvError::Timeout {
            store: self.shared.name.clone(),
            op,
            after: self.shared.operation_timeout,
        }
    }

    /// Runs `f` in a read transaction (on the calling thread), unless the store is closed.
    fn read<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&ReadTransaction) -> Result<T, redb::Error>,
    ) -> Result<T, KvError> {
        let db = self.shared.db.read();
        let db = db.as_ref().ok_or_else(|| self.closed())?;
        let txn = db.begin_read().map_err(|e| self.backend(op, e))?;
        f(&txn).map_err(|e| self.backend(op, e))
    }

    fn read_meta(&self) -> Result<Meta, KvError> {
        self.read("revision", |txn| Ok(Meta::read(&txn.open_table(META)?)?))
    }

    /// Queues `write` for the writer and waits for its commit, within the operation timeout.
    pub(crate) async fn submit(&self, op: &'static str, write: Write) -> Result<Done, KvError> {
        let sender = self
            .shared
            .writer
            .lock()
            .clone()
            .ok_or_else(|| self.closed())?;
        let deadline = tokio::time::Instant::now() + self.shared.operation_timeout;
        let (reply, answer) = oneshot::channel();
        sender
            .send_timeout(Job { write, reply }, self.shared.operation_timeout)
            .await
            .map_err(|err| match err {
                mpsc::error::SendTimeoutError::Timeout(_) => self.timeout(op),
                mpsc::error::SendTimeoutError::Closed(_) => self.closed(),
            })?;
        match tokio::time::timeout_at(deadline, answer).await {
            Err(_) => Err(self.timeout(op)),
            Ok(Err(_)) => Err(KvError::Backend {
                store: self.shared.name.clone(),
                op,
                source: "the writer thread stopped before answering".into(),
            }),
            Ok(Ok(Err(failure))) => Err(KvError::Backend {
                store: self.shared.name.clone(),
                op,
                source: Box::new(failure),
            }),
            Ok(Ok(Ok(done))) => Ok(done),
        }
    }

    /// Up to a page of entries under `prefix` after `after`, projected by `project`.
    fn page<T>(
        &self,
        prefix: &str,
        after: Option<&str>,
        project: fn(&str, u64, &[u8]) -> T,
    ) -> Result<Vec<T>, KvError> {
        self.read("list", |txn| {
            let table = txn.open_table(VALUES)?;
            let start = after.map_or(Bound::Included(prefix), Bound::Excluded);
            let mut items = Vec::new();
            let mut bytes = 0;
            for entry in table.range::<&str>((start, Bound::Unbounded))? {
                let (key, value) = entry?;
                let key = key.value();
                if !key.starts_with(prefix) {
                    break;
                }
                let (revision, data) = decode_value(key, value.value())?;
                bytes += data.len();
                items.push(project(key, revision, data));
                if items.len() >= PAGE_SIZE || bytes >= PAGE_BYTES {
                    break;
                }
            }
            Ok(items)
        })
    }

    /// A stream over the entries under `prefix`, one read transaction per page.
    fn paged<T: Send + 'static>(
        &self,
        prefix: &str,
        project: fn(&str, u64, &[u8]) -> T,
        key_of: fn(&T) -> &str,
    ) -> KvStream<'_, T> {
        let cursor = (prefix.to_owned(), None::<String>, false);
        stream::unfold(cursor, move |(prefix, after, done)| async move {
            if done {
                return None;
            }
            let page = self.page(&prefix, after.as_deref(), project);
            let (after, done) = match &page {
                Ok(items) => match items.last() {
                    Some(last) => (Some(key_of(last).to_owned()), false),
                    None => (None, true),
                },
                Err(_) => (None, true),
            };
            Some((page, (prefix, after, done)))
        })
        .flat_map(|page| match page {
            Ok(items) => stream::iter(items.into_iter().map(Ok)).left_stream(),
            Err(err) => stream::iter([Err(err)]).right_stream(),
        })
        .boxed()
    }

    /// Refuses a TTL (naming `op`) and a lease, which redb has not.
    pub(crate) fn refuse_ttl(&self, options: &PutOptions, op: &'static str) -> Result<(), KvError> {
        match options.ttl {
            Some(_) => Err(KvError::unsupported(&self.shared.name, op)),
            None => options.check(&self.shared.name, self.capabilities()),
        }
    }
}

#[async_trait]
impl KvStore for RedbStore {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::ALL;
        caps.ttl = false;
        caps.leases = false;
        caps
    }

    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        self.read("get", |txn| {
            let Some(row) = txn.open_table(VALUES)?.get(key)? else {
                return Ok(None);
            };
            let (revision, value) = decode_value(key, row.value())?;
            Ok(Some(KvValue {
                value: Bytes::copy_from_slice(value),
                revision,
            }))
        })
    }

    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        self.paged(
            prefix,
            |key, revision, value| KvEntry {
                key: key.to_owned(),
                value: Bytes::copy_from_slice(value),
                revision,
            },
            |entry| &entry.key,
        )
    }

    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        self.paged(prefix, |key, _, _| key.to_owned(), |key| key)
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        validate_key(key)?;
        self.refuse_ttl(&options, "put with ttl")?;
        let write = Write::Put {
            key: key.to_owned(),
            value,
        };
        Ok(self.submit("put", write).await?.revision)
    }

    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        if !options.prefix {
            validate_key(key)?;
        }
        let write = Write::Delete {
            key: key.to_owned(),
            prefix: options.prefix,
        };
        Ok(self.submit("delete", write).await?.deleted)
    }

    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        for op in &ops {
            match op {
                TxnOp::Put { key, options, .. } => {
                    validate_key(key)?;
                    self.refuse_ttl(options, "txn put with ttl")?;
                }
                TxnOp::Delete { key, options } if !options.prefix => validate_key(key)?,
                TxnOp::Delete { .. } => {}
                _ => {
                    return Err(KvError::unsupported(
                        &self.shared.name,
                        "this txn operation",
                    ));
                }
            }
        }
        if ops.is_empty() {
            return self.revision().await;
        }
        Ok(self.submit("txn", Write::Txn(ops)).await?.revision)
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
        let prefixes: Vec<String> = prefixes.iter().map(|p| (*p).to_owned()).collect();
        // Subscribe first: every commit after the read below is then received.
        let receiver = self.shared.hub.subscribe().ok_or_else(|| self.closed())?;
        let db = self.db()?;
        let start = tokio::time::timeout(
            self.shared.operation_timeout,
            tokio::task::spawn_blocking({
                let prefixes = prefixes.clone();
                move || watch::read_start(&db, &prefixes, from_revision)
            }),
        )
        .await
        .map_err(|_| self.timeout("watch"))?
        .map_err(|err| KvError::Backend {
            store: self.shared.name.clone(),
            op: "watch",
            source: Box::new(err),
        })?
        .map_err(|e| self.backend("watch", e))?;
        Ok(watch::stream(start, receiver, prefixes, from_revision))
    }

    async fn revision(&self) -> Result<u64, KvError> {
        Ok(self.read_meta()?.revision)
    }

    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.swap("put_if_absent", key, None, Some(value), &options)
            .await
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.swap("compare_and_swap", key, Some(old), Some(new), &options)
            .await
    }

    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        let options = PutOptions::default();
        self.swap("compare_and_delete", key, Some(old), None, &options)
            .await
    }

    async fn close(&self) -> Result<(), KvError> {
        // The writer finishes what is queued, then its thread ends.
        drop(self.shared.writer.lock().take());
        let thread = self.shared.thread.lock().take();
        if let Some(thread) = thread {
            let joined = tokio::time::timeout(
                self.shared.operation_timeout,
                tokio::task::spawn_blocking(move || thread.join()),
            )
            .await;
            if !matches!(joined, Ok(Ok(Ok(())))) {
                tracing::warn!(target: LOG, path = %self.shared.path.display(), "the redb writer did not stop cleanly");
            }
        }
        self.shared.db.write().take();
        self.shared.hub.close();
        tracing::info!(target: LOG, path = %self.shared.path.display(), "redb store closed");
        Ok(())
    }
}
