//! [`OrchestratorPlugin`]: the orchestrator in an agent, with the KV store as a source.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, Requirement, async_trait};

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
#[derive(Debug)]
pub struct OrchestratorPlugin {
    orchestrator: Ready<Orchestrator>,
}

impl OrchestratorPlugin {
    /// The plugin's name (log target, watch and status name).
    pub const NAME: &'static str = "orchestrator";

    /// The plugin; it requires the [`KvSchedulerPlugin`].
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            orchestrator: Ready::new(Self::NAME),
        })
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

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let scheduler = ctx.dep::<KvSchedulerPlugin>()?.scheduler()?;
        self.orchestrator.set(Orchestrator::new(scheduler))?;
        Ok(())
    }

    #[cfg(feature = "datasync")]
    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        super::datasync::watch(ctx, self.orchestrator.get()?)
    }
}
