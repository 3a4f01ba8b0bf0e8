//! The local transport: in-process transactions delivered to the same watches as the
//! store's changes (upstream's `kvdbsync/local`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use bytes::Bytes;
use cninfra_kv::KvEntry;
use futures::future::join_all;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::delivery;
use crate::error::DatasyncError;
use crate::event::ResyncCause;
use crate::kvdbsync::SyncCore;
use crate::registry::Registration;
use crate::resync::WatchOutcome;

/// What the local transport remembers between transactions.
///
/// # Ordering
/// A commit locks this state only for a moment, without awaiting anything: to take its
/// revision, to compute its `prev_value`s, and to take its [`Turn`] at every watch it
/// delivers to. It then waits for its turn at each watch (the previous commit's events are
/// in that watch's channel), puts its events there, lets the next commit go, and only then
/// waits for the acknowledgements. So every watch receives local commits whole and in
/// revision order, and each `prev_value` is the value the commit before gave, as when one
/// lock covered the whole commit; but a commit no longer waits for the acknowledgements of
/// the one before (up to the ack time limit each), and a watch that is slow to take events
/// holds up only the commits delivered to it.
#[derive(Debug, Default)]
pub(crate) struct LocalState {
    /// The value each key got from the last local transaction that touched it.
    values: HashMap<String, Bytes>,
    /// Counts commits; the revision of local change events.
    revision: u64,
    /// Per watch: resolves once the latest commit's events are in the watch's channel.
    queued: HashMap<Arc<str>, oneshot::Receiver<()>>,
}

impl LocalState {
    /// The next revision, and a turn at each of `targets` (some of the `registered`
    /// watches) behind the commits before.
    fn begin(
        &mut self,
        registered: &[Arc<Registration>],
        targets: &[Arc<Registration>],
    ) -> (u64, Vec<Turn>) {
        self.revision += 1;
        // Forget the watches that are gone.
        self.queued
            .retain(|name, _| registered.iter().any(|watch| watch.name == *name));
        let turns = targets
            .iter()
            .map(|watch| {
                let (done, queued) = oneshot::channel();
                let previous = self.queued.insert(Arc::clone(&watch.name), queued);
                Turn {
                    previous,
                    _done: done,
                }
            })
            .collect();
        (self.revision, turns)
    }
}

/// A commit's place in the line of one watch: it may put its events into the watch's
/// channel once the commit before it did. Dropping it lets the next commit go (also when
/// the commit gives up or is cancelled).
#[derive(Debug)]
struct Turn {
    previous: Option<oneshot::Receiver<()>>,
    /// Never sent: dropping it wakes the next commit.
    _done: oneshot::Sender<()>,
}

impl Turn {
    /// Waits until the commit before has queued its events (or gave up).
    async fn wait(&mut self) {
        if let Some(previous) = self.previous.take() {
            // An error only means the sender was dropped, which is the signal.
            let _ = previous.await;
        }
    }
}

/// Delivers in-process transactions to the watches of a
/// [`KvdbSyncPlugin`](crate::KvdbSyncPlugin), as change (or resync) events with the same
/// acknowledgements, without going through the store. Keys are relative to the agent
/// prefix, as for the store. Cheap to clone. Commits may run concurrently: each watch
/// receives them whole and in revision order, and a commit does not wait for the
/// acknowledgements of another.
///
/// A local change event's `prev_value` is the value the last local transaction gave the key;
/// its `revision` counts local commits.
///
/// # Examples
/// ```
/// # async fn demo(sync: &cninfra_datasync::KvdbSyncPlugin) {
/// let local = sync.local();
/// let report = local
///     .txn()
///     .put("config/example/v1/a", "{\"port\":80}")
///     .delete("config/example/v1/b")
///     .commit()
///     .await;
/// for outcome in &report.outcomes {
///     if let Err(err) = &outcome.result {
///         tracing::warn!(watch = %outcome.watch, error = %err, "not applied");
///     }
/// }
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct LocalTransport {
    core: Arc<SyncCore>,
}

impl LocalTransport {
    pub(crate) fn new(core: Arc<SyncCore>) -> Self {
        Self { core }
    }

    /// A transaction of puts and deletes, delivered as change events on commit.
    pub fn txn(&self) -> LocalTxn {
        LocalTxn {
            core: Arc::clone(&self.core),
            ops: Vec::new(),
        }
    }

    /// A resync transaction: the full state, delivered as a resync event to every watch
    /// (with the values under its prefixes, possibly none) on commit.
    pub fn resync(&self) -> LocalResync {
        LocalResync {
            core: Arc::clone(&self.core),
            values: BTreeMap::new(),
        }
    }
}

/// What a commit did, per watch that got events.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct CommitReport {
    /// One outcome per watch that got events, in registration order: `Ok` when the plugin
    /// acknowledged all of them, else the first failure.
    pub outcomes: Vec<WatchOutcome>,
}

impl CommitReport {
    /// True when every watch acknowledged success.
    pub fn is_ok(&self) -> bool {
        self.outcomes.iter().all(|outcome| outcome.result.is_ok())
    }

    /// The outcome of the watch named `watch`, if it got events.
    pub fn outcome(&self, watch: &str) -> Option<&Result<(), DatasyncError>> {
        self.outcomes
            .iter()
            .find(|outcome| outcome.watch == watch)
            .map(|outcome| &outcome.result)
    }
}

