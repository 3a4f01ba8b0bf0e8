//! [`LogLevel`]: the level names users set, and how they map onto `tracing` levels.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tracing_subscriber::filter::LevelFilter;

use crate::error::LoggingError;

/// The level of a logger, as users name it (in `logs.conf`, `INITIAL_LOGLVL` and the REST
/// API).
///
/// `tracing` has no `fatal` or `panic` level: both let only `ERROR` lines through, but the
/// registry keeps and reports the name that was set. Parsing ignores case and accepts
/// `warning` for `warn`.
///
/// # Examples
/// ```
/// use cninfra_logging::LogLevel;
///
/// let level: LogLevel = "Warning".parse()?;
/// assert_eq!(level, LogLevel::Warn);
/// assert_eq!(level.to_string(), "warn");
/// assert!("loud".parse::<LogLevel>().unwrap_err().to_string().contains("debug, info"));
/// # Ok::<(), cninfra_logging::LoggingError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum LogLevel {
    /// Everything, including `trace!` lines.
    Trace,
    /// `debug!` lines and above.
    Debug,
    /// `info!` lines and above; the default.
    #[default]
    Info,
    /// `warn!` lines and above (also spelt `warning`).
    Warn,
    /// `error!` lines only.
    Error,
    /// Upstream's fatal level; behaves as [`Error`](Self::Error).
    Fatal,
    /// Upstream's panic level; behaves as [`Error`](Self::Error).
    Panic,
}

impl LogLevel {
    /// Every level, most verbose first.
    pub const ALL: [LogLevel; 7] = [
        Self::Trace,
        Self::Debug,
        Self::Info,
        Self::Warn,
        Self::Error,
        Self::Fatal,
        Self::Panic,
    ];

    /// The level's name: `trace`, `debug`, `info`, `warn`, `error`, `fatal` or `panic`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
            Self::Fatal => "fatal",
            Self::Panic => "panic",
        }
    }

    /// The names accepted by [`FromStr`], for error messages.
    pub fn valid_names() -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Self::ALL.iter().map(|l| l.as_str()).collect();
        names.insert(4, "warning");
        names
    }

    /// The most verbose `tracing` level this level lets through.
    pub const fn to_filter(self) -> LevelFilter {
        match self {
            Self::Trace => LevelFilter::TRACE,
            Self::Debug => LevelFilter::DEBUG,
            Self::Info => LevelFilter::INFO,
            Self::Warn => LevelFilter::WARN,
            Self::Error | Self::Fatal | Self::Panic => LevelFilter::ERROR,
        }
    }
}

impl fmt::Display for LogLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LogLevel {
    type Err = LoggingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let lower = text.trim().to_ascii_lowercase();
        if lower == "warning" {
            return Ok(Self::Warn);
        }
        Self::ALL
            .into_iter()
            .find(|level| level.as_str() == lower)
            .ok_or_else(|| LoggingError::InvalidLevel {
                level: text.to_owned(),
                valid: Self::valid_names().join(", "),
            })
    }
}

impl Serialize for LogLevel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LogLevel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_and_case_is_ignored() {
        for level in LogLevel::ALL {
            assert_eq!(level.as_str().parse::<LogLevel>().unwrap(), level);
            assert_eq!(
                level.as_str().to_uppercase().parse::<LogLevel>().unwrap(),
                level
            );
        }
        assert_eq!("warning".parse::<LogLevel>().unwrap(), LogLevel::Warn);
        assert_eq!(" debug ".parse::<LogLevel>().unwrap(), LogLevel::Debug);
    }

    #[test]
    fn a_bad_level_names_the_valid_choices() {
        let err = "verbose".parse::<LogLevel>().unwrap_err().to_string();
        assert!(err.contains("\"verbose\""), "{err}");
        assert!(
            err.contains("trace, debug, info, warn, warning, error, fatal, panic"),
            "{err}"
        );
    }

    #[test]
    fn fatal_and_panic_filter_like_error() {
        assert_eq!(LogLevel::Fatal.to_filter(), LevelFilter::ERROR);
        assert_eq!(LogLevel::Panic.to_filter(), LevelFilter::ERROR);
        assert_eq!(LogLevel::Debug.to_filter(), LevelFilter::DEBUG);
    }

    #[test]
    fn serde_uses_the_names() {
        let json = serde_json::to_string(&LogLevel::Warn).unwrap();
        assert_eq!(json, "\"warn\"");
        let back: LogLevel = serde_json::from_str("\"warning\"").unwrap();
        assert_eq!(back, LogLevel::Warn);
        assert!(serde_json::from_str::<LogLevel>("\"loud\"").is_err());
    }
}
