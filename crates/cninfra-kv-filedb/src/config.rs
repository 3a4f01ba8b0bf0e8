//! [`FileDbConfig`]: the settings of the file DB, read from `filedb.conf`.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings of the file DB, read from `filedb.conf` (`--filedb-config` / `FILEDB_CONFIG`;
/// upstream's sample file was named `filesystem.conf`).
///
/// `configuration-paths` and `status-path` are upstream's keys; the others are ours.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_kv_filedb::FileDbConfig;
///
/// let text = "
/// configuration-paths: [/etc/agent/data, /etc/agent/extra.yaml]
/// status-path: /var/lib/agent/status.json
/// debounce: 20ms
/// ";
/// let config: FileDbConfig = cninfra_core::config::parse_str(text, "filedb.conf".as_ref())?;
/// assert_eq!(config.configuration_paths.len(), 2);
/// assert_eq!(config.debounce, Duration::from_millis(20));
/// # Ok::<(), cninfra_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct FileDbConfig {
    /// Files and folders holding key-value data (`.json`, `.yaml`, `.yml`); folders are
    /// read recursively (hidden files skipped). Each must exist when the store opens.
    /// Default none.
    pub configuration_paths: Vec<PathBuf>,
    /// The file that writes (put, delete, txn) go to; its extension (`.json`, `.yaml`,
    /// `.yml`) picks the format. Created, with its folder, when missing. Its keys are part
    /// of the data and win over the configuration files. Empty: writes are refused.
    /// Default empty.
    pub status_path: PathBuf,
    /// How long file events are gathered before the changed files are read, so that an
    /// editor's several writes become one change. Default 50 ms.
    #[serde(with = "cninfra_core::config::duration")]
    pub debounce: Duration,
    /// Time limit of one write of the status file (with its sync to disk) and of reading
    /// changed files. Default 10 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub operation_timeout: Duration,
    /// How many changes are kept in memory for watches from a past revision. Default 10000.
    pub history_limit: usize,
    /// How many unread events a watcher may hold before it loses them and gets a resync
    /// signal. Default 4096.
    pub watch_buffer: usize,
}

impl Default for FileDbConfig {
    fn default() -> Self {
        Self {
            configuration_paths: Vec::new(),
            status_path: PathBuf::new(),
            debounce: Duration::from_millis(50),
            operation_timeout: Duration::from_secs(10),
            history_limit: cninfra_kv::DEFAULT_HISTORY_LIMIT,
            watch_buffer: cninfra_kv::DEFAULT_WATCH_BUFFER,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cninfra_core::config::parse_str;

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&FileDbConfig::default()).expect("to yaml");
        let back: FileDbConfig = parse_str(&text, "filedb.conf".as_ref()).expect("parse back");
        assert_eq!(back, FileDbConfig::default());
    }

    #[test]
    fn upstream_keys_parse_and_typos_are_named() {
        let config: FileDbConfig = parse_str(
            "configuration-paths: [/a, /b/c.json]\nstatus-path: /s.yaml\n",
            "filedb.conf".as_ref(),
        )
        .expect("parse");
        assert_eq!(config.status_path, PathBuf::from("/s.yaml"));
        let err = parse_str::<FileDbConfig>("configuration-path: [/a]\n", "filedb.conf".as_ref())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("filedb.conf:1") && err.contains("configuration-path"),
            "{err}"
        );
    }
}
