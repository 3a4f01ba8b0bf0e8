//! Watches that survive etcd restarts.
//!
//! One etcd watch per [`KvStore::watch`] call covers all its prefixes (the smallest key
//! range holding them; events between them are filtered out), so events arrive in
//! revision order with no duplicates. The returned stream reads the etcd stream as the
//! consumer polls it: no task, no buffer of ours; etcd holds the events of a slow
//! consumer without blocking writers, and dropping the stream cancels the etcd watch.
//!
//! The stream remembers the revision after the last change it delivered. When the etcd
//! stream breaks (etcd stopped, connection lost) it creates the watch again from that
//! revision until etcd answers, so no change is lost or repeated. Failed attempts are
//! spaced by a jittered back-off from 100 ms up to `reconnect-interval`, which starts again
//! once changes flow. When that history is gone it sends [`ResyncReason::Compacted`] and goes on
//! from the current revision; when the server came back without its data (its revision
//! or raft term went back, or another cluster answers) it sends
//! [`ResyncReason::Reconnected`].

use std::collections::VecDeque;
use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::watch::Backoff;
use cninfra_kv::{ChangeKind, KeyChange, KvError, KvStore, ResyncReason, WatchEvent, WatchStream};
use etcd_client::{EventType, WatchOptions, WatchResponse};
use futures::StreamExt;
use tracing::{debug, info, warn};

use super::keys::KeyRange;
use super::{EtcdStore, LOG, revision_of};
use crate::connect::ServerMark;
use crate::error::kv_error;

type Item = Result<WatchEvent, KvError>;

/// The first pause between two attempts to create the watch again (capped by the
/// store's reconnect interval, which is the longest).
const FIRST_RETRY: Duration = Duration::from_millis(100);

/// Starts a watch of `prefixes`; the returned future resolves once etcd confirmed it.
pub(super) async fn start(
    store: EtcdStore,
    prefixes: &[&str],
    from_revision: Option<u64>,
) -> Result<WatchStream, KvError> {
    let prefixes: Vec<String> = prefixes.iter().map(|p| (*p).to_owned()).collect();
    let longest = store.reconnect_interval();
    let mut watcher = Watcher {
        range: KeyRange::covering(&prefixes),
        prefixes,
        // etcd reads start revision 0 as "from now"; `Some(0)` asks for all history.
        next: from_revision.map_or(0, |r| r.max(1)),
        mark: None,
        stream: None,
        wait: false,
        backoff: Backoff::new(FIRST_RETRY.min(longest), longest),
        pending: VecDeque::new(),
        ask_revision: false,
        store,
    };
    let (stream, mark) = watcher.create().await?;
    watcher.accept(mark);
    watcher.stream = Some(stream);
    let events = futures::stream::unfold(watcher, |mut watcher| async move {
        let item = watcher.next_item().await?;
        Some((item, watcher))
    });
    Ok(events.boxed())
}

struct Watcher {
    store: EtcdStore,
    prefixes: Vec<String>,
    range: KeyRange,
    /// Start revision of the next etcd watch: every change before it was delivered (or
    /// is not wanted). 0 until the first watch is created "from now".
    next: u64,
    /// The server as last seen: id, term, and the highest revision known to exist.
    mark: Option<ServerMark>,
    /// The etcd watch; `None` while it has to be created again.
    stream: Option<etcd_client::WatchStream>,
    /// Wait before creating the watch again.
    wait: bool,
    /// How long: grows while attempts fail, starts again once changes flow.
    backoff: Backoff,
    /// Items of the last response not handed out yet.
    pending: VecDeque<Item>,
    /// Learn the current revision (for `next`) before handing out pending items.
    ask_revision: bool,
}

impl Watcher {
    /// Creates the etcd watch from `next` and waits until etcd confirms it.
    async fn create(&self) -> Result<(etcd_client::WatchStream, ServerMark), KvError> {
        let client = self.store.watch_client()?;
        let mut options = WatchOptions::new()
            .with_range(self.range.end.clone())
            .with_prev_key();
        if self.next > 0 {
            options = options.with_start_revision(i64::try_from(self.next).unwrap_or(i64::MAX));
        }
        let created = self
            .store
            .read("watch", || {
                let (mut client, options) = (client.clone(), options.clone());
                let start = self.range.start.clone();
                async move {
                    let mut stream = client.watch(start, Some(options)).await?;
                    let created = stream.message().await?;
                    Ok((stream, created))
                }
            })
            .await?
            .map_err(|err| kv_error(self.store.name(), "watch", err))?;
        match created {
            (stream, Some(created)) => {
                let mark = self.confirm(ServerMark::of(created.header())).await;
                Ok((stream, mark))
            }
            (_, None) => Err(KvError::Unavailable {
                store: self.store.name().to_owned(),
                source: "etcd closed the watch stream before confirming it".into(),
            }),
        }
    }

    /// `mark` of the member that created the watch, or the cluster's when that member looks
    /// reset: a member that just came back may lag behind the others (an older revision or
    /// term) without having lost anything, so a linearizable probe decides. A reset
    /// server, or a cluster that does not answer the probe, leaves `mark` as it is.
    async fn confirm(&self, mark: ServerMark) -> ServerMark {
        let Some(before) = self.mark.filter(|before| mark.is_reset_since(before)) else {
            return mark;
        };
        match self.store.probe().await {
            Ok(cluster) if !cluster.is_reset_since(&before) => {
                debug!(target: LOG, member = mark.revision, cluster = cluster.revision, "the watch's member lags behind the cluster");
                cluster
            }
            _ => mark,
        }
    }

