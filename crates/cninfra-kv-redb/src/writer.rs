//! The writer thread: the one place that writes the file, like upstream's single updater.
//!
//! Writes queue up in a bounded channel. The thread takes every queued write (up to
//! [`MAX_BATCH`]) into one redb transaction and commits it with one sync to disk (group
//! commit): each write keeps its own revision, and every caller is answered only after the
//! commit, so a write that returned is on disk. The changes are handed to the watchers
//! before the callers are answered.

mod swap;

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use cninfra_kv::{ChangeKind, KeyChange, TxnOp};
use redb::{Database, ReadableTable, StorageError, Table};
use tokio::sync::{mpsc, oneshot};

use crate::LOG;
use crate::schema::{
    CHANGES, ChangeKey, ChangeRow, META, Meta, VALUES, decode_value, encode_value, kind_code,
};
use crate::watch::Hub;

/// Most writes committed together.
const MAX_BATCH: usize = 256;

/// One write, already validated.
#[derive(Debug)]
pub(crate) enum Write {
    Put {
        key: String,
        value: Bytes,
    },
    Delete {
        key: String,
        prefix: bool,
    },
    Txn(Vec<TxnOp>),
    /// Write `new` (delete when `None`) if the value of `key` is `expected` (absent when
    /// `None`).
    Swap {
        key: String,
        expected: Option<Bytes>,
        new: Option<Bytes>,
    },
}

/// The outcome of one write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Done {
    /// The store revision after the write.
    pub(crate) revision: u64,
    /// Whether anything existed and was deleted.
    pub(crate) deleted: bool,
    /// Whether the condition of a [`Write::Swap`] held (always true for other writes).
    pub(crate) applied: bool,
}

/// A failed commit; every write of the batch gets it.
pub(crate) type Failure = Arc<redb::Error>;

/// A queued write with the channel for its answer.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) write: Write,
    pub(crate) reply: oneshot::Sender<Result<Done, Failure>>,
}

/// What the writer needs besides the database.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) history_limit: u64,
    pub(crate) filter_duplicates: bool,
}

/// Runs until every sender is gone, then returns (dropping its handle on the database).
pub(crate) fn run(
    db: Arc<Database>,
    mut jobs: mpsc::Receiver<Job>,
    hub: Arc<Hub>,
    settings: Settings,
) {
    while let Some(first) = jobs.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let (writes, replies): (Vec<Write>, Vec<_>) =
            batch.into_iter().map(|job| (job.write, job.reply)).unzip();
        match commit(&db, writes, settings) {
            Ok((outcomes, changes)) => {
                if !changes.is_empty() {
                    hub.publish(changes.into());
                }
                for (reply, outcome) in replies.into_iter().zip(outcomes) {
                    // A caller that timed out no longer listens; the write stands.
                    let _ = reply.send(Ok(outcome));
                }
            }
            Err(err) => {
                tracing::error!(target: LOG, error = %err, writes = replies.len(), "redb commit failed");
                let err = Arc::new(err);
                for reply in replies {
                    let _ = reply.send(Err(Arc::clone(&err)));
                }
            }
        }
    }
    tracing::debug!(target: LOG, "redb writer stopped");
}

/// Applies `writes` in one transaction and commits it.
fn commit(
    db: &Database,
    writes: Vec<Write>,
    settings: Settings,
) -> Result<(Vec<Done>, Vec<KeyChange>), redb::Error> {
    let txn = db.begin_write()?;
    let result = {
        let mut meta_table = txn.open_table(META)?;
        let mut batch = Batch {
            values: txn.open_table(VALUES)?,
            log: txn.open_table(CHANGES)?,
            meta: Meta::read(&meta_table)?,
            settings,
            changes: Vec::new(),
            index: 0,
        };
        let outcomes = writes
            .into_iter()
            .map(|write| batch.apply(write))
            .collect::<Result<Vec<_>, _>>()?;
        batch.trim()?;
        batch.meta.write(&mut meta_table)?;
        (outcomes, batch.changes)
    };
    txn.commit()?;
    Ok(result)
}

/// The open tables of one write transaction and what it changed so far.
struct Batch<'t> {
    values: Table<'t, &'static str, &'static [u8]>,
    log: Table<'t, ChangeKey, ChangeRow<'static>>,
    meta: Meta,
    settings: Settings,
    /// Changes to publish, in revision order.
    changes: Vec<KeyChange>,
    /// Index of the next change-log row within the current revision.
    index: u32,
}

