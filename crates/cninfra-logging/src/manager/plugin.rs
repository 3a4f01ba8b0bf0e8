//! [`LogManagerPlugin`]: the `logs` plugin.

use std::sync::{Arc, OnceLock};

use cninfra_core::{AGENT_LOGGER, BoxError, Flag, InitContext, Plugin, async_trait};
use cninfra_rpc::rest::HttpPlugin;
use tracing::{info, warn};

use super::config::LogsConfig;
use super::rest;
use crate::error::LoggingError;
use crate::level::LogLevel;
use crate::registry::LogRegistry;
use crate::settings::LogSettings;

/// The flag (and, upper-cased, the environment variable `INITIAL_LOGLVL`) that sets the
/// initial default level; it wins over `default-level` in `logs.conf`.
pub const INITIAL_LEVEL_FLAG: &str = "initial-loglvl";

/// The log manager plugin (`logs`).
///
/// In `init` it:
/// 1. reads `logs.conf` (`--logs-config` / `LOGS_CONFIG`; built-in defaults when absent) and
///    refuses upstream's `hooks`;
/// 2. takes the registry it was given, else the global one from [`init`](crate::init),
///    else installs the global one itself;
/// 3. sets the default level from `INITIAL_LOGLVL` (`--initial-loglvl`), else from
///    `default-level` (an invalid `INITIAL_LOGLVL` is logged and ignored), and the format;
/// 4. registers a logger per plugin of the agent and `agent`, then the config's loggers
///    with their levels;
/// 5. adds `GET /log/list` and `PUT /log/{logger}/{level}` to the HTTP plugin.
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
///     .plugin(LogManagerPlugin::new(HttpPlugin::new()))
///     .build()?;
/// agent.run().await // `curl -X PUT localhost:9191/log/http/debug` while it runs
/// # }
/// ```
#[derive(Debug)]
pub struct LogManagerPlugin {
    http: Arc<HttpPlugin>,
    preset_registry: Option<Arc<LogRegistry>>,
    preset_config: Option<LogsConfig>,
    registry: OnceLock<Arc<LogRegistry>>,
}

impl LogManagerPlugin {
    /// The plugin's name, also its config file stem and its logger.
    pub const NAME: &'static str = crate::LOG;

    /// The plugin, serving its REST API on `http`.
    pub fn new(http: Arc<HttpPlugin>) -> Self {
        Self {
            http,
            preset_registry: None,
            preset_config: None,
            registry: OnceLock::new(),
        }
    }

    /// Uses this registry instead of the global one (tests, embedding).
    pub fn with_registry(mut self, registry: Arc<LogRegistry>) -> Self {
        self.preset_registry = Some(registry);
        self
    }

    /// Uses this config; `logs.conf` is not read (upstream's `UseConf`).
    pub fn with_config(mut self, config: LogsConfig) -> Self {
        self.preset_config = Some(config);
        self
    }

    /// The registry in use, once `init` ran.
    pub fn registry(&self) -> Option<&Arc<LogRegistry>> {
        self.registry.get()
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

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.http.clone()]
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
        if config.hooks.is_some() {
            return Err(LoggingError::HooksNotSupported {
                file: ctx.config_path().map(|p| p.display().to_string()),
            }
            .into());
        }
        let registry = self.pick_registry()?;

        let initial = ctx.flag(INITIAL_LEVEL_FLAG).filter(|v| !v.is_empty());
        let default = match initial.map(str::parse::<LogLevel>) {
            Some(Ok(level)) => Some(level),
            Some(Err(error)) => {
                warn!(target: crate::LOG, %error, "ignoring INITIAL_LOGLVL");
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
        self.http.merge(rest::router(registry.clone()))?;
        info!(
            target: crate::LOG,
            default = %registry.default_level(),
            format = %registry.format(),
            loggers = registry.list().len(),
            "log manager ready"
        );
        // `init` runs once per agent; a second agent reusing this plugin keeps the first.
        let _ = self.registry.set(registry);
        Ok(())
    }
}
