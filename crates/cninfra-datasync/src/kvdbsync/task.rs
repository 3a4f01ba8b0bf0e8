//! The task of one watch over the store: resync on request or on a store signal, then
//! pass every change on and collect the acknowledgements.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use cninfra_kv::{
    ChangeKind, KeyChange, KvEntry, KvError, KvStore, ResyncReason, WatchEvent, WatchStream,
};
use futures::{FutureExt, StreamExt, TryStreamExt};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::acks::AckQueue;
use crate::LOG;
use crate::config::SyncConfig;
use crate::delivery;
use crate::error::DatasyncError;
use crate::event::{Event, ResyncCause};
use crate::registry::{Command, Registration};

/// Most store events handled in one pass of the main loop.
const BATCH: usize = 64;

/// What a store task needs of the sync core that started it (the core implements it, so
/// the task does not depend on the core's type).
pub(super) trait Host: Send + Sync + 'static {
    /// Data sync's config.
    fn config(&self) -> &SyncConfig;
    /// Forgets the watch `name` (its watcher was dropped).
    fn remove_watch(&self, name: &str);
    /// Records how the last resync of the watch `name` went, for the resync orchestrator.
    fn record_outcome(&self, name: &str, result: &Result<(), DatasyncError>);
    /// Notes that the store reconnected without history.
    fn note_reconnect(&self);
}

/// What the loop does after an event.
enum Flow {
    Continue,
    Stop,
}

pub(super) struct Task {
    core: Arc<dyn Host>,
    registration: Arc<Registration>,
    store: Arc<dyn KvStore>,
    config: SyncConfig,
    stream: Option<WatchStream>,
    /// Last value per key, kept only for stores whose watch events lack previous values.
    values: Option<HashMap<String, Bytes>>,
    pending: AckQueue,
    retry_at: Option<Instant>,
}

impl Task {
    pub(super) fn new(
        core: Arc<dyn Host>,
        registration: Arc<Registration>,
        store: Arc<dyn KvStore>,
    ) -> Self {
        let config = core.config().clone();
        Self {
            pending: AckQueue::new(Arc::clone(&registration.name), config.change_ack_timeout),
            core,
            registration,
            store,
            config,
            stream: None,
            values: None,
            retry_at: None,
        }
    }

    /// Serves resync requests, store events and acknowledgements until `stop`, until the
    /// watcher is dropped, or until the plugin closes.
    pub(super) async fn run(
        mut self,
        mut commands: mpsc::Receiver<Command>,
        stop: CancellationToken,
        initial: Option<ResyncCause>,
    ) {
        if let Some(cause) = initial {
            self.resync_and_record(cause, &stop).await;
        }
        let max_unacked = self.config.max_unacked.max(1);
        loop {
            let flow = tokio::select! {
                biased;
                () = stop.cancelled() => Flow::Stop,
                () = self.registration.events.closed() => Flow::Stop,
                command = commands.recv() => match command {
                    Some(Command::Resync { cause, reply }) => {
                        match self.resync_unless_stopped(cause, &stop).await {
                            Some(result) => {
                                let _ = reply.send(result);
                                Flow::Continue
                            }
                            None => Flow::Stop,
                        }
                    }
                    None => Flow::Stop,
                },
                outcome = self.pending.next(), if !self.pending.is_empty() => {
                    self.registration.reporter.outcome(&outcome);
                    self.drain_acks();
                    Flow::Continue
                }
                () = tokio::time::sleep_until(self.retry_at.unwrap_or_else(Instant::now)),
                    if self.retry_at.is_some() =>
                {
                    self.resync_and_record(ResyncCause::Restarted, &stop).await;
                    Flow::Continue
                }
                event = next_event(&mut self.stream),
                    if self.stream.is_some() && self.pending.len() < max_unacked =>
                {
                    match self.on_event(event, &stop).await {
                        Flow::Continue => self.drain_events(max_unacked, &stop).await,
                        Flow::Stop => Flow::Stop,
                    }
                }
            };
            if matches!(flow, Flow::Stop) {
                break;
            }
        }
        if self.registration.events.is_closed() {
            info!(target: LOG, plugin = %self.registration.name, "watcher dropped; watch removed");
            self.core.remove_watch(&self.registration.name);
            // A watch that is gone no longer fails.
            self.core.record_outcome(&self.registration.name, &Ok(()));
        }
    }

