//! [`FileDbStore`]: the [`KvStore`] over data files.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStream, KvValue, MemoryStore,
    PutOptions, ResyncReason, TxnOp, WatchEvent, WatchStream, validate_key,
};
use futures::{StreamExt, TryStreamExt, stream};
use notify::RecommendedWatcher;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::config::FileDbConfig;
use crate::core::Core;
use crate::error::FileDbError;
use crate::format::FileProblem;
use crate::paths::{Roots, scan};
use crate::status::{Read, StatusFile};
use crate::writer::{self, Job, Write};
use crate::{LOG, STORE_NAME, watcher};

/// Writes that may wait for the writer before senders wait for room.
const QUEUE: usize = 1024;

/// The file DB: key-value data read from JSON/YAML files and folders, kept up to date by a
/// file watcher, with writes going to a status file.
///
/// - **Reads** (`get`, lists) serve the merged view in memory: every key of every data
///   file, the status file winning over configuration files and, among configuration
///   files, the last in path order.
/// - **Edits** by any editor are picked up by the file watcher (events gathered for
///   `debounce`), diffed against the file's previous content and turned into per-key puts
///   and deletes (unchanged values are not reported). A removed file deletes its keys; a
///   file that does not parse keeps its previous values and is reported with file and
///   line ([`problems`](Self::problems) and an error log).
/// - **Writes** rewrite the status file atomically and return once it is synced. A delete
///   of a key that a configuration file defines fails with [`KvError::Unsupported`]:
///   those files are read-only here.
/// - **Revisions** count changes in this process, starting at the load time in
///   microseconds since the Unix epoch; a revision from an earlier run is below them, so
///   a watch from it starts with [`ResyncReason::Compacted`].
/// - **TTLs** are refused with [`KvError::Unsupported`].
///
/// # Examples
/// ```
/// use cninfra_kv::{KvStore, PutOptions};
/// use cninfra_kv_filedb::{FileDbConfig, FileDbStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("data"))?;
/// std::fs::write(
///     dir.path().join("data/interfaces.yaml"),
///     "data:\n  - key: /vnf-agent/vpp1/config/if/eth0\n    value: {mtu: 1500}\n",
/// )?;
/// let store = FileDbStore::open(FileDbConfig {
///     configuration_paths: vec![dir.path().join("data")],
///     status_path: dir.path().join("status.yaml"),
///     ..FileDbConfig::default()
/// })
/// .await?;
/// let eth0 = store.get("/vnf-agent/vpp1/config/if/eth0").await?.expect("in the file");
/// assert_eq!(eth0.value, r#"{"mtu":1500}"#);
///
/// store.put("/vnf-agent/vpp1/status/up", "true".into(), PutOptions::default()).await?;
/// let status = std::fs::read_to_string(dir.path().join("status.yaml"))?;
/// assert!(status.contains("/vnf-agent/vpp1/status/up"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileDbStore {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    core: Arc<Core>,
    /// External revision = `base` + the merged view's revision.
    base: u64,
    /// `None` once closed (or without a status file); dropping it stops the writer.
    writer: Mutex<Option<mpsc::Sender<Job>>>,
    /// `None` once closed; dropping it stops the watcher task.
    watcher: Mutex<Option<RecommendedWatcher>>,
    writable: bool,
}

