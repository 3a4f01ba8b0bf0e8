//! The status records: [`AgentStatus`] and [`PluginStatus`], with upstream's field names.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::state::State;

/// The status of one plugin that registered with the status check.
///
/// JSON (upstream's field names; times are Unix seconds; `error` only when set):
/// `{"name":"etcd","state":2,"last_change":1700000000,"last_update":1700000005,"error":"connection refused"}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginStatus {
    /// The plugin's name.
    pub name: String,
    /// Its current state.
    pub state: State,
    /// When `state` or `error` last changed.
    #[serde(with = "unix_seconds")]
    pub last_change: SystemTime,
    /// When the plugin (or its probe) last reported, changed or not.
    #[serde(with = "unix_seconds")]
    pub last_update: SystemTime,
    /// The error text of the last report, if it had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The status of the agent: build information, the aggregate state and every plugin's status.
///
/// `state` is ERROR if any plugin is in ERROR, else INIT while any plugin is in INIT (or the
/// agent has not finished starting), else OK. Plugins are sorted by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentStatus {
    /// Version of the agent binary.
    pub build_version: String,
    /// When the binary was built.
    pub build_date: String,
    /// Commit the binary was built from.
    pub commit_hash: String,
    /// The aggregate state.
    pub state: State,
    /// When the agent started.
    #[serde(with = "unix_seconds")]
    pub start_time: SystemTime,
    /// When `state` last changed.
    #[serde(with = "unix_seconds")]
    pub last_change: SystemTime,
    /// When any plugin last reported.
    #[serde(with = "unix_seconds")]
    pub last_update: SystemTime,
    /// The status of each registered plugin, by name.
    pub plugins: Vec<PluginStatus>,
}

/// Serde for [`SystemTime`] as whole Unix seconds (negative before 1970).
pub(crate) mod unix_seconds {
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        time: &SystemTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let seconds = match time.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_secs()).unwrap_or(i64::MAX),
            Err(before) => i64::try_from(before.duration().as_secs()).map_or(i64::MIN, |s| -s),
        };
        serializer.serialize_i64(seconds)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SystemTime, D::Error> {
        let seconds = i64::deserialize(deserializer)?;
        let offset = Duration::from_secs(seconds.unsigned_abs());
        let time = if seconds >= 0 {
            UNIX_EPOCH.checked_add(offset)
        } else {
            UNIX_EPOCH.checked_sub(offset)
        };
        time.ok_or_else(|| serde::de::Error::custom(format_args!("time {seconds} out of range")))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn json_uses_upstream_field_names_and_unix_seconds() {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let status = AgentStatus {
            build_version: "1.2.3".into(),
            build_date: "2026-01-01".into(),
            commit_hash: "abc".into(),
            state: State::Error,
            start_time: at,
            last_change: at + Duration::from_secs(1),
            last_update: at + Duration::from_secs(2),
            plugins: vec![
                PluginStatus {
                    name: "etcd".into(),
                    state: State::Error,
                    last_change: at,
                    last_update: at,
                    error: Some("refused".into()),
                },
                PluginStatus {
                    name: "kafka".into(),
                    state: State::Ok,
                    last_change: at,
                    last_update: at,
                    error: None,
                },
            ],
        };
        let json = serde_json::to_value(&status).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "build_version": "1.2.3",
                "build_date": "2026-01-01",
                "commit_hash": "abc",
                "state": 2,
                "start_time": 1_700_000_000,
                "last_change": 1_700_000_001,
                "last_update": 1_700_000_002,
                "plugins": [
                    {"name": "etcd", "state": 2, "last_change": 1_700_000_000,
                     "last_update": 1_700_000_000, "error": "refused"},
                    {"name": "kafka", "state": 1, "last_change": 1_700_000_000,
                     "last_update": 1_700_000_000},
                ],
            })
        );
        let back: AgentStatus = serde_json::from_value(json).unwrap();
        assert_eq!(back, status);
    }
}
