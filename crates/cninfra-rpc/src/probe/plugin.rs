use std::sync::Arc;

use axum::routing::get;
use cninfra_core::{BoxError, InitContext, Plugin, Requirement, async_trait};
use cninfra_health::StatusCheckPlugin;

use super::answer::{Probes, liveness, readiness};
use super::metrics::HealthCollector;
use super::{LIVENESS_PATH, READINESS_PATH};
use crate::prometheus::PrometheusPlugin;
use crate::rest::HttpPlugin;

/// The probe plugin (`probe`): `GET /liveness` and `GET /readiness` for Kubernetes, and the
/// health gauges on `/metrics`.
///
/// Both answer `200 OK` or `503 Service Unavailable` (see
/// [`Criticality`](cninfra_health::Criticality) for the rule) with the agent status as JSON,
/// plus `non_fatal_plugins` when some are set. The probes need no credentials and are not
/// rate limited, whatever `http.conf` says: Kubernetes cannot send credentials.
///
/// It requires the [`HttpPlugin`], the [`StatusCheckPlugin`] and the [`PrometheusPlugin`].
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_rpc::{probe::ProbePlugin, prometheus::PrometheusPlugin, rest::HttpPlugin};
///
/// let probe = ProbePlugin::builder()
///     // Errors of the Kafka connector fail neither probe.
///     .with_non_fatal_plugins(["kafka"])
///     .build();
/// let agent = Agent::builder()
///     .plugin(probe)
///     .plugin(HttpPlugin::new())
///     .plugin(StatusCheckPlugin::new())
///     .plugin(PrometheusPlugin::new())
///     .with_args(["agent"])
///     .build()?;
/// assert_eq!(agent.plugin_names(), ["http", "status-check", "prometheus", "probe"]);
/// # Ok::<(), cninfra_core::AgentError>(())
/// ```
#[derive(Debug)]
pub struct ProbePlugin {
    non_fatal: Arc<[String]>,
}

/// Builds a [`ProbePlugin`]; see [`ProbePlugin::builder`].
#[derive(Debug, Default)]
pub struct ProbeBuilder {
    non_fatal: Vec<String>,
}

impl ProbeBuilder {
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

    /// The plugin.
    pub fn build(self) -> Arc<ProbePlugin> {
        Arc::new(ProbePlugin {
            non_fatal: self.non_fatal.into(),
        })
    }
}

impl ProbePlugin {
    /// The plugin's name and log target.
    pub const NAME: &str = "probe";

    /// The plugin, every plugin's ERROR counting.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, to name non-fatal plugins.
    pub fn builder() -> ProbeBuilder {
        ProbeBuilder::default()
    }
}

#[async_trait]
impl Plugin for ProbePlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<HttpPlugin>(),
            Requirement::of::<StatusCheckPlugin>(),
            Requirement::of::<PrometheusPlugin>(),
        ]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let http = ctx.dep::<HttpPlugin>()?;
        let status = ctx.dep::<StatusCheckPlugin>()?;
        let probes = Probes::new(Arc::clone(&status), Arc::clone(&self.non_fatal));
        // No credentials, no rate limit: Kubernetes cannot send any.
        http.public_route(LIVENESS_PATH, get(liveness).with_state(probes.clone()))?;
        http.public_route(READINESS_PATH, get(readiness).with_state(probes))?;
        ctx.dep::<PrometheusPlugin>()?
            .register_collector(Box::new(HealthCollector::new(
                status,
                Arc::clone(&self.non_fatal),
            )));
        Ok(())
    }
}
