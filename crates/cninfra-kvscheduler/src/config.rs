//! The scheduler's settings (`kvscheduler.conf`).

use serde::{Deserialize, Serialize};

/// Settings of the scheduler, read from `kvscheduler.conf` (upstream's keys, plus the
/// queue and engine settings of this implementation).
///
/// # Examples
/// ```
/// let config: cninfra_kvscheduler::SchedulerConfig = serde_yaml_ng::from_str(
///     "record-transaction-history: true\ntransaction-history-age-limit: 60\nprint-txn-summary: false\n",
/// ).unwrap();
/// assert_eq!(config.transaction_history_age_limit, 60);
/// assert_eq!(config.queue_capacity, 200);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SchedulerConfig {
    /// Keep processed transactions and graph revisions in memory (REST history views).
    pub record_transaction_history: bool,
    /// How long records are kept, in minutes (default 1440 = 24 h).
    pub transaction_history_age_limit: u32,
    /// Records made in this many minutes after start are never trimmed (default 60).
    pub permanently_recorded_init_period: u32,
    /// Simulate every NB transaction first and log the planned operations.
    pub enable_txn_simulation: bool,
    /// Log every transaction in the text format (target `kvscheduler`, info level).
    pub print_txn_summary: bool,
    /// Capacity of the transaction queue (default 200, as upstream).
    pub queue_capacity: usize,
    /// Default channel capacity of a value-status watcher (default 1000).
    pub status_watch_capacity: usize,
    /// Stack size of the engine thread in bytes (default 256 MiB, reserved lazily); bounds
    /// the length of dependency chains applied in one cascade.
    pub engine_stack_size: usize,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self {
            record_transaction_history: true,
            transaction_history_age_limit: 24 * 60,
            permanently_recorded_init_period: 60,
            enable_txn_simulation: false,
            print_txn_summary: true,
            queue_capacity: 200,
            status_watch_capacity: 1000,
            engine_stack_size: 256 << 20,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let yaml = serde_yaml_ng::to_string(&SchedulerConfig::default()).unwrap();
        let back: SchedulerConfig = serde_yaml_ng::from_str(&yaml).unwrap();
        assert_eq!(back, SchedulerConfig::default());
        assert!(serde_yaml_ng::from_str::<SchedulerConfig>("no-such-key: 1").is_err());
    }
}
