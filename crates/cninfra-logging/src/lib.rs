//! Logging for cninfra: named loggers on top of `tracing` whose levels change at run time,
//! text or JSON output, the log manager plugin with its REST API, and a step [`Tracer`].
//!
//! A *logger* is a tracing target prefix: every plugin logs with its name as target
//! (`tracing::info!(target: "http", …)`), so `PUT /log/http/debug` turns on the debug lines
//! of the HTTP plugin, and nothing else, on the very next line. The guide is
//! `docs/logging.md`.
//!
//! # Quick start
//! ```no_run
//! use cninfra_core::Agent;
//! use cninfra_logging::LogManagerPlugin;
//! use cninfra_rpc::rest::HttpPlugin;
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     // Install the subscriber first; `INITIAL_LOGLVL` and `LOG_FORMAT` are read here.
//!     cninfra_logging::init();
//!     let builder = Agent::builder()
//!         .plugin(LogManagerPlugin::new())
//!         .plugin(HttpPlugin::new());
//!     cninfra_core::run_main(builder).await
//! }
//! ```
//!
//! # Parts
//! - [`LogRegistry`]: the loggers and their [`LogLevel`]s; [`init`] installs one for the
//!   process, [`LogRegistry::new`] builds one to use locally.
//! - [`LogManagerPlugin`] (`logs`): `logs.conf` ([`LogsConfig`]), `INITIAL_LOGLVL`,
//!   `GET /log/list` / `PUT /log/{logger}/{level}`, and upstream's log hooks (syslog,
//!   logstash, fluent; [`HookConfig`]) that never hold up the code that logs.
//! - [`Tracer`]: durations of named, repeated steps.

mod error;
mod filter;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod hooks;
mod level;
mod manager;
mod output;
mod registry;
mod settings;
mod tracer;

use std::sync::{Arc, OnceLock};

use tracing_subscriber::util::SubscriberInitExt;

pub use error::LoggingError;
pub use hooks::{HOOKS_LOGGER, HookConfig};
pub use level::LogLevel;
pub use manager::{
    INITIAL_LEVEL_FLAG, LogManagerBuilder, LogManagerPlugin, LoggerConfig, LogsConfig,
};
pub use registry::{DEFAULT_LOGGER, LogRegistry, MAX_LOGGER_NAME_LEN, MAX_PENDING_LEVELS};
pub use settings::{FORMAT_VAR, INITIAL_LEVEL_VAR, LogFormat, LogSettings};
pub use tracer::{EntityStats, Trace, TraceEntry, Tracer};

static GLOBAL: OnceLock<Arc<LogRegistry>> = OnceLock::new();

/// Installs the global log subscriber, configured from the process environment
/// (`INITIAL_LOGLVL`, `LOG_FORMAT`; see [`LogSettings::from_env`]), and returns its registry.
/// Records of the `log` crate are forwarded to it too.
///
/// # Panics
/// When a global `tracing` subscriber (or `log` logger) is already installed; see
/// [`try_init`].
///
/// # Examples
/// ```no_run
/// let registry = cninfra_logging::init();
/// registry.register("my-plugin")?;
/// tracing::info!(target: "my-plugin", "started");
/// # Ok::<(), cninfra_logging::LoggingError>(())
/// ```
pub fn init() -> Arc<LogRegistry> {
    match try_init() {
        Ok(registry) => registry,
        Err(err) => panic!("cninfra_logging::init: {err}"),
    }
}

/// Like [`init`], returning an error instead of panicking.
///
/// # Errors
/// [`LoggingError::AlreadyInstalled`] when a global subscriber is already installed.
pub fn try_init() -> Result<Arc<LogRegistry>, LoggingError> {
    try_init_with(LogSettings::from_env())
}

/// Installs the global log subscriber as `settings` say, and returns its registry.
///
/// # Errors
/// [`LoggingError::AlreadyInstalled`] when a global subscriber is already installed.
///
/// # Examples
/// ```no_run
/// use cninfra_logging::{LogFormat, LogSettings};
///
/// let registry = cninfra_logging::try_init_with(
///     LogSettings::from_env().with_format(LogFormat::Json).with_writer(std::io::stderr),
/// )?;
/// # Ok::<(), cninfra_logging::LoggingError>(())
/// ```
pub fn try_init_with(settings: LogSettings) -> Result<Arc<LogRegistry>, LoggingError> {
    let (registry, dispatch) = LogRegistry::new(settings);
    dispatch
        .try_init()
        .map_err(|source| LoggingError::AlreadyInstalled { source })?;
    // Only one `try_init` can succeed per process, so the slot is empty here.
    let _ = GLOBAL.set(registry.clone());
    Ok(registry)
}

/// The registry installed by [`init`] / [`try_init`] / [`try_init_with`], if any.
pub fn global() -> Option<Arc<LogRegistry>> {
    GLOBAL.get().cloned()
}