/// A local transaction; see [`LocalTransport::txn`].
#[derive(Debug)]
#[must_use = "a transaction does nothing until committed"]
pub struct LocalTxn {
    core: Arc<SyncCore>,
    ops: Vec<(String, Option<Bytes>)>,
}

impl LocalTxn {
    /// Adds a put of `value` under `key`.
    pub fn put(mut self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.ops.push((key.into(), Some(value.into())));
        self
    }

    /// Adds a delete of `key`.
    pub fn delete(mut self, key: impl Into<String>) -> Self {
        self.ops.push((key.into(), None));
        self
    }

    /// Delivers each operation as a change event to every watch with a matching prefix,
    /// in order, and waits for the acknowledgements (the change ack time limit counts from
    /// the commit). Failures are also reported to the status check and the log.
    pub async fn commit(self) -> CommitReport {
        let limit = self.core.config().change_ack_timeout;
        let registered = self.core.registry.snapshot();
        let (revision, changes, turns) = {
            let mut state = self.core.local.lock();
            let changes: Vec<(String, Option<Bytes>, Option<Bytes>)> = self
                .ops
                .into_iter()
                .map(|(key, value)| {
                    let prev = match &value {
                        Some(value) => state.values.insert(key.clone(), value.clone()),
                        None => state.values.remove(&key),
                    };
                    (key, value, prev)
                })
                .collect();
            let targets: Vec<_> = registered
                .iter()
                .filter(|registration| changes.iter().any(|(key, ..)| registration.matches(key)))
                .cloned()
                .collect();
            let (revision, turns) = state.begin(&registered, &targets);
            (revision, changes, targets.into_iter().zip(turns))
        };
        let deliveries = turns.map(|(registration, turn)| {
            let mine: Vec<_> = changes
                .iter()
                .filter(|(key, ..)| registration.matches(key))
                .cloned()
                .collect();
            deliver_changes(registration, turn, mine, revision, limit)
        });
        CommitReport {
            outcomes: join_all(deliveries).await,
        }
    }
}

/// Delivers `changes` to one watch when its `turn` comes, then waits for all
/// acknowledgements by one deadline (counted from the turn).
async fn deliver_changes(
    registration: Arc<Registration>,
    mut turn: Turn,
    changes: Vec<(String, Option<Bytes>, Option<Bytes>)>,
    revision: u64,
    limit: std::time::Duration,
) -> WatchOutcome {
    turn.wait().await;
    let deadline = Instant::now() + limit;
    let mut acks = Vec::with_capacity(changes.len());
    let mut result = Ok(());
    for (key, value, prev) in changes {
        let (event, wait) = delivery::change(key.clone(), value, prev, revision);
        match tokio::time::timeout_at(deadline, registration.events.send(event)).await {
            Ok(Ok(())) => acks.push(delivery::ack(
                &registration.name,
                Some(key),
                wait,
                limit,
                deadline,
            )),
            Ok(Err(_)) => {
                result = Err(DatasyncError::Closed {
                    plugin: registration.name.to_string(),
                });
                break;
            }
            Err(_) => {
                result = Err(DatasyncError::AckTimeout {
                    plugin: registration.name.to_string(),
                    key: Some(key),
                    after: limit,
                });
                break;
            }
        }
    }
    // Queued: the next commit may deliver to this watch while this one waits for its acks.
    drop(turn);
    for ack in join_all(acks).await {
        if let (Ok(()), Err(err)) = (&result, ack) {
            result = Err(err);
        }
    }
    if !matches!(result, Err(DatasyncError::Closed { .. })) {
        registration.reporter.outcome(&result);
    }
    WatchOutcome {
        watch: registration.name.to_string(),
        result,
    }
}

/// A local resync transaction; see [`LocalTransport::resync`].
#[derive(Debug)]
#[must_use = "a resync does nothing until committed"]
pub struct LocalResync {
    core: Arc<SyncCore>,
    values: BTreeMap<String, Bytes>,
}

impl LocalResync {
    /// Adds `key` with `value` to the full state.
    pub fn put(mut self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.values.insert(key.into(), value.into());
        self
    }

    /// Delivers a resync event to every watch, one after the other in registration order,
    /// each with the values under its prefixes, and waits for each acknowledgement (resync
    /// accept and ack time limits). The local transport forgets earlier local values.
    pub async fn commit(self) -> CommitReport {
        let limits = self.core.config().resync_limits();
        let targets = self.core.registry.snapshot();
        let (revision, turns) = {
            let mut state = self.core.local.lock();
            state.values = self
                .values
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect();
            state.begin(&targets, &targets)
        };
        let mut outcomes = Vec::with_capacity(targets.len());
        for (registration, mut turn) in targets.into_iter().zip(turns) {
            let values = self
                .values
                .iter()
                .filter(|(key, _)| registration.matches(key))
                .map(|(key, value)| KvEntry {
                    key: key.clone(),
                    value: value.clone(),
                    revision,
                })
                .collect();
            turn.wait().await;
            // `delivery::resync` queues the event and waits for its acknowledgement in one
            // call, so the turn passes on after the acknowledgement: later commits reach
            // this watch once it applied the resync. (The resync reaches the watches one
            // after the other anyway, so later commits wait for it at the watches after
            // this one.)
            let result = delivery::resync(&registration, values, ResyncCause::Local, limits).await;
            drop(turn);
            if !matches!(result, Err(DatasyncError::Closed { .. })) {
                registration.reporter.outcome(&result);
            }
            outcomes.push(WatchOutcome {
                watch: registration.name.to_string(),
                result,
            });
        }
        CommitReport { outcomes }
    }
}