impl FileDbStore {
    /// Reads every configured data file and the status file, and starts watching them.
    ///
    /// # Errors
    /// [`FileDbError::ConfigurationPath`] when a configured path does not exist,
    /// [`FileDbError::MalformedStatus`] when the status file does not parse (data files
    /// that do not parse are only reported), [`FileDbError::Status`] when the status file
    /// cannot be created, [`FileDbError::Watch`] when the watcher cannot start.
    pub async fn open(config: FileDbConfig) -> Result<Self, FileDbError> {
        let timeout = config.operation_timeout;
        let load = tokio::task::spawn_blocking(move || load(&config).map(|l| (l, config)));
        let (loaded, config) = tokio::time::timeout(timeout, load)
            .await
            .map_err(|_| FileDbError::LoadTimeout { after: timeout })?
            .map_err(FileDbError::Interrupted)??;
        let memory = MemoryStore::builder()
            .history_limit(config.history_limit)
            .watch_buffer(config.watch_buffer)
            .build();
        let writable = loaded.status.is_some();
        let core = Arc::new(Core::new(memory, loaded.roots, loaded.status, timeout));
        {
            let mut sources = core.sources.lock().await;
            for problem in loaded.found.problems {
                core.report(problem);
            }
            let mut ops = sources.update_files(loaded.found.updates);
            if let Some((content, digest)) = loaded.status_content {
                ops.extend(sources.replace_status(content, digest));
            }
            if !ops.is_empty() {
                // The view was just made and is not closed, so this cannot fail.
                if let Err(err) = core.memory.txn(ops).await {
                    tracing::error!(target: LOG, error = %err, "loading the data into memory failed");
                }
            }
        }
        let base = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX / 2));
        tokio::spawn(watcher::run(
            Arc::clone(&core),
            loaded.events,
            config.debounce,
        ));
        let (sender, jobs) = mpsc::channel(QUEUE);
        tokio::spawn(writer::run(Arc::clone(&core), jobs));
        let keys = core
            .memory
            .list_keys("")
            .try_collect::<Vec<_>>()
            .await
            .map_or(0, |k| k.len());
        tracing::info!(target: LOG, keys, problems = core.problems().len(), "file DB loaded");
        Ok(Self {
            shared: Arc::new(Shared {
                core,
                base,
                writer: Mutex::new(writable.then_some(sender)),
                watcher: Mutex::new(Some(loaded.watcher)),
                writable,
            }),
        })
    }

    /// The data files whose latest content could not be used (their previous values are
    /// kept), each with file, line and message; empty when every file is fine.
    pub fn problems(&self) -> Vec<FileProblem> {
        self.shared.core.problems()
    }

    /// The status file, if writes are enabled.
    pub fn status_path(&self) -> Option<&Path> {
        self.shared.core.status.as_ref().map(|s| s.path.as_path())
    }

    fn shift(&self, revision: u64) -> u64 {
        self.shared.base + revision
    }

    fn closed(&self) -> KvError {
        KvError::Closed {
            store: STORE_NAME.to_owned(),
        }
    }

    /// Queues `write` for the writer and waits for its answer, within the time limit.
    async fn submit(&self, op: &'static str, write: Write) -> Result<writer::Done, KvError> {
        if !self.shared.writable {
            return Err(KvError::unsupported(
                STORE_NAME,
                "writes without a `status-path`",
            ));
        }
        let sender = self
            .shared
            .writer
            .lock()
            .clone()
            .ok_or_else(|| self.closed())?;
        let limit = self.shared.core.timeout;
        let timeout = || KvError::Timeout {
            store: STORE_NAME.to_owned(),
            op,
            after: limit,
        };
        let deadline = tokio::time::Instant::now() + limit;
        let (reply, answer) = oneshot::channel();
        sender
            .send_timeout(Job { write, reply }, limit)
            .await
            .map_err(|err| match err {
                mpsc::error::SendTimeoutError::Timeout(_) => timeout(),
                mpsc::error::SendTimeoutError::Closed(_) => self.closed(),
            })?;
        match tokio::time::timeout_at(deadline, answer).await {
            Err(_) => Err(timeout()),
            Ok(Err(_)) => Err(self.closed()),
            Ok(Ok(outcome)) => outcome,
        }
    }

    fn check_put(key: &str, options: &PutOptions, op: &'static str) -> Result<(), KvError> {
        validate_key(key)?;
        match options.ttl {
            Some(_) => Err(KvError::unsupported(STORE_NAME, op)),
            None => options.check(STORE_NAME, capabilities(false)),
        }
    }
}

/// What opening reads from disk.
struct Loaded {
    roots: Roots,
    status: Option<StatusFile>,
    status_content: Option<(crate::format::Content, u64)>,
    found: crate::paths::Scan,
    watcher: RecommendedWatcher,
    events: watcher::Events,
}

/// Resolves the paths, starts the watcher (before reading, so no edit is missed) and reads
/// every data file.
fn load(config: &FileDbConfig) -> Result<Loaded, FileDbError> {
    let status = if config.status_path.as_os_str().is_empty() {
        None
    } else {
        Some(StatusFile::open(&config.status_path)?)
    };
    let roots = Roots::resolve(
        &config.configuration_paths,
        status.as_ref().map(|s| s.path.clone()),
    )?;
    let (watcher, events) = watcher::start(&roots)?;
    let status_content = match &status {
        None => None,
        Some(file) => match file.read(None).map_err(FileDbError::MalformedStatus)? {
            Read::Content(content, digest) => Some((content, digest)),
            Read::Unchanged | Read::Missing => None,
        },
    };
    let found = scan(&roots, &roots.all(), &Default::default());
    Ok(Loaded {
        roots,
        status,
        status_content,
        found,
        watcher,
        events,
    })
}

