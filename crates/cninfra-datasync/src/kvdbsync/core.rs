//! [`SyncCore`]: the state the data sync plugin shares with its tasks, its publisher and
//! the local transport.

use std::sync::{Arc, OnceLock};

use cninfra_core::{InitContext, Ready};
use cninfra_health::StatusCheckPlugin;
use cninfra_kv::KvStore;
use tokio::sync::{mpsc, oneshot, watch};

use super::task::{Host, Task};
use crate::config::SyncConfig;
use crate::error::DatasyncError;
use crate::event::ResyncCause;
use crate::local::LocalState;
use crate::registry::{Command, Registration, Registry};
use crate::resync::{ResyncHandle, ResyncParticipant, WatchOutcome};
use crate::watcher::Watcher;

/// What the data sync plugin's `init` found.
pub(crate) struct Found {
    pub(crate) status: Arc<StatusCheckPlugin>,
    pub(crate) resync: ResyncHandle,
    pub(crate) config: SyncConfig,
    pub(crate) store: Option<Arc<dyn KvStore>>,
}

/// Shared by the plugin, its per-watch tasks, [`KvPublisher`](crate::KvPublisher)s and the
/// [`LocalTransport`](crate::LocalTransport).
#[derive(Debug)]
pub(crate) struct SyncCore {
    pub(crate) name: String,
    /// Found by type in `init`.
    pub(crate) status: Ready<Arc<StatusCheckPlugin>>,
    /// The orchestrator's handle, found by type in `init`.
    pub(crate) resync: Ready<ResyncHandle>,
    pub(crate) registry: Registry,
    /// The config given in code, or the default; replaced by the file's in `init`.
    preset: SyncConfig,
    config: OnceLock<SyncConfig>,
    /// The store under the agent prefix, set in `init`; `None` inside when there is none.
    store: Ready<Option<Arc<dyn KvStore>>>,
    ctx: OnceLock<InitContext>,
    /// Bumped whenever the store reconnected (status keys are written again).
    reconnects: watch::Sender<u64>,
    /// The local transport's state; a commit takes its lock only to take its revision and its
    /// place at each watch (never across an await).
    pub(crate) local: parking_lot::Mutex<LocalState>,
}

impl SyncCore {
    pub(crate) fn new(name: &'static str, preset: SyncConfig) -> Self {
        Self {
            name: name.to_owned(),
            status: Ready::new(name),
            resync: Ready::new(name),
            registry: Registry::default(),
            preset,
            config: OnceLock::new(),
            store: Ready::new(name),
            ctx: OnceLock::new(),
            reconnects: watch::Sender::new(0),
            local: parking_lot::Mutex::default(),
        }
    }

    /// The config in use.
    pub(crate) fn config(&self) -> &SyncConfig {
        self.config.get().unwrap_or(&self.preset)
    }

    /// Sets what `init` found: the status check, the orchestrator, the config, the store
    /// (already under the agent prefix) and the context to spawn tasks with.
    ///
    /// # Errors
    /// [`NotReady`](cninfra_core::NotReady) when `init` ran before.
    pub(crate) fn start(
        &self,
        found: Found,
        ctx: &InitContext,
    ) -> Result<(), cninfra_core::NotReady> {
        self.status.set(found.status)?;
        self.resync.set(found.resync)?;
        self.store.set(found.store)?;
        let _ = self.config.set(found.config);
        let _ = self.ctx.set(ctx.clone());
        Ok(())
    }

    /// The store under the agent prefix.
    ///
    /// # Errors
    /// [`DatasyncError::NotReady`] before `init`, [`DatasyncError::NoStore`] without one.
    pub(crate) fn store(&self) -> Result<Arc<dyn KvStore>, DatasyncError> {
        match self.store.get()? {
            Some(store) => Ok(Arc::clone(store)),
            None => Err(DatasyncError::NoStore {
                sync: self.name.clone(),
            }),
        }
    }

    /// Tells the orchestrator how a watch's resync outside a round went.
    pub(crate) fn record_outcome(&self, watch: &str, result: &Result<(), DatasyncError>) {
        if let Ok(resync) = self.resync.get() {
            resync.record_outcome(watch, result);
        }
    }

