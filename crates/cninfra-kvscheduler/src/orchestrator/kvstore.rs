//! More KV stores as sources: each configured store besides the one data sync reads is
//! listed and watched directly, as a source of its own ([`store_source_label`]).

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{BoxError, InitContext};
use cninfra_kv::watch::Backoff;
use cninfra_kv::{
    ChangeKind, ConnectionState, KeyChange, KvConnector, KvError, KvStore, Prefixed, WatchEvent,
    WatchStream,
};
use futures::{StreamExt, TryStreamExt};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::{LOG, Orchestrator, Source};
use crate::value::Value;

/// The prefix of the label of a store watched as a source of its own: the label is
/// `datastore:<connector plugin name>` (`datastore:filedb`). It sorts before
/// [`DATASYNC_SOURCE`](super::DATASYNC_SOURCE), so the store data sync reads, the gRPC
/// source and the local client all win over these stores (upstream's initial-config file
/// gave way to every other source the same way); between two such stores the plugin name
/// that sorts last wins.
pub const STORE_SOURCE_PREFIX: &str = "datastore:";

/// How long listing a store or opening its watch may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The source label of the store of the connector plugin `name`.
pub fn store_source_label(name: &str) -> String {
    format!("{STORE_SOURCE_PREFIX}{name}")
}

/// Starts a watch task for each connector of `connectors` that has a store, except the
/// first such when `data_sync_reads_first` (data sync, choosing among the same connectors
/// in the same order, reads that one). Called from `after_init`, once every descriptor is
/// registered.
pub(super) fn watch(
    ctx: &InitContext,
    orchestrator: &Orchestrator,
    connectors: &[Arc<dyn KvConnector>],
    data_sync_reads_first: bool,
) -> Result<(), BoxError> {
    if connectors.is_empty() {
        return Ok(());
    }
    let mut prefixes = orchestrator.scheduler().registered_nb_key_prefixes();
    prefixes.sort();
    prefixes.dedup();
    if prefixes.is_empty() {
        tracing::warn!(target: LOG, "no descriptor with an NB key prefix: no store is watched");
        return Ok(());
    }
    let agent_prefix = ctx.service_label().agent_prefix();
    let mut skip_first = data_sync_reads_first;
    for connector in connectors {
        let Some(store) = connector.kv()? else {
            continue;
        };
        if std::mem::take(&mut skip_first) {
            tracing::debug!(target: LOG, store = connector.name(), "data sync reads this store: it is the source `datasync`");
            continue;
        }
        let view = Prefixed::new(store, agent_prefix.clone());
        let label = store_source_label(connector.name());
        tracing::info!(target: LOG, source = %label, ?prefixes, "watching a further KV store as a source of its own");
        let task = StoreTask {
            source: orchestrator.source(label),
            store: Arc::new(view),
            prefixes: prefixes.clone(),
            connection: connector.connection(),
        };
        ctx.spawn(task.run(ctx.shutdown_token()));
    }
    Ok(())
}

/// Lists a store, then applies its changes to a source, re-listing whenever changes may
/// have been missed.
struct StoreTask {
    source: Source,
    store: Arc<dyn KvStore>,
    prefixes: Vec<String>,
    connection: watch::Receiver<ConnectionState>,
}

/// Why the change loop stopped.
enum Next {
    /// Changes may have been missed: list again.
    Relist,
    /// The watch broke: wait, then watch and list again.
    Retry,
    /// The agent stops.
    Stop,
}

impl StoreTask {
    async fn run(mut self, stop: CancellationToken) {
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        loop {
            let next = match self.sync_once(&stop).await {
                Ok(next) => next,
                Err(err) => {
                    tracing::warn!(target: LOG, source = self.source.label(), error = %cninfra_core::ErrorChain(&err), "reading the store failed; trying again");
                    Next::Retry
                }
            };
            match next {
                Next::Stop => return,
                Next::Relist => backoff.reset(),
                Next::Retry => {
                    let delay = backoff.next_delay();
                    if stop
                        .run_until_cancelled(tokio::time::sleep(delay))
                        .await
                        .is_none()
                    {
                        return;
                    }
                }
            }
        }
    }

