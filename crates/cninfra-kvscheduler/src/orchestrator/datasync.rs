//! The KV store as an NB source: data sync events become source transactions, and their
//! outcome becomes the event's acknowledgement.

use cninfra_datasync::{ChangeEvent, Event, ResyncEvent, Watcher};
use tokio_util::sync::CancellationToken;

use super::{LOG, OrchestratorError, Source};
use crate::value::Value;

/// Applies the events of `watcher` to `source` until the watch ends or `stop`.
pub(super) async fn run(mut watcher: Watcher, source: Source, stop: CancellationToken) {
    while let Some(Some(event)) = stop.run_until_cancelled(watcher.recv()).await {
        match event {
            Event::Resync(resync) => apply_resync(&source, resync).await,
            Event::Change(change) => apply_change(&source, change).await,
        }
    }
}

fn decode(key: &str, bytes: &[u8]) -> Result<Value, OrchestratorError> {
    Value::from_json_slice(bytes).map_err(|err| OrchestratorError::NotJson {
        key: key.to_owned(),
        reason: err.to_string(),
    })
}

/// A resync replaces the source's share. A value that is not JSON keeps the source's
/// previous value of its key (if any) and fails the acknowledgement.
async fn apply_resync(source: &Source, resync: ResyncEvent) {
    let mut txn = source
        .resync()
        .with_retry_default()
        .with_description(format!("resync ({})", resync.cause));
    let mut errors = Vec::new();
    for entry in &resync.values {
        match decode(&entry.key, &entry.value) {
            Ok(value) => {
                txn.set(entry.key.as_str(), Some(value));
            }
            Err(err) => {
                txn.set(entry.key.as_str(), source.value(&entry.key));
                errors.push(err);
            }
        }
    }
    let keys = txn.len();
    if let Err(err) = txn.commit().await {
        errors.push(err);
    }
    tracing::debug!(target: LOG, source = source.label(), keys, failed = errors.len(), "resync applied");
    match errors.len() {
        0 => resync.done.ok(),
        1 => resync.done.fail(errors.remove(0)),
        _ => resync.done.fail(OrchestratorError::Many(errors)),
    }
}

/// A change sets or deletes one key. A value that is not JSON changes nothing and fails
/// the acknowledgement.
async fn apply_change(source: &Source, change: ChangeEvent) {
    let value = match change
        .value
        .as_deref()
        .map(|bytes| decode(&change.key, bytes))
    {
        None => None,
        Some(Ok(value)) => Some(value),
        Some(Err(err)) => return change.done.fail(err),
    };
    let mut txn = source
        .txn()
        .with_retry_default()
        .with_description(format!("change (revision {})", change.revision));
    txn.set(change.key.as_str(), value);
    match txn.commit().await {
        Ok(_) => change.done.ok(),
        Err(err) => change.done.fail(err),
    }
}
