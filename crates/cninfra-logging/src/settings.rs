//! [`LogSettings`]: how the log subscriber starts (default level, format, output).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::writer::BoxMakeWriter;

use crate::error::LoggingError;
use crate::level::LogLevel;

/// The environment variable that sets the initial default level (upstream's name).
pub const INITIAL_LEVEL_VAR: &str = "INITIAL_LOGLVL";
/// The environment variable that picks the output format, `text` or `json`.
pub const FORMAT_VAR: &str = "LOG_FORMAT";

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LogFormat {
    /// One human-readable line per event: time, level, target, message, fields.
    #[default]
    Text,
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`, `span`s).
    Json,
}

impl LogFormat {
    /// `text` or `json`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LogFormat {
    type Err = LoggingError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            _ => Err(LoggingError::InvalidFormat {
                format: text.to_owned(),
            }),
        }
    }
}

impl Serialize for LogFormat {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for LogFormat {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// How the log subscriber starts: default level, format and where lines go (stdout unless
/// [`with_writer`](Self::with_writer) says otherwise).
///
/// # Examples
/// ```
/// use cninfra_logging::{LogFormat, LogLevel, LogSettings};
///
/// let settings = LogSettings::from_vars([("INITIAL_LOGLVL", "debug"), ("LOG_FORMAT", "json")]);
/// assert_eq!(settings.default_level(), LogLevel::Debug);
/// assert_eq!(settings.format(), LogFormat::Json);
///
/// let settings = LogSettings::new().with_writer(std::io::sink);
/// assert_eq!(settings.default_level(), LogLevel::Info);
/// ```
#[derive(Debug)]
pub struct LogSettings {
    pub(crate) default_level: LogLevel,
    pub(crate) format: LogFormat,
    pub(crate) writer: Option<BoxMakeWriter>,
    /// Problems found while reading the environment, logged once the subscriber exists.
    pub(crate) warnings: Vec<String>,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self::new()
    }
}

impl LogSettings {
    /// Level `info`, text lines on stdout.
    pub fn new() -> Self {
        Self {
            default_level: LogLevel::Info,
            format: LogFormat::Text,
            writer: None,
            warnings: Vec::new(),
        }
    }

    /// Settings from the process environment: `INITIAL_LOGLVL` and `LOG_FORMAT`.
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars())
    }

    /// Settings from these variables (`INITIAL_LOGLVL`, `LOG_FORMAT`; others are ignored).
    /// A value that does not parse is reported as a warning once logging runs, and the
    /// default (`info`, `text`) is used.
    pub fn from_vars<I, K, V>(vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut settings = Self::new();
        for (key, value) in vars {
            let value = value.as_ref();
            match key.as_ref() {
                INITIAL_LEVEL_VAR if !value.is_empty() => match value.parse() {
                    Ok(level) => settings.default_level = level,
                    Err(err) => settings
                        .warnings
                        .push(format!("{INITIAL_LEVEL_VAR}: {err}; using info")),
                },
                FORMAT_VAR if !value.is_empty() => match value.parse() {
                    Ok(format) => settings.format = format,
                    Err(err) => settings
                        .warnings
                        .push(format!("{FORMAT_VAR}: {err}; using text")),
                },
                _ => {}
            }
        }
        settings
    }

    /// Sets the default level of all loggers.
    pub fn with_default_level(mut self, level: LogLevel) -> Self {
        self.default_level = level;
        self
    }

    /// Sets the output format.
    pub fn with_format(mut self, format: LogFormat) -> Self {
        self.format = format;
        self
    }

    /// Writes log lines through `writer` instead of stdout (a file, `std::io::sink`, or a
    /// buffer in tests). Colours are used only for a terminal stdout.
    pub fn with_writer<W>(mut self, writer: W) -> Self
    where
        W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
    {
        self.writer = Some(BoxMakeWriter::new(writer));
        self
    }

    /// The default level the subscriber starts with.
    pub fn default_level(&self) -> LogLevel {
        self.default_level
    }

    /// The format the subscriber starts with.
    pub fn format(&self) -> LogFormat {
        self.format
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_variables_fall_back_with_a_warning() {
        let settings = LogSettings::from_vars([("INITIAL_LOGLVL", "loud"), ("LOG_FORMAT", "xml")]);
        assert_eq!(settings.default_level(), LogLevel::Info);
        assert_eq!(settings.format(), LogFormat::Text);
        assert_eq!(settings.warnings.len(), 2);
        assert!(settings.warnings[0].contains("\"loud\""));
        assert!(settings.warnings[1].contains("text, json"));
    }

    #[test]
    fn other_and_empty_variables_are_ignored() {
        let settings = LogSettings::from_vars([("INITIAL_LOGLVL", ""), ("HOME", "/root")]);
        assert_eq!(settings.default_level(), LogLevel::Info);
        assert!(settings.warnings.is_empty());
    }

    #[test]
    fn formats_parse_and_print() {
        assert_eq!("JSON".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert_eq!(LogFormat::Text.to_string(), "text");
        assert!("yaml".parse::<LogFormat>().is_err());
    }
}
