//! The scheduler as an agent plugin (`kvscheduler`).

use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "rest")]
use cninfra_core::Requirement;
use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, async_trait};

use crate::config::SchedulerConfig;
use crate::scheduler::Scheduler;

/// How long `close` waits for the engine to finish its queue.
const CLOSE_LIMIT: Duration = Duration::from_secs(10);

/// The KVScheduler plugin: reads `kvscheduler.conf` ([`SchedulerConfig`]) and starts the
/// [`Scheduler`] in `init`. Plugins that register descriptors require it and call
/// [`scheduler`](Self::scheduler) in their `init`.
///
/// With the feature `rest` it uses the HTTP and Prometheus plugins of `cninfra-rpc` when
/// the agent has them (optional requirements): the REST debug API under `/scheduler/` on
/// the HTTP server, the metrics on Prometheus's `/metrics`.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kvscheduler::{KvSchedulerPlugin, SchedulerConfig};
///
/// let scheduler = KvSchedulerPlugin::builder()
///     .with_config(SchedulerConfig { record_transaction_history: false, ..SchedulerConfig::default() })
///     .build();
/// assert!(scheduler.scheduler().is_err()); // before `init`
/// let agent = Agent::builder().plugin(scheduler).with_args(["demo"]).build()?;
/// assert_eq!(agent.plugin_names(), ["kvscheduler"]);
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
#[derive(Debug)]
pub struct KvSchedulerPlugin {
    preset: Option<SchedulerConfig>,
    scheduler: Ready<Scheduler>,
}

/// Builds a [`KvSchedulerPlugin`] with a fixed config ([`KvSchedulerPlugin::builder`]).
#[derive(Debug, Default)]
#[must_use]
pub struct KvSchedulerPluginBuilder {
    config: Option<SchedulerConfig>,
}

impl KvSchedulerPluginBuilder {
    /// A fixed config; `kvscheduler.conf` is not read (upstream's `UseConf`).
    pub fn with_config(mut self, config: SchedulerConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<KvSchedulerPlugin> {
        Arc::new(KvSchedulerPlugin {
            preset: self.config,
            scheduler: Ready::new(KvSchedulerPlugin::NAME),
        })
    }
}

impl KvSchedulerPlugin {
    /// The plugin's name (log target, config file stem).
    pub const NAME: &'static str = "kvscheduler";

    /// The plugin, configured by `kvscheduler.conf` (defaults without one).
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a fixed config.
    pub fn builder() -> KvSchedulerPluginBuilder {
        KvSchedulerPluginBuilder::default()
    }

    /// The running scheduler (a cheap handle), once `init` ran.
    ///
    /// # Errors
    /// [`NotReady`] naming the plugin before `init`.
    pub fn scheduler(&self) -> Result<Scheduler, NotReady> {
        self.scheduler.get().cloned()
    }
}

#[async_trait]
impl Plugin for KvSchedulerPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    #[cfg(feature = "rest")]
    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::optional::<cninfra_rpc::rest::HttpPlugin>(),
            Requirement::optional::<cninfra_rpc::prometheus::PrometheusPlugin>(),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config = ctx
            .config_or_preset(self.preset.as_ref())?
            .unwrap_or_default();
        let scheduler = Scheduler::new(config)?;
        #[cfg(feature = "rest")]
        {
            if let Some(http) = ctx.try_dep::<cninfra_rpc::rest::HttpPlugin>() {
                http.merge(crate::rest::router(scheduler.clone()))?;
            }
            if let Some(prometheus) = ctx.try_dep::<cninfra_rpc::prometheus::PrometheusPlugin>() {
                scheduler.register_metrics(&prometheus);
            }
        }
        tracing::info!(target: KvSchedulerPlugin::NAME, config = ?scheduler.config(), "scheduler started");
        self.scheduler.set(scheduler)?;
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(scheduler) = self.scheduler.try_get() {
            scheduler.stop(CLOSE_LIMIT).await;
        }
        Ok(())
    }
}
