//! [`StatusCheckConfig`]: `status-check.conf`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::plugin::{
    DEFAULT_PROBE_INTERVAL, DEFAULT_PROBE_TIMEOUT, DEFAULT_PUBLISH_INTERVAL,
    DEFAULT_PUBLISH_TIMEOUT,
};

/// Intervals and time limits of the status check, read from `status-check.conf`
/// (`--status-check-config`, `STATUS_CHECK_CONFIG`); upstream had them as package variables.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_health::StatusCheckConfig;
///
/// let config: StatusCheckConfig =
///     cninfra_core::config::parse_str("publish-interval: 30s\n", "status-check.conf".as_ref())?;
/// assert_eq!(config.publish_interval, Duration::from_secs(30));
/// assert_eq!(config.probe_interval, Duration::from_secs(5));
/// # Ok::<(), cninfra_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct StatusCheckConfig {
    /// Time between two runs of the pull probes; default 5 s (upstream's
    /// `PeriodicProbingTimeout`).
    #[serde(with = "cninfra_core::config::duration")]
    pub probe_interval: Duration,
    /// Time limit of one probe run; a probe that runs out reports ERROR. Default 3 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub probe_timeout: Duration,
    /// Time limit of one publisher call; default 5 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub publish_timeout: Duration,
    /// Time between two re-publications of every status with a fresh `last_update`, so
    /// readers of the store see the agent is alive (upstream's `PeriodicWriteTimeout`);
    /// default 10 s, `0s` publishes changes only.
    #[serde(with = "cninfra_core::config::duration")]
    pub publish_interval: Duration,
}

impl Default for StatusCheckConfig {
    fn default() -> Self {
        Self {
            probe_interval: DEFAULT_PROBE_INTERVAL,
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
            publish_timeout: DEFAULT_PUBLISH_TIMEOUT,
            publish_interval: DEFAULT_PUBLISH_INTERVAL,
        }
    }
}