    /// Handles the store events that are ready now, up to a batch: fewer trips through the
    /// main loop, and the plugin gets several events per wake-up.
    async fn drain_events(&mut self, max_unacked: usize, stop: &CancellationToken) -> Flow {
        for _ in 0..BATCH {
            if self.pending.len() >= max_unacked {
                break;
            }
            let Some(ready) = self.stream.as_mut().and_then(|s| s.next().now_or_never()) else {
                break;
            };
            if let Flow::Stop = self.on_event(ready, stop).await {
                return Flow::Stop;
            }
        }
        self.drain_acks();
        Flow::Continue
    }

    /// Reports the acknowledgements that arrived, in order, without waiting.
    fn drain_acks(&mut self) {
        while let Some(outcome) = self.pending.try_next() {
            self.registration.reporter.outcome(&outcome);
        }
    }

    async fn on_event(
        &mut self,
        event: Option<Result<WatchEvent, KvError>>,
        stop: &CancellationToken,
    ) -> Flow {
        let plugin = &*self.registration.name;
        match event {
            Some(Ok(WatchEvent::Change(change))) => return self.deliver(change, stop).await,
            Some(Ok(WatchEvent::Resync(reason))) => {
                warn!(target: LOG, plugin = %plugin, %reason, "store asks for a resync");
                if reason == ResyncReason::Reconnected {
                    self.core.note_reconnect();
                }
                self.resync_and_record(ResyncCause::Store(reason), stop)
                    .await;
            }
            Some(Err(err)) => {
                warn!(target: LOG, plugin = %plugin, error = %err, "store watch reported an error");
            }
            None => {
                warn!(target: LOG, plugin = %plugin, retry_in = ?self.config.retry_interval, "store watch ended; watching again");
                self.stream = None;
                self.retry_at = Some(Instant::now() + self.config.retry_interval);
            }
        }
        Flow::Continue
    }

    /// Hands one change to the plugin, reporting acknowledgements while its channel is full.
    async fn deliver(&mut self, change: KeyChange, stop: &CancellationToken) -> Flow {
        let KeyChange {
            key,
            kind,
            value,
            prev_value,
            revision,
        } = change;
        let value = (kind == ChangeKind::Put).then_some(value);
        let prev_value = match &mut self.values {
            Some(values) => match &value {
                Some(value) => values.insert(key.clone(), value.clone()),
                None => values.remove(&key),
            },
            None => prev_value,
        };
        let (event, wait) = delivery::change(key.clone(), value, prev_value, revision);
        let event = match self.registration.events.try_send(event) {
            Ok(()) => None,
            Err(TrySendError::Full(event)) => Some(event),
            Err(TrySendError::Closed(_)) => return Flow::Stop,
        };
        if let Some(event) = event
            && self.wait_for_room(event, stop).await.is_none()
        {
            return Flow::Stop;
        }
        self.pending.push(key, wait);
        Flow::Continue
    }

    /// Sends `event` once the plugin's channel has room, reporting acknowledgements meanwhile.
    async fn wait_for_room(&mut self, event: Event, stop: &CancellationToken) -> Option<()> {
        let send = self.registration.events.send(event);
        tokio::pin!(send);
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => return None,
                sent = &mut send => return sent.ok(),
                outcome = self.pending.next(), if !self.pending.is_empty() => {
                    self.registration.reporter.outcome(&outcome);
                }
            }
        }
    }

    /// Resyncs and tells the orchestrator how it went (for resyncs outside a round).
    async fn resync_and_record(&mut self, cause: ResyncCause, stop: &CancellationToken) {
        let Some(result) = self.resync_unless_stopped(cause, stop).await else {
            return;
        };
        if !matches!(result, Err(DatasyncError::Closed { .. })) {
            self.core.record_outcome(&self.registration.name, &result);
        }
    }

    /// [`resync`](Self::resync), given up when the agent stops.
    async fn resync_unless_stopped(
        &mut self,
        cause: ResyncCause,
        stop: &CancellationToken,
    ) -> Option<Result<(), DatasyncError>> {
        tokio::select! {
            () = stop.cancelled() => None,
            result = self.resync(cause) => Some(result),
        }
    }

    /// Starts a new store watch, reads the state and delivers it; on a store failure or a
    /// resync that was not accepted, tries again after the retry interval.
    async fn resync(&mut self, cause: ResyncCause) -> Result<(), DatasyncError> {
        self.retry_at = None;
        self.stream = None;
        let name = Arc::clone(&self.registration.name);
        let plugin = &*name;
        debug!(target: LOG, plugin = %plugin, %cause, "resync");
        let result = self.read_and_deliver(cause).await;
        match &result {
            Ok(()) => self.registration.reporter.ok(),
            Err(DatasyncError::Closed { .. }) => {}
            Err(err) => {
                if err.is_plugin_fault() {
                    self.registration.reporter.failed(err);
                } else {
                    warn!(target: LOG, plugin = %plugin, error = %err, retry_in = ?self.config.retry_interval, "resync failed");
                }
                if !matches!(
                    err,
                    DatasyncError::AckTimeout { .. }
                        | DatasyncError::Rejected { .. }
                        | DatasyncError::Dropped { .. }
                ) {
                    // The state never reached the plugin: no changes until it does.
                    self.stream = None;
                    self.retry_at = Some(Instant::now() + self.config.retry_interval);
                }
            }
        }
        result
    }

    async fn read_and_deliver(&mut self, cause: ResyncCause) -> Result<(), DatasyncError> {
        let store = Arc::clone(&self.store);
        let capabilities = store.capabilities();
        let prefixes: Vec<&str> = self
            .registration
            .prefixes
            .iter()
            .map(String::as_str)
            .collect();
        let limit = StoreLimit {
            after: self.config.store_timeout,
            store: store.name(),
            plugin: &self.registration.name,
        };
        // Watch first, then list: a change made meanwhile may show up in both (applying it
        // again is harmless), but none is lost.
        let stream = if capabilities.watch {
            Some(limit.run("watch", store.watch(&prefixes, None)).await?)
        } else {
            None
        };
        let values = limit
            .run(
                "list_values",
                list_all(&*store, &prefixes, &self.registration.name),
            )
            .await?;
        self.values = (capabilities.watch && !capabilities.prev_values).then(|| {
            values
                .iter()
                .map(|entry| (entry.key.clone(), entry.value.clone()))
                .collect()
        });
        self.stream = stream;
        delivery::resync(
            &self.registration,
            values,
            cause,
            self.config.resync_limits(),
        )
        .await
    }
}

