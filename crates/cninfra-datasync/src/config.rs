//! [`SyncConfig`]: time limits and sizes of data sync, read from `kvdbsync.conf`.

use std::time::Duration;

use crate::delivery::ResyncLimits;

/// Settings of the data sync plugin, read from `<plugin name>.conf` (`kvdbsync.conf`,
/// `--kvdbsync-config`, `KVDBSYNC_CONFIG`); every key is optional. Upstream had these as
/// constants; the defaults are upstream's where it had one.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_datasync::SyncConfig;
///
/// let yaml = "
/// change-ack-timeout: 30s
/// channel-capacity: 1000
/// ";
/// let config: SyncConfig = serde_yaml_ng::from_str(yaml)?;
/// assert_eq!(config.change_ack_timeout, Duration::from_secs(30));
/// assert_eq!(config.resync_accept_timeout, Duration::from_secs(1), "default kept");
/// # Ok::<(), serde_yaml_ng::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SyncConfig {
    /// How long a resync event may wait for room in a plugin's event channel before the
    /// resync counts as not accepted (reported, retried after `retry-interval`); 1 s
    /// (upstream's `SingleResyncAcceptTimeout`).
    #[serde(with = "cninfra_core::config::duration")]
    pub resync_accept_timeout: Duration,
    /// How long a plugin may take to acknowledge a resync; 10 s (upstream's
    /// `SingleResyncAckTimeout`).
    #[serde(with = "cninfra_core::config::duration")]
    pub resync_ack_timeout: Duration,
    /// How long a plugin may take to acknowledge a change, counted from when the event
    /// entered its channel; 10 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub change_ack_timeout: Duration,
    /// Capacity of each plugin's event channel; 100.
    pub channel_capacity: usize,
    /// How many change events of one watch may wait for their acknowledgement before the
    /// store watch is paused; 1000.
    pub max_unacked: usize,
    /// Pause before a failed resync (store unreachable, event not accepted) or an ended
    /// store watch is tried again; 1 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub retry_interval: Duration,
    /// Time limit of each store call: starting a watch, reading all values under a watch's
    /// prefixes, a publisher's put or delete; 30 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub store_timeout: Duration,
    /// Write the agent and plugin statuses to `check/status/v1/` under the agent prefix;
    /// on by default.
    pub publish_status: bool,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            resync_accept_timeout: Duration::from_secs(1),
            resync_ack_timeout: Duration::from_secs(10),
            change_ack_timeout: Duration::from_secs(10),
            channel_capacity: 100,
            max_unacked: 1000,
            retry_interval: Duration::from_secs(1),
            store_timeout: Duration::from_secs(30),
            publish_status: true,
        }
    }
}

impl SyncConfig {
    /// The resync time limits.
    pub(crate) fn resync_limits(&self) -> ResyncLimits {
        ResyncLimits {
            accept: self.resync_accept_timeout,
            ack: self.resync_ack_timeout,
        }
    }

    /// The longest a registration may take to answer a resync request.
    pub(crate) fn resync_request_limit(&self) -> Duration {
        self.store_timeout + self.resync_accept_timeout + self.resync_ack_timeout
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let config = SyncConfig::default();
        let yaml = serde_yaml_ng::to_string(&config).unwrap();
        let back: SyncConfig = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err = serde_yaml_ng::from_str::<SyncConfig>("ack-timeout: 1s").unwrap_err();
        assert!(err.to_string().contains("ack-timeout"), "{err}");
    }
}
