//! Writes: put, delete and txn go to the status file, then to the merged view.
//!
//! One task takes every queued write (group commit): it checks each, rewrites the status
//! file once for all that pass, and applies them to the merged view one by one (each with
//! its own revision). A write returns after the file was synced to disk.

use std::ops::Bound;
use std::sync::Arc;

use bytes::Bytes;
use cninfra_kv::{DeleteOptions, KvError, KvStore, PutOptions, TxnOp};
use tokio::sync::{mpsc, oneshot};

use crate::core::Core;
use crate::format::Content;
use crate::sources::Sources;
use crate::{LOG, STORE_NAME};

/// Most writes applied together.
const MAX_BATCH: usize = 256;

/// One validated write.
#[derive(Debug)]
pub(crate) enum Write {
    Put { key: String, value: Bytes },
    Delete { key: String, prefix: bool },
    Txn(Vec<TxnOp>),
}

/// What a write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Done {
    /// The merged view's (internal) revision after the write.
    pub(crate) revision: u64,
    /// Whether a delete found anything to delete.
    pub(crate) deleted: bool,
}

/// The answer to a write.
pub(crate) type Outcome = Result<Done, KvError>;

/// A queued write with the channel for its answer.
#[derive(Debug)]
pub(crate) struct Job {
    pub(crate) write: Write,
    pub(crate) reply: oneshot::Sender<Outcome>,
}

/// Runs until every sender is gone.
pub(crate) async fn run(core: Arc<Core>, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        apply(&core, batch).await;
    }
    tracing::debug!(target: LOG, "filedb writer stopped");
}

async fn apply(core: &Core, batch: Vec<Job>) {
    let Some(status) = core.status.clone() else {
        for job in batch {
            let _ = job.reply.send(Err(KvError::unsupported(
                STORE_NAME,
                "writes without a `status-path`",
            )));
        }
        return;
    };
    let mut sources = core.sources.lock().await;
    let mut content = sources.status().clone();
    let mut accepted = Vec::with_capacity(batch.len());
    for job in batch {
        match stage(&sources, &mut content, &job.write) {
            Ok(()) => accepted.push(job),
            Err(err) => {
                let _ = job.reply.send(Err(err));
            }
        }
    }
    if accepted.is_empty() {
        return;
    }
    let written = tokio::time::timeout(
        core.timeout,
        tokio::task::spawn_blocking({
            let (status, content) = (status.clone(), content.clone());
            move || status.write(&content)
        }),
    )
    .await;
    let digest = match written {
        Ok(Ok(Ok(digest))) => digest,
        failed => {
            let reason = match failed {
                Ok(Ok(Err(err))) => err.to_string(),
                Ok(Err(err)) => err.to_string(),
                _ => format!("timed out after {:?}", core.timeout),
            };
            tracing::error!(target: LOG, path = %status.path.display(), %reason, "writing the status file failed");
            for job in accepted {
                let _ = job.reply.send(Err(KvError::Backend {
                    store: STORE_NAME.to_owned(),
                    op: "write the status file",
                    source: format!("`{}`: {reason}", status.path.display()).into(),
                }));
            }
            return;
        }
    };
    sources.wrote_status(content, digest);
    for job in accepted {
        let _ = job.reply.send(apply_to_view(core, job.write).await);
    }
}

/// Applies a written change to the merged view (the caller holds the sources lock, so
/// nothing else changes the view meanwhile).
async fn apply_to_view(core: &Core, write: Write) -> Outcome {
    let memory = &core.memory;
    let (revision, deleted) = match write {
        Write::Put { key, value } => (memory.put(&key, value, PutOptions::default()).await?, false),
        Write::Delete { key, prefix } => {
            let deleted = memory.delete(&key, delete_options(prefix)).await?;
            (memory.revision().await?, deleted)
        }
        Write::Txn(ops) => (memory.txn(ops).await?, false),
    };
    Ok(Done { revision, deleted })
}

/// Checks `write` and applies it to the status `content`. A delete may only remove keys
/// that no configuration file defines (those files are read-only here).
fn stage(sources: &Sources, content: &mut Content, write: &Write) -> Result<(), KvError> {
    let read_only = || {
        KvError::unsupported(
            STORE_NAME,
            "deleting a key that a configuration file defines (those files are read-only)",
        )
    };
    let deletes_configured = |key: &str, prefix: bool| {
        if prefix {
            sources.configured_under(key).is_some()
        } else {
            sources.is_configured(key)
        }
    };
    match write {
        Write::Put { key, value } => {
            content.insert(key.clone(), value.clone());
        }
        Write::Delete { key, prefix } => {
            if deletes_configured(key, *prefix) {
                return Err(read_only());
            }
            remove(content, key, *prefix);
        }
        Write::Txn(ops) => {
            let refused = ops.iter().any(|op| match op {
                TxnOp::Delete { key, options } => deletes_configured(key, options.prefix),
                _ => false,
            });
            if refused {
                return Err(read_only());
            }
            for op in ops {
                match op {
                    TxnOp::Put { key, value, .. } => {
                        content.insert(key.clone(), value.clone());
                    }
                    TxnOp::Delete { key, options } => remove(content, key, options.prefix),
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

fn delete_options(prefix: bool) -> DeleteOptions {
    if prefix {
        DeleteOptions::prefix()
    } else {
        DeleteOptions::default()
    }
}

fn remove(content: &mut Content, key: &str, prefix: bool) {
    if !prefix {
        content.remove(key);
        return;
    }
    let keys: Vec<String> = content
        .range::<str, _>((Bound::Included(key), Bound::Unbounded))
        .map(|(k, _)| k)
        .take_while(|k| k.starts_with(key))
        .cloned()
        .collect();
    for k in keys {
        content.remove(&k);
    }
}