    /// Opens the watch, lists the store into a resync of the source, then applies the
    /// changes until something asks for a new listing.
    async fn sync_once(&mut self, stop: &CancellationToken) -> Result<Next, KvError> {
        let prefixes: Vec<&str> = self.prefixes.iter().map(String::as_str).collect();
        // The watch opens first: a change made while listing is seen twice at worst.
        let mut stream: WatchStream =
            timed(&*self.store, "watch", self.store.watch(&prefixes, None)).await?;
        self.resync().await?;
        self.connection.borrow_and_update();
        loop {
            tokio::select! {
                () = stop.cancelled() => return Ok(Next::Stop),
                changed = self.connection.changed() => {
                    if changed.is_err() {
                        // The connector is gone (closing): the stream ends too.
                        continue;
                    }
                    let state = self.connection.borrow_and_update().clone();
                    if let ConnectionState::Reconnected { resync: true } = state {
                        tracing::info!(target: LOG, source = self.source.label(), "the store reconnected: listing it again");
                        return Ok(Next::Relist);
                    }
                }
                event = stream.next() => match event {
                    Some(Ok(WatchEvent::Change(change))) => self.apply(change).await,
                    Some(Ok(WatchEvent::Resync(reason))) => {
                        tracing::info!(target: LOG, source = self.source.label(), %reason, "listing the store again");
                        return Ok(Next::Relist);
                    }
                    Some(Err(err)) => return Err(err),
                    None => return Ok(Next::Retry),
                },
            }
        }
    }

    /// Replaces the source's share with what the store holds now.
    async fn resync(&self) -> Result<(), KvError> {
        let mut txn = self
            .source
            .resync()
            .with_retry_default()
            .with_description("resync of the store");
        for prefix in &self.prefixes {
            let listing = self.store.list_values(prefix).try_collect();
            let entries: Vec<_> = timed(&*self.store, "list_values", listing).await?;
            for entry in entries {
                // A value that is not JSON keeps the source's previous value of its key.
                let value = self
                    .decode(&entry.key, &entry.value)
                    .or_else(|| self.source.value(&entry.key));
                txn.set(entry.key, value);
            }
        }
        let keys = txn.len();
        if let Err(err) = txn.commit().await {
            tracing::warn!(target: LOG, source = self.source.label(), keys = ?err.keys(), error = %err, "values of the store failed");
        }
        tracing::debug!(target: LOG, source = self.source.label(), keys, "store listed");
        Ok(())
    }

    /// Sets or deletes one key.
    async fn apply(&self, change: KeyChange) {
        let value = match change.kind {
            ChangeKind::Delete => None,
            ChangeKind::Put => match self.decode(&change.key, &change.value) {
                Some(value) => Some(value),
                None => return,
            },
        };
        let mut txn = self
            .source
            .txn()
            .with_retry_default()
            .with_description(format!("change (revision {})", change.revision));
        txn.set(change.key, value);
        if let Err(err) = txn.commit().await {
            tracing::warn!(target: LOG, source = self.source.label(), error = %err, "a change of the store failed");
        }
    }

    /// The value, or `None` with a warning naming the key when it is not JSON (a change
    /// then changes nothing).
    fn decode(&self, key: &str, bytes: &[u8]) -> Option<Value> {
        match Value::from_json_slice(bytes) {
            Ok(value) => Some(value),
            Err(err) => {
                tracing::warn!(target: LOG, source = self.source.label(), key, error = %err, "value is not JSON; left out");
                None
            }
        }
    }
}

/// `call` (the operation `op` of `store`) within [`CALL_TIMEOUT`].
async fn timed<T>(
    store: &dyn KvStore,
    op: &'static str,
    call: impl Future<Output = Result<T, KvError>>,
) -> Result<T, KvError> {
    tokio::time::timeout(CALL_TIMEOUT, call)
        .await
        .unwrap_or_else(|_| {
            Err(KvError::Timeout {
                store: store.name().to_owned(),
                op,
                after: CALL_TIMEOUT,
            })
        })
}
