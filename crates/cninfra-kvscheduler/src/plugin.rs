//! The scheduler as an agent plugin (`kvscheduler`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::HttpPlugin;

use crate::config::SchedulerConfig;
use crate::error::KvSchedulerError;
use crate::scheduler::Scheduler;

/// How long `close` waits for the engine to finish its queue.
const CLOSE_LIMIT: Duration = Duration::from_secs(10);

/// The KVScheduler plugin: reads `kvscheduler.conf` ([`SchedulerConfig`]), starts the
/// [`Scheduler`] in `init`, adds the REST debug API under `/scheduler/` when given an
/// HTTP plugin and exports metrics when given a Prometheus plugin. Plugins that register
/// descriptors depend on it and call [`scheduler`](Self::scheduler) in their `init`.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_kvscheduler::KvSchedulerPlugin;
/// use cninfra_rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// let http = HttpPlugin::new();
/// let scheduler = KvSchedulerPlugin::with_deps(Some(http.clone()), Some(PrometheusPlugin::new()));
/// Agent::builder().plugin(scheduler).build()?.run().await
/// # }
/// ```
#[derive(Debug)]
pub struct KvSchedulerPlugin {
    http: Option<Arc<HttpPlugin>>,
    prometheus: Option<Arc<PrometheusPlugin>>,
    preset: Option<SchedulerConfig>,
    scheduler: OnceLock<Scheduler>,
}

impl KvSchedulerPlugin {
    /// The plugin's name (log target, config file stem).
    pub const NAME: &'static str = "kvscheduler";

    /// The plugin without REST API or metrics.
    pub fn new() -> Arc<Self> {
        Self::with_deps(None, None)
    }

    /// The plugin with the REST API on `http` and metrics through `prometheus`.
    pub fn with_deps(
        http: Option<Arc<HttpPlugin>>,
        prometheus: Option<Arc<PrometheusPlugin>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            http,
            prometheus,
            preset: None,
            scheduler: OnceLock::new(),
        })
    }

    /// The plugin with a fixed config (no config file is read).
    pub fn with_config(
        config: SchedulerConfig,
        http: Option<Arc<HttpPlugin>>,
        prometheus: Option<Arc<PrometheusPlugin>>,
    ) -> Arc<Self> {
        Arc::new(Self {
            http,
            prometheus,
            preset: Some(config),
            scheduler: OnceLock::new(),
        })
    }

    /// The running scheduler, once `init` ran.
    ///
    /// # Errors
    /// [`KvSchedulerError::NotReady`] before `init`.
    pub fn scheduler(&self) -> Result<Scheduler, KvSchedulerError> {
        self.scheduler
            .get()
            .cloned()
            .ok_or(KvSchedulerError::NotReady)
    }
}

#[async_trait]
impl Plugin for KvSchedulerPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        let mut deps: Vec<Arc<dyn Plugin>> = Vec::new();
        if let Some(http) = &self.http {
            deps.push(http.clone());
        }
        if let Some(prometheus) = &self.prometheus {
            deps.push(prometheus.clone());
        }
        deps
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config = match &self.preset {
            Some(config) => config.clone(),
            None => ctx.config_or_default()?,
        };
        let scheduler = Scheduler::new(config)?;
        if let Some(http) = &self.http {
            http.merge(crate::rest::router(scheduler.clone()))?;
        }
        if let Some(prometheus) = &self.prometheus {
            scheduler.register_metrics(prometheus);
        }
        tracing::info!(target: "kvscheduler", config = ?scheduler.config(), "scheduler started");
        // `init` runs once per agent; a second value could only come from a reused plugin.
        let _ = self.scheduler.set(scheduler);
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(scheduler) = self.scheduler.get() {
            scheduler.stop(CLOSE_LIMIT).await;
        }
        Ok(())
    }
}
