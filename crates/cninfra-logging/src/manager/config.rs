//! [`LogsConfig`]: the log manager's config file, `logs.conf`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::hooks::HookConfig;
use crate::level::LogLevel;
use crate::settings::LogFormat;

/// Settings of the log manager, read from `logs.conf` (`--logs-config` / `LOGS_CONFIG`).
///
/// # Examples
/// ```
/// use cninfra_logging::{LogFormat, LogLevel, LogsConfig};
///
/// let yaml = r#"
/// default-level: info
/// format: json
/// loggers:
///   - name: http
///     level: debug
///   - name: etcd
///     level: warning
/// "#;
/// let config: LogsConfig = cninfra_core::config::parse_str(yaml, "logs.conf".as_ref())?;
/// assert_eq!(config.default_level, Some(LogLevel::Info));
/// assert_eq!(config.format, Some(LogFormat::Json));
/// assert_eq!(config.loggers[1].level, LogLevel::Warn);
/// # Ok::<(), cninfra_core::config::ConfigError>(())
/// ```
///
/// Every field is unset by default (no file changes nothing about how logging started),
/// so `Default` is derived.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct LogsConfig {
    /// Level of every logger without a level of its own. `INITIAL_LOGLVL` wins over it;
    /// unset keeps the level logging started with (`info` unless `INITIAL_LOGLVL` said
    /// otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_level: Option<LogLevel>,
    /// Levels of single loggers; a logger named here is registered if it is not yet, so
    /// any tracing target prefix (`hyper`, `cninfra_rpc::rest`) can be given a level.
    pub loggers: Vec<LoggerConfig>,
    /// Output format, `text` or `json` (a cninfra addition); unset keeps the format logging
    /// started with (`LOG_FORMAT`, else text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<LogFormat>,
    /// Upstream's log hooks by name: `syslog`, `logstash`, `fluent` (others are ignored
    /// with a warning, as upstream). See [`HookConfig`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub hooks: BTreeMap<String, HookConfig>,
}

/// The level of one logger in [`LogsConfig::loggers`]. Both fields are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct LoggerConfig {
    /// The logger: a plugin name or any tracing target prefix.
    pub name: String,
    /// Its level.
    pub level: LogLevel,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LogsConfig, cninfra_core::config::ConfigError> {
        cninfra_core::config::parse_str(text, "logs.conf".as_ref())
    }

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&LogsConfig::default()).unwrap();
        assert_eq!(parse(&text).unwrap(), LogsConfig::default());
    }

    #[test]
    fn a_full_config_survives_a_yaml_round_trip() {
        let config = LogsConfig {
            default_level: Some(LogLevel::Debug),
            loggers: vec![LoggerConfig {
                name: "http".into(),
                level: LogLevel::Fatal,
            }],
            format: Some(LogFormat::Json),
            hooks: BTreeMap::from([(
                "fluent".to_owned(),
                HookConfig {
                    address: "127.0.0.1".into(),
                    port: 24224,
                    ..HookConfig::default()
                },
            )]),
        };
        let text = serde_yaml_ng::to_string(&config).unwrap();
        assert_eq!(parse(&text).unwrap(), config);
    }

    #[test]
    fn a_bad_level_is_reported_with_its_place() {
        let err = parse("loggers:\n  - name: http\n    level: loud\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("logs.conf"), "{err}");
        assert!(err.contains("loud") && err.contains("debug, info"), "{err}");
    }

    #[test]
    fn upstream_hooks_parse() {
        let config = parse(
            "hooks:\n  syslog:\n    levels: [error]\n  logstash:\n    protocol: tcp\n\
             \x20   address: 10.0.0.1\n    port: 123\n",
        )
        .unwrap();
        assert_eq!(config.hooks["syslog"].levels, ["error"]);
        assert_eq!(config.hooks["logstash"].port, 123);
    }
}