impl Batch<'_> {
    /// Applies one write at the next revision; the revision is used only if something
    /// changed.
    fn apply(&mut self, write: Write) -> Result<Done, StorageError> {
        let revision = self.meta.revision + 1;
        self.index = 0;
        let mut changed = false;
        let mut deleted = false;
        let mut applied = true;
        match write {
            Write::Put { key, value } => {
                self.put(&key, value, revision)?;
                changed = true;
            }
            Write::Delete { key, prefix } => {
                deleted = self.delete(&key, prefix, revision)?;
                changed = deleted;
            }
            Write::Txn(ops) => {
                for op in ops {
                    match op {
                        TxnOp::Put { key, value, .. } => {
                            self.put(&key, value, revision)?;
                            changed = true;
                        }
                        TxnOp::Delete { key, options } => {
                            changed |= self.delete(&key, options.prefix, revision)?;
                        }
                        // `TxnOp` may grow; the store validated the ops it knows.
                        _ => {}
                    }
                }
            }
            Write::Swap { key, expected, new } => {
                applied = self.holds(&key, expected.as_deref())?;
                match new {
                    Some(value) if applied => {
                        self.put(&key, value, revision)?;
                        changed = true;
                    }
                    None if applied => {
                        deleted = self.delete(&key, false, revision)?;
                        changed = deleted;
                    }
                    _ => {}
                }
            }
        }
        if changed {
            self.meta.revision = revision;
        }
        Ok(Done {
            revision: self.meta.revision,
            deleted,
            applied,
        })
    }

    fn put(&mut self, key: &str, value: Bytes, revision: u64) -> Result<(), StorageError> {
        let prev = match self
            .values
            .insert(key, &encode_value(revision, &value)[..])?
        {
            Some(old) => Some(Bytes::copy_from_slice(decode_value(key, old.value())?.1)),
            None => None,
        };
        if self.settings.filter_duplicates && prev.as_ref() == Some(&value) {
            return Ok(());
        }
        self.record(key.to_owned(), ChangeKind::Put, value, prev, revision)
    }

    /// Deletes `key` (or every key under it); true when anything existed.
    fn delete(&mut self, key: &str, prefix: bool, revision: u64) -> Result<bool, StorageError> {
        let keys: Vec<String> = if prefix {
            let range = self
                .values
                .range::<&str>((Bound::Included(key), Bound::Unbounded))?;
            let mut keys = Vec::new();
            for entry in range {
                let (found, _) = entry?;
                if !found.value().starts_with(key) {
                    break;
                }
                keys.push(found.value().to_owned());
            }
            keys
        } else {
            vec![key.to_owned()]
        };
        let mut deleted = false;
        for key in keys {
            let prev = match self.values.remove(key.as_str())? {
                Some(old) => Some(Bytes::copy_from_slice(decode_value(&key, old.value())?.1)),
                None => None,
            };
            if let Some(prev) = prev {
                deleted = true;
                self.record(key, ChangeKind::Delete, Bytes::new(), Some(prev), revision)?;
            }
        }
        Ok(deleted)
    }

    /// Keeps a change for the watchers and in the change log.
    fn record(
        &mut self,
        key: String,
        kind: ChangeKind,
        value: Bytes,
        prev_value: Option<Bytes>,
        revision: u64,
    ) -> Result<(), StorageError> {
        if self.settings.history_limit > 0 {
            let row = (
                kind_code(kind),
                key.as_str(),
                &value[..],
                prev_value.as_deref(),
            );
            self.log.insert((revision, self.index), row)?;
            self.index += 1;
            self.meta.log_len += 1;
        }
        self.changes.push(KeyChange {
            key,
            kind,
            value,
            prev_value,
            revision,
        });
        Ok(())
    }

    /// Drops the oldest revisions from the change log until it fits the history limit.
    fn trim(&mut self) -> Result<(), StorageError> {
        if self.settings.history_limit == 0 {
            self.meta.compacted = self.meta.revision;
            return Ok(());
        }
        while self.meta.log_len > self.settings.history_limit {
            let Some(revision) = self.pop_oldest()? else {
                self.meta.log_len = 0;
                break;
            };
            self.meta.compacted = self.meta.compacted.max(revision);
            // A revision is kept whole or not at all.
            while self
                .log
                .first()?
                .is_some_and(|(key, _)| key.value().0 == revision)
            {
                self.pop_oldest()?;
            }
        }
        Ok(())
    }

    /// Removes the oldest change-log row and returns its revision.
    fn pop_oldest(&mut self) -> Result<Option<u64>, StorageError> {
        let popped = self.log.pop_first()?.map(|(key, _)| key.value().0);
        if popped.is_some() {
            self.meta.log_len = self.meta.log_len.saturating_sub(1);
        }
        Ok(popped)
    }
}
