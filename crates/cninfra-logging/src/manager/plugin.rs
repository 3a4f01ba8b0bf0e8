//! [`LogManagerPlugin`]: the `logs` plugin.

use std::sync::Arc;

use cninfra_core::{
    AGENT_LOGGER, BoxError, Flag, InitContext, NotReady, Plugin, Ready, Requirement, async_trait,
};
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::HttpPlugin;
use tracing::{info, warn};

use super::config::LogsConfig;
use super::rest;
use crate::error::LoggingError;
use crate::hooks::{self, HookDrops};
use crate::level::LogLevel;
use crate::registry::LogRegistry;
use crate::settings::LogSettings;

/// The flag (and, upper-cased, the environment variable `INITIAL_LOGLVL`) that sets the
/// initial default level; it wins over `default-level` in `logs.conf`.
pub const INITIAL_LEVEL_FLAG: &str = "initial-loglvl";

/// The log manager plugin (`logs`).
///
/// In `init` it:
/// 1. reads `logs.conf` (`--logs-config` / `LOGS_CONFIG`; built-in defaults when absent);
/// 2. takes the registry it was given, else the global one from [`init`](crate::init),
///    else installs the global one itself;
/// 3. sets the default level from `INITIAL_LOGLVL` (`--initial-loglvl`), else from
///    `default-level` (an invalid `INITIAL_LOGLVL` is logged and ignored), and the format;
/// 4. registers a logger per plugin of the agent and `agent`, then the config's loggers
///    with their levels;
/// 5. adds `GET /log/list` and `PUT /log/{logger}/{level}` to the HTTP plugin;
/// 6. starts the hooks of `logs.conf` (syslog, logstash, fluent), tagged with the service
///    label, and counts their dropped records on `/metrics` when the agent has a
///    [`PrometheusPlugin`].
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_logging::LogManagerPlugin;
/// use cninfra_rpc::rest::HttpPlugin;
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// cninfra_logging::init(); // first thing in main: logs from the start, INITIAL_LOGLVL read
/// let agent = Agent::builder()
///     .plugin(LogManagerPlugin::new())
///     .plugin(HttpPlugin::new())
///     .build()?;
/// agent.run().await // `curl -X PUT localhost:9191/log/http/debug` while it runs
/// # }
/// ```
#[derive(Debug)]
pub struct LogManagerPlugin {
    preset_registry: Option<Arc<LogRegistry>>,
    preset_config: Option<LogsConfig>,
    registry: Ready<Arc<LogRegistry>>,
}

/// Builds a [`LogManagerPlugin`]; see [`LogManagerPlugin::builder`].
#[derive(Debug, Default)]
pub struct LogManagerBuilder {
    registry: Option<Arc<LogRegistry>>,
    config: Option<LogsConfig>,
}

impl LogManagerBuilder {
    /// Uses this registry instead of the global one (tests, embedding).
    pub fn with_registry(mut self, registry: Arc<LogRegistry>) -> Self {
        self.registry = Some(registry);
        self
    }

    /// Uses this config; `logs.conf` is not read (upstream's `UseConf`).
    pub fn with_config(mut self, config: LogsConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<LogManagerPlugin> {
        Arc::new(LogManagerPlugin {
            preset_registry: self.registry,
            preset_config: self.config,
            registry: Ready::new(LogManagerPlugin::NAME),
        })
    }
}

impl LogManagerPlugin {
    /// The plugin's name, also its config file stem and its log target.
    pub const NAME: &'static str = "logs";

    /// The plugin; it serves its REST API on the agent's [`HttpPlugin`].
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a registry or config set in code.
    pub fn builder() -> LogManagerBuilder {
        LogManagerBuilder::default()
    }

    /// The registry in use.
    ///
    /// # Errors
    /// [`NotReady`] before the plugin's `init`.
    pub fn registry(&self) -> Result<&Arc<LogRegistry>, NotReady> {
        self.registry.get()
    }

    /// Starts the hooks of `config` (their tasks end with the plugin) and hands them to the
    /// registry; counts their drops on `/metrics` when the agent has a Prometheus plugin.
    fn start_hooks(&self, ctx: &InitContext, config: &LogsConfig, registry: &LogRegistry) {
        let set = registry.hooks();
        let label = ctx.service_label().to_string();
        let mut sinks = Vec::new();
        for (name, hook) in &config.hooks {
            if let Some(started) = hooks::start(name, hook, &label, set, ctx.shutdown_token()) {
                ctx.spawn(started.task);
                sinks.push(started.sink);
            }
        }
        if sinks.is_empty() {
            return;
        }
        info!(target: LogManagerPlugin::NAME, hooks = ?config.hooks.keys().collect::<Vec<_>>(), "log hooks started");
        set.set(sinks);
        if let Some(prometheus) = ctx.try_dep::<PrometheusPlugin>() {
            prometheus.register_collector(Box::new(HookDrops(set.clone())));
        }
    }

    fn pick_registry(&self) -> Result<Arc<LogRegistry>, LoggingError> {
        if let Some(registry) = &self.preset_registry {
            return Ok(registry.clone());
        }
        match crate::global() {
            Some(registry) => Ok(registry),
            None => crate::try_init_with(LogSettings::from_env()),
        }
    }
}

#[async_trait]
impl Plugin for LogManagerPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<HttpPlugin>(),
            Requirement::optional::<PrometheusPlugin>(),
        ]
    }

    async fn close(&self) -> Result<(), BoxError> {
        // The hook tasks stop with the plugin; the layer stops queueing for them.
        if let Ok(registry) = self.registry.get() {
            registry.hooks().set(Vec::new());
        }
        Ok(())
    }

    fn flags(&self) -> Vec<Flag> {
        vec![Flag::new(
            INITIAL_LEVEL_FLAG,
            "Initial default log level (trace, debug, info, warn, error, fatal, panic); \
             wins over default-level in logs.conf",
        )]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config = match &self.preset_config {
            Some(config) => config.clone(),
            None => ctx.config_or_default::<LogsConfig>()?,
        };
        let registry = self.pick_registry()?;

        let initial = ctx.flag(INITIAL_LEVEL_FLAG).filter(|v| !v.is_empty());
        let default = match initial.map(str::parse::<LogLevel>) {
            Some(Ok(level)) => Some(level),
            Some(Err(error)) => {
                warn!(target: LogManagerPlugin::NAME, %error, "ignoring INITIAL_LOGLVL");
                config.default_level
            }
            None => config.default_level,
        };
        if let Some(level) = default {
            registry.set_default_level(level)?;
        }
        if let Some(format) = config.format {
            registry.set_format(format);
        }
        for name in ctx.plugin_names() {
            registry.register(name)?;
        }
        registry.register(AGENT_LOGGER)?;
        for logger in &config.loggers {
            registry.register(&logger.name)?;
            registry.set_level(&logger.name, logger.level)?;
        }
        ctx.dep::<HttpPlugin>()?
            .merge(rest::router(registry.clone()))?;
        self.start_hooks(ctx, &config, &registry);
        info!(
            target: LogManagerPlugin::NAME,
            default = %registry.default_level(),
            format = %registry.format(),
            loggers = registry.list().len(),
            "log manager ready"
        );
        self.registry.set(registry)?;
        Ok(())
    }
}
