//! The shared state of a file DB and how changed files reach the merged view.
//!
//! The merged view (every key with its winning value) lives in a [`MemoryStore`], which
//! also keeps revisions, history and watchers. Each batch of file changes becomes one
//! transaction on it, so watchers see per-key puts and deletes sharing one revision.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cninfra_kv::{KvStore, MemoryStore, TxnOp};
use parking_lot::Mutex;

use crate::LOG;
use crate::format::FileProblem;
use crate::paths::{Roots, scan};
use crate::sources::Sources;
use crate::status::{Read, StatusFile};

/// What the store, its file watcher and its writer share.
#[derive(Debug)]
pub(crate) struct Core {
    /// The merged view.
    pub(crate) memory: MemoryStore,
    pub(crate) sources: tokio::sync::Mutex<Sources>,
    /// Files whose last change could not be used, by path.
    problems: Mutex<BTreeMap<PathBuf, FileProblem>>,
    pub(crate) roots: Arc<Roots>,
    pub(crate) status: Option<StatusFile>,
    pub(crate) timeout: Duration,
}

impl Core {
    pub(crate) fn new(
        memory: MemoryStore,
        roots: Roots,
        status: Option<StatusFile>,
        timeout: Duration,
    ) -> Self {
        Self {
            memory,
            sources: tokio::sync::Mutex::default(),
            problems: Mutex::default(),
            roots: Arc::new(roots),
            status,
            timeout,
        }
    }

    /// The files whose last change could not be used.
    pub(crate) fn problems(&self) -> Vec<FileProblem> {
        self.problems.lock().values().cloned().collect()
    }

    /// Re-reads the data at or under each of `dirty` and applies the changes to the merged
    /// view. Files that fail keep their previous values and are reported; when reading
    /// fails as a whole (time limit), nothing is applied.
    pub(crate) async fn reload(&self, dirty: BTreeSet<PathBuf>) {
        let known = self.sources.lock().await.files_under(&dirty);
        let roots = Arc::clone(&self.roots);
        let status_dirty = self
            .status
            .as_ref()
            .is_some_and(|s| dirty.iter().any(|d| s.path.starts_with(d)));
        let read = tokio::task::spawn_blocking(move || scan(&roots, &dirty, &known));
        let found = match tokio::time::timeout(self.timeout, read).await {
            Ok(Ok(found)) => found,
            Ok(Err(err)) => {
                tracing::error!(target: LOG, error = %err, "reading changed data files failed");
                return;
            }
            Err(_) => {
                tracing::error!(target: LOG, after = ?self.timeout, "reading changed data files timed out");
                return;
            }
        };
        let mut sources = self.sources.lock().await;
        for path in found.updates.keys() {
            self.fixed(path);
        }
        for problem in found.problems {
            self.report(problem);
        }
        let mut ops = sources.update_files(found.updates);
        if status_dirty {
            ops.extend(self.reload_status(&mut sources).await);
        }
        if !ops.is_empty() {
            let changes = ops.len();
            match self.memory.txn(ops).await {
                Ok(revision) => {
                    tracing::debug!(target: LOG, changes, revision, "applied file changes")
                }
                Err(err) => tracing::warn!(target: LOG, error = %err, "file changes not applied"),
            }
        }
    }

    /// Re-reads the status file after someone else changed it (the caller holds the lock
    /// that writers take, so this process is not halfway through writing it).
    async fn reload_status(&self, sources: &mut Sources) -> Vec<TxnOp> {
        let Some(status) = self.status.clone() else {
            return Vec::new();
        };
        // Skip parsing when the bytes are what this process last wrote or read.
        let known = sources.status_digest();
        let read = tokio::task::spawn_blocking({
            let status = status.clone();
            move || status.read(known)
        });
        match tokio::time::timeout(self.timeout, read).await {
            Ok(Ok(Ok(Read::Content(content, digest)))) => {
                self.fixed(&status.path);
                tracing::info!(target: LOG, path = %status.path.display(), "the status file was changed by someone else");
                sources.replace_status(content, digest)
            }
            Ok(Ok(Ok(Read::Unchanged))) => {
                self.fixed(&status.path);
                Vec::new()
            }
            Ok(Ok(Ok(Read::Missing))) => Vec::new(),
            Ok(Ok(Err(problem))) => {
                self.report(problem);
                Vec::new()
            }
            Ok(Err(_)) | Err(_) => {
                tracing::error!(target: LOG, path = %status.path.display(), "re-reading the status file failed or timed out");
                Vec::new()
            }
        }
    }

    /// Records (and logs, when new) a file that could not be used.
    pub(crate) fn report(&self, problem: FileProblem) {
        let mut problems = self.problems.lock();
        if problems.get(&problem.path) != Some(&problem) {
            tracing::error!(
                target: LOG,
                path = %problem.path.display(),
                line = problem.line,
                column = problem.column,
                message = %problem.message,
                "data file cannot be used; keeping its previous values"
            );
            problems.insert(problem.path.clone(), problem);
        }
    }

    /// Forgets the problem of a file that is fine (or gone) now.
    fn fixed(&self, path: &PathBuf) {
        if self.problems.lock().remove(path).is_some() {
            tracing::info!(target: LOG, path = %path.display(), "data file is usable again");
        }
    }
}
