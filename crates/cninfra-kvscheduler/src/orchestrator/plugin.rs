//! [`OrchestratorPlugin`]: the orchestrator in an agent, with the KV store as a source.

use std::sync::{Arc, OnceLock};

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_datasync::KvdbSyncPlugin;

use super::{DATASYNC_SOURCE, LOG, Orchestrator, OrchestratorError, datasync};
use crate::plugin::KvSchedulerPlugin;

/// The orchestrator plugin (`orchestrator`): creates the [`Orchestrator`] over the
/// scheduler in `init`; in `after_init` (once every plugin registered its descriptors in
/// its `init`) it watches the scheduler's NB key prefixes through data sync and applies
/// the events as the source [`DATASYNC_SOURCE`]: a resync replaces that source's share
/// (a full resync of the merge), a change sets or deletes one key. Each event is
/// acknowledged with the outcome, so a failing key shows in the data sync log and as
/// ERROR of `orchestrator` in the status check.
///
/// Other plugins push their own configuration through
/// [`orchestrator`](Self::orchestrator)`()?.source(LOCAL_SOURCE)`, from their `init` (they
/// depend on this plugin) or later.
///
/// Descriptors registered after `after_init` are not watched (their keys can still come
/// from other sources).
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_datasync::{KvdbSyncPlugin, ResyncPlugin, StoreSource};
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kvscheduler::example::ExampleDescriptorsPlugin;
/// use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;
/// use cninfra_kvscheduler::KvSchedulerPlugin;
///
/// # async fn demo(store: StoreSource) -> Result<(), cninfra_core::AgentError> {
/// let sync = KvdbSyncPlugin::new(store);
/// let scheduler = KvSchedulerPlugin::new();
/// Agent::builder()
///     .plugin(StatusCheckPlugin::new())
///     .plugin(ResyncPlugin::new())
///     .plugin(ExampleDescriptorsPlugin::new(scheduler.clone()))
///     .plugin(OrchestratorPlugin::new(scheduler, sync))
///     .build()?
///     .run()
///     .await
/// # }
/// ```
#[derive(Debug)]
pub struct OrchestratorPlugin {
    scheduler: Arc<KvSchedulerPlugin>,
    sync: Arc<KvdbSyncPlugin>,
    orchestrator: OnceLock<Orchestrator>,
}

impl OrchestratorPlugin {
    /// The plugin's name (log target, watch and status name).
    pub const NAME: &'static str = "orchestrator";

    /// The plugin over `scheduler`, with the KV store of `sync` as the source `datasync`.
    pub fn new(scheduler: Arc<KvSchedulerPlugin>, sync: Arc<KvdbSyncPlugin>) -> Arc<Self> {
        Arc::new(Self {
            scheduler,
            sync,
            orchestrator: OnceLock::new(),
        })
    }

    /// The orchestrator, once `init` ran.
    ///
    /// # Errors
    /// [`OrchestratorError::NotReady`] before `init`.
    pub fn orchestrator(&self) -> Result<Orchestrator, OrchestratorError> {
        self.orchestrator
            .get()
            .cloned()
            .ok_or(OrchestratorError::NotReady)
    }
}

#[async_trait]
impl Plugin for OrchestratorPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.scheduler.clone(), self.sync.clone()]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        let orchestrator = Orchestrator::new(self.scheduler.scheduler()?);
        // `init` runs once per agent; a second value could only come from a reused plugin.
        let _ = self.orchestrator.set(orchestrator);
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let orchestrator = self.orchestrator()?;
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
        let watcher = self.sync.watch(ctx, &refs)?;
        tracing::info!(target: LOG, ?prefixes, "watching the KV store");
        let source = orchestrator.source(DATASYNC_SOURCE);
        ctx.spawn(datasync::run(watcher, source, ctx.shutdown_token()));
        Ok(())
    }
}
