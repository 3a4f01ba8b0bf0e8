//! [`LoggingError`]: everything that can go wrong in this crate.

/// Why a logging call failed. Messages name the value at fault and, where there is a fixed
/// set, the valid choices.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoggingError {
    /// A level name that is not one of the known levels.
    #[error("invalid log level {level:?}; valid levels: {valid}")]
    InvalidLevel {
        /// The text that was given.
        level: String,
        /// The accepted names, comma-separated.
        valid: String,
    },
    /// A name that cannot be a logger (a tracing target prefix).
    #[error(
        "invalid logger name {name:?}: use at most {max} letters, digits, `_`, `-`, `.` and \
         `::`; `default` is reserved for the default level",
        max = crate::MAX_LOGGER_NAME_LEN
    )]
    InvalidLoggerName {
        /// The name that was given.
        name: String,
    },
    /// A level for a logger not registered yet, when the registry already remembers as
    /// many such levels as it keeps ([`MAX_PENDING_LEVELS`](crate::MAX_PENDING_LEVELS)).
    #[error(
        "logger {logger:?} is not registered and levels for {limit} other unregistered loggers \
         are waiting already; register it first"
    )]
    TooManyPendingLevels {
        /// The logger whose level was being set.
        logger: String,
        /// The most levels kept for unregistered loggers.
        limit: usize,
    },
    /// An output format that is not `text` or `json`.
    #[error("invalid log format {format:?}; valid formats: text, json")]
    InvalidFormat {
        /// The text that was given.
        format: String,
    },
    /// The subscriber built with the registry was dropped, so levels cannot change any more.
    #[error("the log subscriber of this registry is gone; the level of {logger:?} was not changed")]
    SubscriberGone {
        /// The logger whose level was being set.
        logger: String,
        /// What `tracing-subscriber` reported.
        #[source]
        source: tracing_subscriber::reload::Error,
    },
    /// Another global `tracing` subscriber is already installed.
    #[error(
        "a global tracing subscriber is already installed; call cninfra_logging::init() once, \
         first thing in main, or give the log manager a registry of its own"
    )]
    AlreadyInstalled {
        /// What `tracing` reported.
        #[source]
        source: tracing_subscriber::util::TryInitError,
    },
}