/// Moves the revisions of a watch event by `base`.
fn shift_event(event: WatchEvent, base: u64) -> WatchEvent {
    match event {
        WatchEvent::Change(mut change) => {
            change.revision += base;
            WatchEvent::Change(change)
        }
        WatchEvent::Resync(ResyncReason::Compacted {
            requested,
            compacted,
        }) => WatchEvent::Resync(ResyncReason::Compacted {
            requested: requested + base,
            compacted: compacted + base,
        }),
        other => other,
    }
}

/// What the file store offers: no TTL, no leases, and no conditional writes (the files
/// can be edited by hand at any time, so no check-then-write is atomic); transactions
/// and prefix deletes only with a status file to write to.
fn capabilities(writable: bool) -> Capabilities {
    let mut caps = Capabilities::ALL;
    caps.ttl = false;
    caps.leases = false;
    caps.compare_and_swap = false;
    caps.txn = writable;
    caps.delete_prefix = writable;
    caps
}

#[async_trait]
impl KvStore for FileDbStore {
    fn name(&self) -> &str {
        STORE_NAME
    }

    fn capabilities(&self) -> Capabilities {
        capabilities(self.shared.writable)
    }

    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        let found = self.shared.core.memory.get(key).await?;
        Ok(found.map(|v| KvValue {
            revision: self.shift(v.revision),
            ..v
        }))
    }

    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        self.shared
            .core
            .memory
            .list_values(prefix)
            .map_ok(|entry| KvEntry {
                revision: self.shift(entry.revision),
                ..entry
            })
            .boxed()
    }

    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        self.shared.core.memory.list_keys(prefix)
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        Self::check_put(key, &options, "put with ttl")?;
        let write = Write::Put {
            key: key.to_owned(),
            value,
        };
        Ok(self.shift(self.submit("put", write).await?.revision))
    }

    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        if !options.prefix {
            validate_key(key)?;
        } else if !self.shared.writable {
            return Err(KvError::unsupported(STORE_NAME, "delete by prefix"));
        }
        let write = Write::Delete {
            key: key.to_owned(),
            prefix: options.prefix,
        };
        Ok(self.submit("delete", write).await?.deleted)
    }

    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        if !self.shared.writable {
            return Err(KvError::unsupported(STORE_NAME, "txn"));
        }
        for op in &ops {
            match op {
                TxnOp::Put { key, options, .. } => {
                    Self::check_put(key, options, "txn put with ttl")?
                }
                TxnOp::Delete { key, options } if !options.prefix => validate_key(key)?,
                TxnOp::Delete { .. } => {}
                _ => return Err(KvError::unsupported(STORE_NAME, "this txn operation")),
            }
        }
        Ok(self.shift(self.submit("txn", Write::Txn(ops)).await?.revision))
    }

    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        let base = self.shared.base;
        let memory = &self.shared.core.memory;
        let (stream, lead) = match from_revision {
            // From before this run: that history is not here.
            Some(requested) if requested < base => {
                let resync = WatchEvent::Resync(ResyncReason::Compacted {
                    requested,
                    compacted: base.saturating_sub(1),
                });
                (memory.watch(prefixes, None).await?, Some(resync))
            }
            Some(requested) => (memory.watch(prefixes, Some(requested - base)).await?, None),
            None => (memory.watch(prefixes, None).await?, None),
        };
        let shifted = stream.map_ok(move |event| shift_event(event, base));
        Ok(stream::iter(lead.map(Ok)).chain(shifted).boxed())
    }

    async fn revision(&self) -> Result<u64, KvError> {
        Ok(self.shift(self.shared.core.memory.revision().await?))
    }

    async fn close(&self) -> Result<(), KvError> {
        drop(self.shared.watcher.lock().take());
        drop(self.shared.writer.lock().take());
        // Let a write in progress finish before the merged view closes.
        let _ = tokio::time::timeout(
            Duration::from_secs(1).min(self.shared.core.timeout),
            self.shared.core.sources.lock(),
        )
        .await;
        self.shared.core.memory.close().await?;
        tracing::info!(target: LOG, "file DB closed");
        Ok(())
    }
}