/// The time limit of store calls, and what a failure names.
struct StoreLimit<'a> {
    after: std::time::Duration,
    store: &'a str,
    plugin: &'a str,
}

impl StoreLimit<'_> {
    /// Runs a store call within the limit.
    async fn run<T>(
        &self,
        op: &'static str,
        call: impl Future<Output = Result<T, KvError>>,
    ) -> Result<T, DatasyncError> {
        let result = match tokio::time::timeout(self.after, call).await {
            Ok(result) => result,
            Err(_) => Err(KvError::Timeout {
                store: self.store.to_owned(),
                op,
                after: self.after,
            }),
        };
        result.map_err(|source| DatasyncError::Store {
            plugin: self.plugin.to_owned(),
            source,
        })
    }
}

/// The next store event, or never when there is no stream.
async fn next_event(stream: &mut Option<WatchStream>) -> Option<Result<WatchEvent, KvError>> {
    match stream {
        Some(stream) => stream.next().await,
        None => std::future::pending().await,
    }
}

/// Every entry under any of `prefixes`, sorted by key, each key once. A value the store
/// cannot hand out (one that does not decode or decrypt: the error names its key) is
/// logged and left out; the rest of the resync goes on.
async fn list_all(
    store: &dyn KvStore,
    prefixes: &[&str],
    plugin: &str,
) -> Result<Vec<KvEntry>, KvError> {
    let mut all: Vec<KvEntry> = Vec::new();
    let mut lists = 0;
    for (i, prefix) in prefixes.iter().enumerate() {
        // A prefix inside another one adds nothing.
        let covered = prefixes
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && prefix.starts_with(other) && (other != prefix || j < i));
        if covered {
            continue;
        }
        let entries: Vec<KvEntry> = store
            .list_values(prefix)
            .filter_map(|entry| async move {
                match entry {
                    Err(err) if err.is_codec() => {
                        warn!(target: LOG, %plugin, error = %cninfra_core::ErrorChain(&err), "a value is left out of the resync");
                        None
                    }
                    other => Some(other),
                }
            })
            .try_collect()
            .await?;
        if all.is_empty() {
            all = entries; // no copy for the common single prefix
        } else {
            all.extend(entries);
        }
        lists += 1;
    }
    if lists > 1 || !store.capabilities().sorted_lists {
        all.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        all.dedup_by(|a, b| a.key == b.key);
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use cninfra_kv::{MemoryStore, PutOptions};

    use super::*;

    #[tokio::test]
    async fn nested_and_repeated_prefixes_list_each_key_once() {
        let store = MemoryStore::new();
        for key in ["a/1", "a/b/2", "c/3", "d/4"] {
            store
                .put(key, Bytes::from_static(b"v"), PutOptions::default())
                .await
                .unwrap();
        }
        let listed = list_all(&store, &["a/b/", "a/", "c/", "c/"], "test")
            .await
            .unwrap();
        let keys: Vec<&str> = listed.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(keys, ["a/1", "a/b/2", "c/3"]);
    }
}
