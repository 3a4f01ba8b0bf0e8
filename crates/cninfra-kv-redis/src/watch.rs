//! Watches by keyspace notifications, on a pub/sub connection of their own.
//!
//! For each watched prefix the watch subscribes (`PSUBSCRIBE`) to two patterns: the
//! keyspace notifications `__keyspace@<db>__:<prefix>*` and the announcements of writes
//! made with exact watch values, `cninfra-kv@<db>:<prefix>*` (see [`crate::scripts`]). An
//! announcement becomes a change with the exact new and old value, and the keyspace
//! notification that follows it is dropped.
//!
//! A notification without announcement (a plain write, a write by another client, an
//! expiry, an eviction) makes the watch read the key with `GET` and report the state it
//! finds, without previous value: a put of the value read after a write, a delete after a
//! delete. When the state read does not match the notification (the key was written
//! again meanwhile) nothing is reported: the notification of that later change follows
//! and reports it. The reads happen one after the other, in notification order, so the
//! events of a key are snapshots in time order: a quick second change may hide the first
//! (the event then carries the newer value), but a key never goes back to an older state
//! and its last event matches its last change.
//!
//! When the pub/sub connection drops, the watch reconnects with jittered back-off, subscribes
//! again and sends [`ResyncReason::Reconnected`]: whatever happened meanwhile is only in
//! a new listing. The same happens when the `GET` of a notified key fails for lack of a
//! connection (the key's state is unknown, e.g. its master just failed), when the
//! sentinels name a new master, and in a cluster when the set of masters changes (checked
//! every [`TOPOLOGY_CHECK`]: a replica promoted after a failover, a master added or
//! removed), so that the watch hears every master of the cluster as it is now. A consumer
//! that falls [`DEFAULT_WATCH_BUFFER`] events behind gets [`ResyncReason::Lagged`] instead
//! of blocking the watch.

use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::watch::{Backoff, EventSender, Sent, event_channel, minimal_prefixes};
use cninfra_kv::{
    ChangeKind, DEFAULT_WATCH_BUFFER, KeyChange, KvError, ResyncReason, WatchEvent, WatchStream,
};
use futures::stream::BoxStream;
use futures::{StreamExt, stream};
use redis::Msg;

use crate::error::RedisError;
use crate::list::glob_prefix;
use crate::scripts;
use crate::store::RedisStore;

/// The messages of a watch's subscriptions; `None` when one of them ended.
type Messages = BoxStream<'static, Option<Msg>>;

/// First and longest pause between two reconnection attempts.
const BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));

/// What a watch hands to its consumer.
type Item = Result<WatchEvent, KvError>;

/// How often a cluster watch compares the cluster's masters with those it subscribed on.
const TOPOLOGY_CHECK: Duration = Duration::from_secs(1);

/// Opens a watch of `prefixes`: checks keyspace notifications, subscribes, and returns
/// once the subscriptions are confirmed.
pub(crate) async fn start(store: RedisStore, prefixes: &[&str]) -> Result<WatchStream, KvError> {
    // Each key then matches one pattern only, so Redis sends each message once.
    let prefixes = minimal_prefixes(prefixes);
    let (messages, masters) = subscribe(&store, &prefixes).await?;
    let (sender, receiver) = event_channel(DEFAULT_WATCH_BUFFER);
    let watcher = Watcher {
        store,
        prefixes,
        sender,
        expect: None,
        backoff: Backoff::new(BACKOFF.0, BACKOFF.1),
        masters,
    };
    tokio::spawn(watcher.run(messages));
    Ok(receiver.into_watch_stream())
}

/// Checks keyspace notifications and subscribes to both patterns of every prefix (in
/// sentinel mode, first to the sentinel's master switches; in a cluster, on every
/// master). Returns the messages and the cluster masters subscribed on (none outside a
/// cluster).
async fn subscribe(
    store: &RedisStore,
    prefixes: &[String],
) -> Result<(Messages, Vec<String>), KvError> {
    let inner = &store.inner;
    store.usable()?;
    let mut con = inner.con();
    inner
        .target
        .ensure_keyspace_events(&mut con, inner.enable_keyspace_events)
        .await
        .map_err(|err| match err {
            RedisError::KeyspaceEventsConfig { source, .. } => {
                crate::error::kv_error(&inner.name, "watch", inner.command_timeout, source)
            }
            other => other.into_kv(&inner.name, "watch"),
        })?;
    let unavailable = |err: RedisError| KvError::Unavailable {
        store: inner.name.clone(),
        source: Box::new(err),
    };
    let switches = crate::failover::switch_events(&inner.target)
        .await
        .map_err(unavailable)?;
    let masters = store.run_timed("watch", inner.con().masters()).await?;
    let nodes: Vec<Option<&str>> = if !inner.target.is_cluster() {
        vec![None]
    } else {
        masters.iter().map(|m| Some(m.as_str())).collect()
    };
    let patterns: Vec<String> = prefixes
        .iter()
        .flat_map(|prefix| {
            let glob = glob_prefix(prefix);
            [
                format!("{}{glob}", inner.keyspace_prefix),
                format!("{}{glob}", inner.announce_prefix),
            ]
        })
        .collect();
    let ends = || stream::once(async { None });
    let mut streams: Vec<Messages> = Vec::new();
    for node in nodes {
        let mut pubsub = inner.target.pubsub(node).await.map_err(unavailable)?;
        store
            .run_timed("watch", pubsub.psubscribe(&patterns))
            .await?;
        streams.push(pubsub.into_on_message().map(Some).chain(ends()).boxed());
    }
    if let Some(switches) = switches {
        streams.push(switches.map(Some).chain(ends()).boxed());
    }
    Ok((stream::select_all(streams).boxed(), masters))
}