    /// The store's connector came back: the statuses are written again, and with `resync`
    /// (the connector's `resync-after-reconnect`) a resync round is requested.
    pub(crate) fn reconnected(&self, connector: &str, resync: bool) {
        self.note_reconnect();
        if resync && let Ok(handle) = self.resync.get() {
            handle.request_resync(format!("{connector} reconnected"));
        }
    }

    /// Notes that the store reconnected.
    pub(crate) fn note_reconnect(&self) {
        self.reconnects.send_modify(|count| *count += 1);
    }

    /// A receiver that changes on every reconnect.
    pub(crate) fn reconnects(&self) -> watch::Receiver<u64> {
        self.reconnects.subscribe()
    }

    /// Registers a watch; see [`KvdbSyncPlugin::watch`](crate::KvdbSyncPlugin::watch).
    pub(crate) fn watch(
        self: &Arc<Self>,
        name: &str,
        prefixes: &[&str],
    ) -> Result<Watcher, DatasyncError> {
        let status = Arc::clone(self.status.get()?);
        if prefixes.is_empty() {
            return Err(DatasyncError::NoPrefix {
                name: name.to_owned(),
            });
        }
        let prefixes: Vec<String> = prefixes.iter().map(|p| (*p).to_owned()).collect();
        let (events, receiver) = mpsc::channel(self.config().channel_capacity.max(1));
        let registration = Arc::new(Registration::new(name, prefixes.clone(), events, status));
        let activated = self.registry.add(Arc::clone(&registration))?;
        registration.reporter.register();
        if activated && matches!(self.store.get(), Ok(None)) {
            registration.reporter.ok();
        }
        self.spawn_task(registration, activated.then_some(ResyncCause::Registered));
        Ok(Watcher::new(name.to_owned(), prefixes, receiver))
    }

    /// Starts the store task of `registration` once there is a store and a context; the
    /// first resync comes from the orchestrator unless `initial` says to run one now.
    fn spawn_task(self: &Arc<Self>, registration: Arc<Registration>, initial: Option<ResyncCause>) {
        let (Some(ctx), Ok(Some(store))) = (self.ctx.get(), self.store.get()) else {
            return;
        };
        let Some(commands) = registration.take_commands() else {
            return; // already running
        };
        let (core, store, stop) = (Arc::clone(self), Arc::clone(store), ctx.shutdown_token());
        ctx.spawn(async move {
            let task = Task::new(core as Arc<dyn Host>, registration, store);
            task.run(commands, stop, initial).await;
        });
    }
}

impl Host for SyncCore {
    fn config(&self) -> &SyncConfig {
        SyncCore::config(self)
    }

    fn remove_watch(&self, name: &str) {
        self.registry.remove(name);
    }

    fn record_outcome(&self, name: &str, result: &Result<(), DatasyncError>) {
        SyncCore::record_outcome(self, name, result);
    }

    fn note_reconnect(&self) {
        SyncCore::note_reconnect(self);
    }
}

#[cninfra_core::async_trait]
impl ResyncParticipant for SyncCore {
    fn name(&self) -> &str {
        &self.name
    }

    async fn resync(&self, cause: &ResyncCause) -> Vec<WatchOutcome> {
        let registrations = self.registry.activate();
        if self.store().is_err() {
            // Nothing to read: the watches are as synced as they can be.
            for registration in &registrations {
                registration.reporter.ok();
            }
            return Vec::new();
        }
        let limit = self.config().resync_request_limit() + self.config().retry_interval;
        let mut outcomes = Vec::with_capacity(registrations.len());
        for registration in registrations {
            let (reply, answer) = oneshot::channel();
            let command = Command::Resync {
                cause: cause.clone(),
                reply,
            };
            let asked = async {
                registration.commands.send(command).await.ok()?;
                answer.await.ok()
            };
            let result = match tokio::time::timeout(limit, asked).await {
                Ok(Some(result)) => result,
                // The task ended: the watcher was dropped or the agent stops.
                Ok(None) => continue,
                Err(_) => Err(DatasyncError::Busy {
                    plugin: registration.name.to_string(),
                    after: limit,
                }),
            };
            if matches!(result, Err(DatasyncError::Closed { .. })) {
                continue;
            }
            outcomes.push(WatchOutcome {
                watch: registration.name.to_string(),
                result,
            });
        }
        outcomes
    }
}
