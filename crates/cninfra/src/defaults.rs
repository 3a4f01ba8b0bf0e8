//! The standard infrastructure plugins as one group.

use cninfra_core::{PluginGroup, PluginGroupBuilder};
use cninfra_health::StatusCheckPlugin;
use cninfra_logging::LogManagerPlugin;
use cninfra_rpc::{probe::ProbePlugin, prometheus::PrometheusPlugin, rest::HttpPlugin};

/// The plugins nearly every agent runs, as a [`PluginGroup`]: the REST server (`http`), the
/// log manager (`logs`), Prometheus (`prometheus`), the status check (`status-check`) and
/// the probes (`probe`).
///
/// Application plugins reach the members by type (`Requirement::of::<HttpPlugin>()` and
/// `ctx.dep::<HttpPlugin>()`), so a member replaced with [`PluginGroupBuilder::set`] serves
/// all of them.
///
/// # Examples
/// ```
/// use cninfra::rpc::probe::ProbePlugin;
/// use cninfra::rpc::rest::{HttpConfig, HttpPlugin};
/// use cninfra::{Agent, Defaults, PluginGroup};
///
/// let agent = Agent::builder().group(Defaults).with_args(["agent"]).build()?;
/// // Dependencies first: the log manager counts its hooks' drops on Prometheus.
/// assert_eq!(agent.plugin_names(), ["http", "prometheus", "logs", "status-check", "probe"]);
///
/// // Another REST endpoint, and no probes:
/// let config = HttpConfig { endpoint: "127.0.0.1:8080".into(), ..HttpConfig::default() };
/// let infra = Defaults
///     .build()
///     .set(HttpPlugin::builder().with_config(config).build())
///     .without::<ProbePlugin>();
/// let agent = Agent::builder().group(infra).with_args(["agent"]).build()?;
/// assert_eq!(agent.plugin_names(), ["http", "prometheus", "logs", "status-check"]);
/// # Ok::<(), cninfra::AgentError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Defaults;

impl PluginGroup for Defaults {
    fn build(self) -> PluginGroupBuilder {
        PluginGroupBuilder::new()
            .with(HttpPlugin::new())
            .with(LogManagerPlugin::new())
            .with(PrometheusPlugin::new())
            .with(StatusCheckPlugin::new())
            .with(ProbePlugin::new())
    }
}