/// Whether the watch goes on with its subscriptions after a message.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Stay,
    /// Subscribe again and resync: the sentinels named a new master, or the state of a
    /// notified key could not be read.
    Resubscribe,
}

/// The task behind one watch stream.
struct Watcher {
    store: RedisStore,
    prefixes: Vec<String>,
    sender: EventSender<Item>,
    /// The keyspace notification that the last announcement makes redundant.
    expect: Option<(String, ChangeKind)>,
    /// Pauses between reconnection attempts.
    backoff: Backoff,
    /// The cluster masters subscribed on (`host:port`, sorted); empty outside a cluster.
    masters: Vec<String>,
}

impl Watcher {
    async fn run(mut self, mut messages: Messages) {
        let closed = self.store.inner.closed.clone();
        let cluster = self.store.inner.target.is_cluster();
        let mut topology = tokio::time::interval(TOPOLOGY_CHECK);
        topology.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let lost = tokio::select! {
                () = closed.cancelled() => return,
                () = self.sender.closed() => return,
                _ = topology.tick(), if cluster => self.masters_changed().await,
                message = messages.next() => match message {
                    Some(Some(message)) => self.handle(&message).await == Flow::Resubscribe,
                    Some(None) | None => true,
                },
            };
            if lost {
                match self.reconnect().await {
                    Some(again) => messages = again,
                    None => return,
                }
            }
        }
    }

    /// Whether the cluster's masters now differ from those the watch subscribed on. A
    /// failed look-up counts as no change: a lost connection shows in the messages.
    async fn masters_changed(&self) -> bool {
        let store = &self.store;
        match store.run_timed("watch", store.inner.con().masters()).await {
            Ok(masters) if masters != self.masters => {
                tracing::info!(target: crate::LOG, prefixes = ?self.prefixes, from = ?self.masters, to = ?masters, "the cluster's masters changed; the watch subscribes on the new ones");
                true
            }
            Ok(_) => false,
            Err(err) => {
                tracing::debug!(target: crate::LOG, error = %err, "cannot read the cluster's masters");
                false
            }
        }
    }

    /// Subscribes again until it works (or the watch is dropped or the store closed), then
    /// owes the consumer a resync. `None` when the watch should end.
    async fn reconnect(&mut self) -> Option<Messages> {
        let inner = &self.store.inner;
        inner.state.disconnected(&"the watch connection closed");
        // In sentinel mode the master may have moved (or restarted): find it again.
        crate::failover::master_lost(&self.store);
        self.expect = None;
        loop {
            tokio::select! {
                () = inner.closed.cancelled() => return None,
                () = self.sender.closed() => return None,
                () = tokio::time::sleep(self.backoff.next_delay()) => {}
            }
            match subscribe(&self.store, &self.prefixes).await {
                Ok((messages, masters)) => {
                    self.masters = masters;
                    self.backoff.reset();
                    inner.state.connected();
                    tracing::info!(target: crate::LOG, prefixes = ?self.prefixes, "watch re-subscribed; asking for a resync");
                    self.emit(Ok(WatchEvent::Resync(ResyncReason::Reconnected)));
                    return Some(messages);
                }
                Err(err) if err.is_retryable() => {
                    tracing::debug!(target: crate::LOG, error = %err, "watch reconnect failed");
                }
                Err(err) => {
                    // E.g. keyspace notifications were turned off while we were away.
                    tracing::warn!(target: crate::LOG, error = %err, "watch cannot continue");
                    self.emit(Err(err));
                    return None;
                }
            }
        }
    }

    async fn handle(&mut self, message: &Msg) -> Flow {
        let Ok(channel) = message.get_channel::<Vec<u8>>() else {
            return Flow::Stay;
        };
        let inner = &self.store.inner;
        if channel == crate::failover::SWITCH_MASTER.as_bytes() {
            let ours = inner.target.sentinels().is_some_and(|(name, _)| {
                crate::failover::is_switch_of(message.get_payload_bytes(), name)
            });
            if ours {
                tracing::info!(target: crate::LOG, prefixes = ?self.prefixes, "the sentinels named a new master; the watch moves there");
                return Flow::Resubscribe;
            }
            return Flow::Stay;
        }
        self.handle_change(&channel, message).await
    }

    /// An announcement or a keyspace notification.
    async fn handle_change(&mut self, channel: &[u8], message: &Msg) -> Flow {
        let inner = &self.store.inner;
        if let Some(key) = channel.strip_prefix(inner.announce_prefix.as_bytes()) {
            let Ok(key) = std::str::from_utf8(key) else {
                return Flow::Stay;
            };
            match scripts::decode(message.get_payload_bytes()) {
                Some(announced) => {
                    self.expect = Some((key.to_owned(), announced.kind));
                    self.change(key, announced.kind, announced.value, announced.prev);
                }
                None => {
                    tracing::warn!(target: crate::LOG, %key, "ignored a message on an announcement channel that is not one");
                }
            }
        } else if let Some(key) = channel.strip_prefix(inner.keyspace_prefix.as_bytes()) {
            let Ok(key) = std::str::from_utf8(key) else {
                tracing::debug!(target: crate::LOG, "ignored a notification of a non-UTF-8 key");
                return Flow::Stay;
            };
            let Some(kind) = std::str::from_utf8(message.get_payload_bytes())
                .ok()
                .and_then(keyspace_kind)
            else {
                return Flow::Stay;
            };
            if self
                .expect
                .take()
                .is_some_and(|(k, expected)| k == key && expected == kind)
            {
                return Flow::Stay;
            }
            return self.read_state(key, kind).await;
        }
        Flow::Stay
    }

    /// A change without announcement: reads the key and reports its state when it
    /// matches the notification's `kind` (otherwise a later notification reports it).
    /// When the read fails for lack of a connection the key's state is unknown: the watch
    /// subscribes again and asks for a resync.
    async fn read_state(&mut self, key: &str, kind: ChangeKind) -> Flow {
        let mut con = self.store.inner.con();
        let mut get = redis::cmd("GET");
        get.arg(key);
        let read = get.query_async::<Option<Vec<u8>>>(&mut con);
        match (self.store.run("watch", read).await, kind) {
            (Ok(Some(value)), ChangeKind::Put) => {
                self.change(key, ChangeKind::Put, value.into(), None);
            }
            (Ok(None), ChangeKind::Delete) => self.change(key, kind, Bytes::new(), None),
            // Changed again meanwhile: that change's notification follows.
            (Ok(_), _) => {}
            (Err(KvError::Backend { .. }), _) => {
                tracing::debug!(target: crate::LOG, %key, "a watched key holds no string value");
            }
            (Err(err), _) if err.is_retryable() => {
                tracing::info!(target: crate::LOG, %key, error = %err, "cannot read a notified key; the watch subscribes again and asks for a resync");
                return Flow::Resubscribe;
            }
            (Err(err), _) => self.emit(Err(err)),
        }
        Flow::Stay
    }

    fn change(&mut self, key: &str, kind: ChangeKind, value: Bytes, prev_value: Option<Bytes>) {
        self.emit(Ok(WatchEvent::Change(KeyChange {
            key: key.to_owned(),
            kind,
            value,
            prev_value,
            revision: 0,
        })));
    }

    /// Queues an item without waiting; a consumer too far behind loses what is queued and
    /// reads a [`ResyncReason::Lagged`] first (the policy of [`event_channel`]).
    fn emit(&self, item: Item) {
        if let Ok(Sent::Overflowed { dropped }) = self.sender.send(item) {
            tracing::warn!(target: crate::LOG, prefixes = ?self.prefixes, dropped, "watcher fell behind; dropped its queued events and asks for a resync");
        }
    }
}

/// The change a keyspace event stands for; `None` for events that change no string value
/// (`expire`, `persist`, commands on other types).
fn keyspace_kind(event: &str) -> Option<ChangeKind> {
    match event {
        "set" | "setrange" | "incrby" | "incrbyfloat" | "append" | "rename_to" | "copy_to"
        | "restore" | "move_to" => Some(ChangeKind::Put),
        "del" | "expired" | "evicted" | "rename_from" | "move_from" => Some(ChangeKind::Delete),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_events_map_to_changes() {
        assert_eq!(keyspace_kind("set"), Some(ChangeKind::Put));
        assert_eq!(keyspace_kind("expired"), Some(ChangeKind::Delete));
        assert_eq!(keyspace_kind("expire"), None);
        assert_eq!(keyspace_kind("lpush"), None);
    }
}
