//! [`OrchestratorPlugin`]: the orchestrator in an agent, with the KV store as a source.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, Requirement, async_trait};
use cninfra_kv::KvConnector;

use super::Orchestrator;
use crate::plugin::KvSchedulerPlugin;

/// The orchestrator plugin (`orchestrator`): creates the [`Orchestrator`] over the
/// scheduler of the [`KvSchedulerPlugin`] (required) in `init`.
///
/// With the feature `datasync`, when the agent has a `cninfra_datasync::KvdbSyncPlugin`
/// (an optional requirement), in
/// `after_init` (once every plugin registered its descriptors in its `init`) it watches the
/// scheduler's NB key prefixes through data sync and applies the events as the source
/// [`DATASYNC_SOURCE`](super::DATASYNC_SOURCE): a resync replaces that source's share (a
/// full resync of the merge), a change sets or deletes one key. Each event is acknowledged
/// with the outcome, so a failing key shows in the data sync log and as ERROR of
/// `orchestrator` in the status check.
///
/// Other plugins push their own configuration through
/// [`orchestrator`](Self::orchestrator)`()?.source(LOCAL_SOURCE)`, from their `init` (they
/// require this plugin) or later.
///
/// With [`with_stores`](OrchestratorBuilder::with_stores), further KV stores are sources
/// of their own: each connector given that has a store (a config file), other than the
/// one data sync reads, is listed and watched directly from `after_init`, as the source
/// [`store_source_label`](super::store_source_label)`(<plugin name>)`
/// (`datastore:filedb`), which gives way to every other source. A store's resync (its
/// listing, again after a reconnect with `resync-after-reconnect` or a lost watch) replaces
/// only that source's share. Failures are logged naming the key.
///
/// Descriptors registered after `after_init` are not watched (their keys can still come
/// from other sources).
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_kvscheduler::orchestrator::OrchestratorPlugin;
/// use cninfra_kvscheduler::KvSchedulerPlugin;
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// // Plus the plugins registering descriptors, and (feature `datasync`) data sync.
/// Agent::builder()
///     .plugin(OrchestratorPlugin::new())
///     .plugin(KvSchedulerPlugin::new())
///     .build()?
///     .run()
///     .await
/// # }
/// ```
pub struct OrchestratorPlugin {
    orchestrator: Ready<Orchestrator>,
    stores: Vec<Arc<dyn KvConnector>>,
}

impl std::fmt::Debug for OrchestratorPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrchestratorPlugin")
            .field("orchestrator", &self.orchestrator)
            .field(
                "stores",
                &self.stores.iter().map(|s| s.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Builds an [`OrchestratorPlugin`] with further KV stores as sources.
#[must_use]
pub struct OrchestratorBuilder {
    stores: Vec<Arc<dyn KvConnector>>,
}

impl std::fmt::Debug for OrchestratorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrchestratorBuilder")
            .field(
                "stores",
                &self.stores.iter().map(|s| s.name()).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl OrchestratorBuilder {
    /// Reads every store of `connectors` that data sync does not read, each as a source
    /// of its own; the connectors become dependencies. Give the connectors (the same
    /// instances, in the same order) the agent's data sync chooses from with
    /// `StoreSource::first_of`: data sync reads the first one that has a store (a config
    /// file), so when the agent has a data sync plugin with a store that one is left to
    /// it; every later one that has a store is read here. Without data sync every
    /// connector with a store is read here.
    pub fn with_stores(
        mut self,
        connectors: impl IntoIterator<Item = Arc<dyn KvConnector>>,
    ) -> Self {
        self.stores.extend(connectors);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<OrchestratorPlugin> {
        Arc::new(OrchestratorPlugin {
            orchestrator: Ready::new(OrchestratorPlugin::NAME),
            stores: self.stores,
        })
    }
}

impl OrchestratorPlugin {
    /// The plugin's name (log target, watch and status name).
    pub const NAME: &'static str = "orchestrator";

    /// The plugin; it requires the [`KvSchedulerPlugin`].
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for further KV stores as sources.
    pub fn builder() -> OrchestratorBuilder {
        OrchestratorBuilder { stores: Vec::new() }
    }

    /// The orchestrator (a cheap handle), once `init` ran.
    ///
    /// # Errors
    /// [`NotReady`] naming the plugin before `init`.
    pub fn orchestrator(&self) -> Result<Orchestrator, NotReady> {
        self.orchestrator.get().cloned()
    }
}

#[async_trait]
impl Plugin for OrchestratorPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<KvSchedulerPlugin>(),
            #[cfg(feature = "datasync")]
            Requirement::optional::<cninfra_datasync::KvdbSyncPlugin>(),
        ]
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        self.stores
            .iter()
            .map(|store| Arc::clone(store) as Arc<dyn Plugin>)
            .collect()
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let scheduler = ctx.dep::<KvSchedulerPlugin>()?.scheduler()?;
        self.orchestrator.set(Orchestrator::new(scheduler))?;
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let orchestrator = self.orchestrator.get()?;
        #[cfg(feature = "datasync")]
        let data_sync_reads_first = {
            super::datasync::watch(ctx, orchestrator)?;
            ctx.try_dep::<cninfra_datasync::KvdbSyncPlugin>()
                .is_some_and(|sync| sync.store().is_ok())
        };
        #[cfg(not(feature = "datasync"))]
        let data_sync_reads_first = false;
        super::kvstore::watch(ctx, orchestrator, &self.stores, data_sync_reads_first)
    }
}
