use std::sync::Arc;

use axum::routing::get;
use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::HttpPlugin;

use super::answer::{Probes, liveness, readiness};
use super::metrics::HealthCollector;
use super::{LIVENESS_PATH, LOG, READINESS_PATH};
use crate::statuscheck::StatusCheckPlugin;

/// The probe plugin (`probe`): `GET /liveness` and `GET /readiness` for Kubernetes, and the
/// health gauges on `/metrics`.
///
/// Both answer `200 OK` or `503 Service Unavailable` (see [`Criticality`](crate::Criticality)
/// for the rule) with the agent status as JSON, plus `non_fatal_plugins` when some are set.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_health::{ProbePlugin, StatusCheckPlugin};
/// use cninfra_rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};
///
/// let http = HttpPlugin::new();
/// let status = StatusCheckPlugin::new();
/// let probe = ProbePlugin::new(http.clone(), status.clone(), PrometheusPlugin::new(http))
///     // Errors of the Kafka connector fail neither probe.
///     .with_non_fatal_plugins(["kafka"]);
/// let agent = Agent::builder().plugin(probe).with_args(["agent"]).build()?;
/// assert_eq!(agent.plugin_names(), ["http", "status-check", "prometheus", "probe"]);
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
#[derive(Debug)]
pub struct ProbePlugin {
    http: Arc<HttpPlugin>,
    status: Arc<StatusCheckPlugin>,
    prometheus: Arc<PrometheusPlugin>,
    non_fatal: Arc<[String]>,
}

impl ProbePlugin {
    /// The plugin, serving on `http`, judging from `status`, with gauges on `prometheus`.
    pub fn new(
        http: Arc<HttpPlugin>,
        status: Arc<StatusCheckPlugin>,
        prometheus: Arc<PrometheusPlugin>,
    ) -> Self {
        Self {
            http,
            status,
            prometheus,
            non_fatal: Arc::new([]),
        }
    }

    /// Names plugins whose ERROR fails neither probe (upstream's `WithNonFatalPlugins`);
    /// their INIT still keeps the agent from being ready.
    pub fn with_non_fatal_plugins<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.non_fatal = names.into_iter().map(Into::into).collect();
        self
    }
}

#[async_trait]
impl Plugin for ProbePlugin {
    fn name(&self) -> &str {
        LOG
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![
            self.http.clone(),
            self.status.clone(),
            self.prometheus.clone(),
        ]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        let probes = Probes::new(Arc::clone(&self.status), Arc::clone(&self.non_fatal));
        self.http
            .route(LIVENESS_PATH, get(liveness).with_state(probes.clone()))?;
        self.http
            .route(READINESS_PATH, get(readiness).with_state(probes))?;
        self.prometheus
            .register_collector(Box::new(HealthCollector::new(
                Arc::clone(&self.status),
                Arc::clone(&self.non_fatal),
            )));
        Ok(())
    }
}