    /// Takes a created watch: remembers the server and where the watch started.
    fn accept(&mut self, mark: ServerMark) {
        if self.next == 0 {
            self.next = mark.revision + 1;
        }
        let known = self.mark.map_or(0, |m| m.revision);
        self.mark = Some(ServerMark {
            revision: mark.revision.max(known),
            ..mark
        });
    }

    /// The next item: a pending one, else from the etcd stream, else after creating the
    /// etcd watch again. `None` once the store is closed.
    async fn next_item(&mut self) -> Option<Item> {
        let closed = self.store.closed_token().clone();
        loop {
            if self.ask_revision {
                self.ask_revision = false;
                let asked = tokio::select! {
                    () = closed.cancelled() => return None,
                    asked = self.store.revision() => asked,
                };
                match asked {
                    Ok(revision) => self.next = self.next.max(revision + 1),
                    Err(err) => debug!(target: LOG, error = %err, "no revision after compaction"),
                }
            }
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if closed.is_cancelled() {
                return None;
            }
            if let Some(stream) = self.stream.as_mut() {
                let message = tokio::select! {
                    () = closed.cancelled() => return None,
                    message = stream.message() => message,
                };
                match message {
                    Ok(Some(response)) => self.handle(&response),
                    Ok(None) => {
                        info!(target: LOG, next = self.next, "etcd ended the watch stream; resuming");
                        self.lost(false);
                    }
                    Err(err) => {
                        warn!(target: LOG, error = %err, next = self.next, "watch stream broke; resuming");
                        self.lost(false);
                    }
                }
                continue;
            }
            if self.wait {
                tokio::select! {
                    () = closed.cancelled() => return None,
                    () = tokio::time::sleep(self.backoff.next_delay()) => {}
                }
            }
            let created = tokio::select! {
                () = closed.cancelled() => return None,
                created = self.create() => created,
            };
            self.wait = true;
            match created {
                Ok((stream, mark)) => self.resume(stream, mark),
                Err(err) => {
                    debug!(target: LOG, error = %err, next = self.next, "watch not resumed yet")
                }
            }
        }
    }

    /// The etcd watch is gone; create it again (after a wait if `wait`).
    fn lost(&mut self, wait: bool) {
        self.stream = None;
        self.wait = wait;
    }

    /// Takes a watch created again, unless the server lost its history meanwhile.
    fn resume(&mut self, stream: etcd_client::WatchStream, mark: ServerMark) {
        match self.mark {
            Some(before) if mark.is_reset_since(&before) => {
                warn!(
                    target: LOG,
                    revision = mark.revision,
                    before = before.revision,
                    "etcd came back without its history; the watch needs a resync"
                );
                self.pending
                    .push_back(Ok(WatchEvent::Resync(ResyncReason::Reconnected)));
                self.next = mark.revision + 1;
                self.mark = Some(mark);
                self.lost(false);
            }
            _ => {
                info!(target: LOG, next = self.next, "watch resumed");
                self.accept(mark);
                self.stream = Some(stream);
            }
        }
    }

    /// Queues the changes of one response (or what its cancellation means).
    fn handle(&mut self, response: &WatchResponse) {
        if response.canceled() {
            self.canceled(response);
            return;
        }
        // Not on a created watch alone: etcd may cancel it at once (no permission).
        self.backoff.reset();
        let mut last = 0;
        for event in response.events() {
            let Some(kv) = event.kv() else { continue };
            last = u64::try_from(kv.mod_revision()).unwrap_or(0);
            let Ok(key) = std::str::from_utf8(kv.key()) else {
                self.pending.push_back(Err(KvError::InvalidKey {
                    key: String::from_utf8_lossy(kv.key()).into_owned(),
                    reason: "the key stored in etcd is not UTF-8",
                }));
                continue;
            };
            if !self.prefixes.iter().any(|p| key.starts_with(p.as_str())) {
                continue;
            }
            let kind = match event.event_type() {
                EventType::Put => ChangeKind::Put,
                EventType::Delete => ChangeKind::Delete,
            };
            let value = match kind {
                ChangeKind::Put => Bytes::copy_from_slice(kv.value()),
                ChangeKind::Delete => Bytes::new(),
            };
            self.pending.push_back(Ok(WatchEvent::Change(KeyChange {
                key: key.to_owned(),
                kind,
                value,
                prev_value: event.prev_kv().map(|p| Bytes::copy_from_slice(p.value())),
                revision: last,
            })));
        }
        if last > 0 {
            self.next = self.next.max(last + 1);
            if let Some(mark) = &mut self.mark {
                mark.revision = mark.revision.max(last);
            }
        }
    }

    /// etcd canceled the watch: history compacted away, or refused (permissions).
    fn canceled(&mut self, response: &WatchResponse) {
        let compact = u64::try_from(response.compact_revision()).unwrap_or(0);
        if compact > 0 {
            let reason = ResyncReason::Compacted {
                requested: self.next,
                compacted: compact - 1,
            };
            warn!(target: LOG, %reason, "watch needs a resync");
            self.pending.push_back(Ok(WatchEvent::Resync(reason)));
            // Go on after the revision etcd has now: the consumer lists after receiving
            // the signal, so it sees at least that revision. etcd 3.4 sends no header
            // here: then ask for the revision before handing the signal out, and until
            // known, go on from the oldest revision kept (repeats, but no loss).
            let now = revision_of(response.header());
            self.next = if now > 0 { now + 1 } else { compact };
            self.ask_revision = now == 0;
            self.lost(false);
            return;
        }
        self.pending.push_back(Err(KvError::Backend {
            store: self.store.name().to_owned(),
            op: "watch",
            source: format!("etcd canceled the watch: {}", response.cancel_reason()).into(),
        }));
        self.lost(true);
    }
}
