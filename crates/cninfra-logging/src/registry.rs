//! [`LogRegistry`]: the named loggers, their levels, and the subscriber they drive.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::Arc;

use parking_lot::Mutex;
use tracing::{Dispatch, dispatcher, warn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::{Registry, reload};

use crate::error::LoggingError;
use crate::filter::LoggerFilter;
use crate::hooks::{HookLayer, HookSet};
use crate::level::LogLevel;
use crate::output::{FormatSwitch, Output, SharedWriter};
use crate::settings::{LogFormat, LogSettings};

/// The name that stands for the default level in [`LogRegistry::set_level`],
/// [`LogRegistry::level`] and the REST API (`PUT /log/default/debug`).
pub const DEFAULT_LOGGER: &str = "default";

/// Most levels remembered for loggers not registered yet. Anyone who may `PUT
/// /log/{logger}/{level}` can name any number of loggers; past this many, a level for yet
/// another unknown name is refused ([`LoggingError::TooManyPendingLevels`]) instead of
/// growing the registry (and the filter rebuilt on every change) without end.
pub const MAX_PENDING_LEVELS: usize = 1024;

/// Longest logger name, in bytes (tracing targets are module paths and plugin names).
pub const MAX_LOGGER_NAME_LEN: usize = 256;

/// The registry of named loggers.
///
/// A logger is a `tracing` target prefix: logger `http` governs events whose target is
/// `http`, `http::…` or `http.…`; the longest matching logger wins, and targets no logger
/// covers use the default level. A logger without a level of its own follows the default.
/// Each change takes effect on the very next log line, with no restart.
///
/// One registry is normally installed for the process by [`init`](crate::init); tests and
/// embedders can build one with [`LogRegistry::new`] and use the returned [`Dispatch`]
/// locally.
///
/// # Examples
/// ```
/// use cninfra_logging::{LogLevel, LogRegistry, LogSettings};
///
/// let (registry, dispatch) = LogRegistry::new(LogSettings::new().with_writer(std::io::sink));
/// registry.register("http")?;
/// registry.set_level("http", LogLevel::Debug)?;
/// tracing::dispatcher::with_default(&dispatch, || {
///     tracing::debug!(target: "http", path = "/log/list", "request");  // written
///     tracing::debug!(target: "etcd", "not written: etcd follows the default (info)");
/// });
/// assert_eq!(registry.list(), vec![("http".to_owned(), LogLevel::Debug)]);
/// # Ok::<(), cninfra_logging::LoggingError>(())
/// ```
#[derive(Debug)]
pub struct LogRegistry {
    state: Mutex<State>,
    filter: reload::Handle<LoggerFilter, Registry>,
    format: FormatSwitch,
    hooks: HookSet,
}

#[derive(Debug, Clone)]
struct State {
    default: LogLevel,
    /// Registered loggers; `None` follows the default level.
    loggers: BTreeMap<String, Option<LogLevel>>,
    /// Levels set for loggers not registered yet (upstream remembered them too): they
    /// filter their targets already and become the logger's level when it registers.
    pending: BTreeMap<String, LogLevel>,
}

impl State {
    fn filter(&self) -> LoggerFilter {
        let registered = self
            .loggers
            .iter()
            .map(|(name, level)| (name.clone(), level.unwrap_or(self.default).to_filter()));
        let pending = self
            .pending
            .iter()
            .map(|(name, level)| (name.clone(), level.to_filter()));
        LoggerFilter::new(self.default.to_filter(), registered.chain(pending))
    }
}

impl LogRegistry {
    /// A registry with no loggers, and the subscriber it controls. The subscriber writes
    /// as `settings` say; install it with `tracing::dispatcher::set_global_default` (what
    /// [`init`](crate::init) does) or use it locally with `tracing::dispatcher::with_default`.
    /// Level changes fail once the subscriber is dropped.
    pub fn new(settings: LogSettings) -> (Arc<Self>, Dispatch) {
        let state = State {
            default: settings.default_level,
            loggers: BTreeMap::new(),
            pending: BTreeMap::new(),
        };
        let (filter_layer, filter) = reload::Layer::new(state.filter());
        let format = FormatSwitch::new(settings.format);
        let ansi = settings.writer.is_none() && std::io::stdout().is_terminal();
        let writer = SharedWriter::new(settings.writer);
        let hooks = HookSet::default();
        let subscriber = Registry::default()
            .with(filter_layer)
            .with(Output::new(writer, ansi, format.clone()))
            .with(HookLayer(hooks.clone()));
        let dispatch = Dispatch::new(subscriber);
        for warning in &settings.warnings {
            dispatcher::with_default(
                &dispatch,
                || warn!(target: crate::LogManagerPlugin::NAME, "{warning}"),
            );
        }
        let registry = Arc::new(Self {
            state: Mutex::new(state),
            filter,
            format,
            hooks,
        });
        (registry, dispatch)
    }

    /// Adds a logger that follows the default level, or takes the level set for it before it
    /// was registered; a known logger is left as it is.
    ///
    /// # Errors
    /// [`LoggingError::InvalidLoggerName`] for an empty name, `default`, or characters other
    /// than letters, digits, `_`, `-`, `.` and `:`; [`LoggingError::SubscriberGone`].
    pub fn register(&self, logger: &str) -> Result<(), LoggingError> {
        check_name(logger)?;
        if self.state.lock().loggers.contains_key(logger) {
            return Ok(());
        }
        self.update(logger, |state| {
            let level = state.pending.remove(logger);
            state.loggers.entry(logger.to_owned()).or_insert(level);
        })
    }

    /// Sets the level of a logger, or the default level when `logger` is [`DEFAULT_LOGGER`].
    /// The next log line sees the change. A logger not registered yet keeps the level until
    /// it registers (upstream's rule, so a level can be set before its plugin starts); it
    /// is not listed until then, though its targets already follow the level.
    ///
    /// # Errors
    /// [`LoggingError::InvalidLoggerName`] for a name that cannot be a logger;
    /// [`LoggingError::TooManyPendingLevels`] for a logger not registered yet when
    /// [`MAX_PENDING_LEVELS`] others are waiting already; [`LoggingError::SubscriberGone`].
    ///
    /// # Examples
    /// ```
    /// # use cninfra_logging::{LogLevel, LogRegistry, LogSettings};
    /// # let (registry, _dispatch) = LogRegistry::new(LogSettings::new());
    /// registry.register("etcd")?;
    /// registry.set_level("etcd", "warning".parse()?)?;
    /// assert_eq!(registry.level("etcd"), Some(LogLevel::Warn));
    /// registry.set_level("kafka", LogLevel::Debug)?;       // not registered yet: remembered
    /// assert_eq!(registry.level("kafka"), None);
    /// registry.register("kafka")?;
    /// assert_eq!(registry.level("kafka"), Some(LogLevel::Debug));
    /// # Ok::<(), cninfra_logging::LoggingError>(())
    /// ```
    pub fn set_level(&self, logger: &str, level: LogLevel) -> Result<(), LoggingError> {
        if logger == DEFAULT_LOGGER {
            return self.set_default_level(level);
        }
        check_name(logger)?;
        {
            let state = self.state.lock();
            if !state.loggers.contains_key(logger)
                && !state.pending.contains_key(logger)
                && state.pending.len() >= MAX_PENDING_LEVELS
            {
                return Err(LoggingError::TooManyPendingLevels {
                    logger: logger.to_owned(),
                    limit: MAX_PENDING_LEVELS,
                });
            }
        }
        self.update(logger, |state| match state.loggers.get_mut(logger) {
            Some(own) => *own = Some(level),
            None => {
                state.pending.insert(logger.to_owned(), level);
            }
        })
    }

    /// Sets the default level: the level of every logger that has none of its own, and of
    /// targets that no logger covers.
    ///
    /// # Errors
    /// [`LoggingError::SubscriberGone`].
    pub fn set_default_level(&self, level: LogLevel) -> Result<(), LoggingError> {
        self.update(DEFAULT_LOGGER, |state| state.default = level)
    }

    /// The level in force for a registered logger (its own, else the default), or the
    /// default level for [`DEFAULT_LOGGER`]; `None` for an unknown logger.
    pub fn level(&self, logger: &str) -> Option<LogLevel> {
        let state = self.state.lock();
        if logger == DEFAULT_LOGGER {
            return Some(state.default);
        }
        state
            .loggers
            .get(logger)
            .map(|level| level.unwrap_or(state.default))
    }

    /// The default level.
    pub fn default_level(&self) -> LogLevel {
        self.state.lock().default
    }

    /// Every registered logger with the level in force for it, sorted by name.
    pub fn list(&self) -> Vec<(String, LogLevel)> {
        let state = self.state.lock();
        state
            .loggers
            .iter()
            .map(|(name, level)| (name.clone(), level.unwrap_or(state.default)))
            .collect()
    }

    /// [`DEFAULT_LOGGER`], then the registered loggers sorted by name.
    pub fn known_names(&self) -> Vec<String> {
        std::iter::once(DEFAULT_LOGGER.to_owned())
            .chain(self.state.lock().loggers.keys().cloned())
            .collect()
    }

    /// Log records each hook dropped so far (queue full or receiver away), by hook name.
    pub fn hook_drops(&self) -> BTreeMap<String, u64> {
        self.hooks.drops()
    }

    /// The hooks of the subscriber.
    pub(crate) fn hooks(&self) -> &HookSet {
        &self.hooks
    }

    /// Switches the output format; the next log line is written in it.
    pub fn set_format(&self, format: LogFormat) {
        self.format.set(format);
    }

    /// The output format in use.
    pub fn format(&self) -> LogFormat {
        self.format.get()
    }

    /// Applies `change` to a copy of the state, swaps the new filter in, then keeps the copy.
    /// The lock is held throughout, so concurrent changes apply in order.
    fn update(&self, logger: &str, change: impl FnOnce(&mut State)) -> Result<(), LoggingError> {
        let mut state = self.state.lock();
        let mut next = state.clone();
        change(&mut next);
        self.filter
            .reload(next.filter())
            .map_err(|source| LoggingError::SubscriberGone {
                logger: logger.to_owned(),
                source,
            })?;
        *state = next;
        Ok(())
    }
}

fn check_name(name: &str) -> Result<(), LoggingError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_LOGGER_NAME_LEN
        && name != DEFAULT_LOGGER
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'));
    if valid {
        Ok(())
    } else {
        Err(LoggingError::InvalidLoggerName {
            name: name.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_for_unknown_loggers_are_bounded() {
        // Found by the fuzz target `rest_log`: every PUT of a new name was remembered.
        let (registry, _dispatch) = LogRegistry::new(LogSettings::new().with_writer(std::io::sink));
        registry.register("http").unwrap();
        for i in 0..MAX_PENDING_LEVELS {
            registry
                .set_level(&format!("plugin{i}"), LogLevel::Debug)
                .unwrap();
        }
        let err = registry.set_level("one-more", LogLevel::Debug).unwrap_err();
        assert!(
            matches!(
                err,
                LoggingError::TooManyPendingLevels {
                    limit: MAX_PENDING_LEVELS,
                    ..
                }
            ),
            "{err:?}"
        );
        // Names already waiting, registered loggers and the default still change.
        registry.set_level("plugin0", LogLevel::Warn).unwrap();
        registry.set_level("http", LogLevel::Trace).unwrap();
        registry.set_level(DEFAULT_LOGGER, LogLevel::Error).unwrap();
        assert_eq!(registry.level("http"), Some(LogLevel::Trace));
        // A registration takes a waiting level and makes room.
        registry.register("plugin0").unwrap();
        assert_eq!(registry.level("plugin0"), Some(LogLevel::Warn));
        registry.set_level("one-more", LogLevel::Debug).unwrap();
    }

    #[test]
    fn overlong_logger_names_are_refused() {
        let (registry, _dispatch) = LogRegistry::new(LogSettings::new().with_writer(std::io::sink));
        let longest = "a".repeat(MAX_LOGGER_NAME_LEN);
        registry.set_level(&longest, LogLevel::Debug).unwrap();
        let err = registry
            .set_level(&format!("{longest}a"), LogLevel::Debug)
            .unwrap_err();
        assert!(
            matches!(err, LoggingError::InvalidLoggerName { .. }),
            "{err:?}"
        );
    }
}
