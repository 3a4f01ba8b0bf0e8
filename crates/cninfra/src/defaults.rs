//! The standard infrastructure plugins as one group.

use std::sync::Arc;

use cninfra_core::Plugin;
use cninfra_health::{ProbePlugin, StatusCheckPlugin};
use cninfra_logging::LogManagerPlugin;
use cninfra_rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};

/// The plugins nearly every agent runs: the log manager (`logs`), the REST server (`http`),
/// Prometheus (`prometheus`), the status check (`status-check`) and the probes (`probe`).
///
/// The fields are public so that application plugins can hold the same instances as
/// dependencies; pass the group to [`AgentBuilder::plugins`](cninfra_core::AgentBuilder::plugins).
///
/// # Examples
/// ```
/// use cninfra::{Agent, Defaults};
///
/// let infra = Defaults::new();
/// let http = infra.http.clone(); // for an application plugin's routes
/// let agent = Agent::builder().plugins(infra).with_args(["agent"]).build()?;
/// assert_eq!(agent.plugin_names(), ["http", "logs", "prometheus", "status-check", "probe"]);
/// # drop(http);
/// # Ok::<(), cninfra::AgentError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Defaults {
    /// REST server.
    pub http: Arc<HttpPlugin>,
    /// Log manager with the `/log` REST API.
    pub logs: Arc<LogManagerPlugin>,
    /// Prometheus `/metrics`.
    pub prometheus: Arc<PrometheusPlugin>,
    /// Status check.
    pub status_check: Arc<StatusCheckPlugin>,
    /// `/liveness` and `/readiness`.
    pub probe: Arc<ProbePlugin>,
}

impl Defaults {
    /// The group with every plugin on its defaults (configured by flags and config files).
    pub fn new() -> Self {
        let http = HttpPlugin::new();
        let prometheus = PrometheusPlugin::new(http.clone());
        let status_check = StatusCheckPlugin::new();
        Self {
            logs: Arc::new(LogManagerPlugin::new(http.clone())),
            probe: Arc::new(ProbePlugin::new(
                http.clone(),
                status_check.clone(),
                prometheus.clone(),
            )),
            http,
            prometheus,
            status_check,
        }
    }
}

impl Default for Defaults {
    fn default() -> Self {
        Self::new()
    }
}

impl IntoIterator for Defaults {
    type Item = Arc<dyn Plugin>;
    type IntoIter = std::array::IntoIter<Arc<dyn Plugin>, 5>;

    fn into_iter(self) -> Self::IntoIter {
        [
            self.http as Arc<dyn Plugin>,
            self.logs,
            self.prometheus,
            self.status_check,
            self.probe,
        ]
        .into_iter()
    }
}
