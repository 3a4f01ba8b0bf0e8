//! The KV store as an NB source (feature `datasync`): data sync events become source
//! transactions, and their outcome becomes the event's acknowledgement.

use cninfra_core::{BoxError, InitContext};
use cninfra_datasync::{ChangeEvent, Event, KvdbSyncPlugin, ResyncEvent, Watcher};
use tokio_util::sync::CancellationToken;

use super::{DATASYNC_SOURCE, LOG, Orchestrator, OrchestratorError, Source};
use crate::value::Value;

/// Watches the scheduler's NB key prefixes through the agent's data sync plugin (if it has
/// one), as the source [`DATASYNC_SOURCE`], on a task of `ctx`. Called from `after_init`,
/// once every descriptor is registered.
pub(super) fn watch(ctx: &InitContext, orchestrator: &Orchestrator) -> Result<(), BoxError> {
    let Some(sync) = ctx.try_dep::<KvdbSyncPlugin>() else {
        tracing::info!(target: LOG, "no data sync plugin: the KV store is not a source");
        return Ok(());
    };
    let mut prefixes = orchestrator.scheduler().registered_nb_key_prefixes();
    prefixes.sort();
    prefixes.dedup();
    if prefixes.is_empty() {
        tracing::warn!(target: LOG, "no descriptor with an NB key prefix: the KV store is not watched");
        return Ok(());
    }
    let refs: Vec<&str> = prefixes.iter().map(String::as_str).collect();
    // Every `init` is done: the descriptors are registered. A watch registered after
    // data sync's first round gets a resync of its own, so none is missed.
    let watcher = sync.watch(ctx, &refs)?;
    tracing::info!(target: LOG, ?prefixes, "watching the KV store");
    let source = orchestrator.source(DATASYNC_SOURCE);
    ctx.spawn(run(watcher, source, ctx.shutdown_token()));
    Ok(())
}

/// Applies the events of `watcher` to `source` until the watch ends or `stop`.
async fn run(mut watcher: Watcher, source: Source, stop: CancellationToken) {
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
