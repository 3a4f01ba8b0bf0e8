//! [`RedbConfig`]: the settings of the redb store, read from `redb.conf`.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings of the redb store, read from `redb.conf` (`--redb-config` / `REDB_CONFIG`).
///
/// The first four keys are upstream's Bolt keys (`bolt.conf`); a Bolt config file works
/// once renamed. Two differ in meaning: `lock-timeout: 0` fails at once instead of waiting
/// forever, and `file-mode` also takes octal text.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_kv_redb::RedbConfig;
///
/// let text = "
/// db-path: /var/lib/agent/kv.redb
/// file-mode: 432          # decimal, as upstream: 0o660
/// lock-timeout: 2s
/// ";
/// let config: RedbConfig = cninfra_core::config::parse_str(text, "redb.conf".as_ref())?;
/// assert_eq!(config.file_mode, 0o660);
/// assert_eq!(config.lock_timeout, Duration::from_secs(2));
/// assert_eq!(config.history_limit, RedbConfig::default().history_limit);
/// # Ok::<(), cninfra_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RedbConfig {
    /// The database file; it and its missing parent folders are created on open.
    /// Default `cninfra.redb` (in the working directory).
    pub db_path: PathBuf,
    /// Permission bits given to the file when the store creates it (exactly these: the
    /// process umask does not apply); an existing file keeps its mode. A number is read as
    /// decimal, as upstream (`432` = `0o660`); text is read as octal (`"0o660"`, `"0660"`).
    /// Default `0o660`.
    #[serde(with = "file_mode")]
    pub file_mode: u32,
    /// How long opening waits for a file that another process (or another store of this
    /// process) holds, retrying every 50 ms; `0s` fails at once. Upstream's `0` waited
    /// forever. Default `0s`.
    #[serde(with = "cninfra_core::config::duration")]
    pub lock_timeout: Duration,
    /// Do not tell watchers about a put that stores the value the key already has (it
    /// still gets a revision). Default `false`.
    pub filter_duplicate_notifications: bool,
    /// Time limit of one write (waiting for the writer, writing and syncing to disk) and of
    /// reading the history for a watch. A write that times out may still be applied.
    /// Default 10 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub operation_timeout: Duration,
    /// How many changes the change log in the file keeps, so that a watch can replay them
    /// from a past revision (also after a restart); older history is dropped and a watch
    /// from before it starts with a resync signal. `0` keeps none. Default 10000.
    pub history_limit: u64,
    /// How many unread commits a watcher may lag behind before it loses them and gets a
    /// resync signal (writers never wait for watchers). Default 4096.
    pub watch_buffer: usize,
}

impl Default for RedbConfig {
    fn default() -> Self {
        Self {
            db_path: PathBuf::from("cninfra.redb"),
            file_mode: 0o660,
            lock_timeout: Duration::ZERO,
            filter_duplicate_notifications: false,
            operation_timeout: Duration::from_secs(10),
            history_limit: 10_000,
            watch_buffer: 4_096,
        }
    }
}

impl RedbConfig {
    /// The default settings with the database at `path`.
    ///
    /// # Examples
    /// ```
    /// let config = cninfra_kv_redb::RedbConfig::at("/tmp/kv.redb");
    /// assert_eq!(config.db_path, std::path::Path::new("/tmp/kv.redb"));
    /// ```
    pub fn at(path: impl Into<PathBuf>) -> Self {
        Self {
            db_path: path.into(),
            ..Self::default()
        }
    }
}

/// Serde helper for `file-mode`: a number is decimal (upstream), text is octal; written as
/// octal text.
mod file_mode {
    use std::fmt;

    use serde::{Deserializer, Serializer, de};

    /// The largest mode accepted (permission, set-id and sticky bits).
    const MAX_MODE: u64 = 0o7777;

    pub(super) fn serialize<S: Serializer>(mode: &u32, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("0o{mode:o}"))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
        deserializer.deserialize_any(ModeVisitor)
    }

    struct ModeVisitor;

    impl ModeVisitor {
        fn checked<E: de::Error>(value: u64) -> Result<u32, E> {
            if value > MAX_MODE {
                return Err(E::custom(format_args!(
                    "file mode {value:#o} is above 0o7777"
                )));
            }
            u32::try_from(value).map_err(E::custom)
        }
    }

    impl de::Visitor<'_> for ModeVisitor {
        type Value = u32;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a file mode: a decimal number (432) or octal text (\"0o660\", \"0660\")")
        }

        fn visit_u64<E: de::Error>(self, value: u64) -> Result<u32, E> {
            Self::checked(value)
        }

        fn visit_i64<E: de::Error>(self, value: i64) -> Result<u32, E> {
            let value = u64::try_from(value)
                .map_err(|_| E::custom(format_args!("file mode {value} is negative")))?;
            Self::checked(value)
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<u32, E> {
            let digits = text.trim();
            let digits = digits.strip_prefix("0o").unwrap_or(digits);
            let value = u64::from_str_radix(digits, 8)
                .map_err(|_| E::custom(format_args!("file mode {text:?} is not octal")))?;
            Self::checked(value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cninfra_core::config::parse_str;

    fn parse(text: &str) -> Result<RedbConfig, String> {
        parse_str(text, "redb.conf".as_ref()).map_err(|err| err.to_string())
    }

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&RedbConfig::default()).expect("to yaml");
        assert!(text.contains("0o660"), "{text}");
        assert_eq!(parse(&text), Ok(RedbConfig::default()));
    }

    #[test]
    fn file_mode_is_decimal_as_number_and_octal_as_text() {
        assert_eq!(parse("file-mode: 432").map(|c| c.file_mode), Ok(0o660));
        assert_eq!(
            parse("file-mode: \"0o600\"").map(|c| c.file_mode),
            Ok(0o600)
        );
        assert_eq!(parse("file-mode: \"0640\"").map(|c| c.file_mode), Ok(0o640));
        let err = parse("file-mode: \"rw-rw----\"").unwrap_err();
        assert!(
            err.contains("redb.conf:1") && err.contains("not octal"),
            "{err}"
        );
        let err = parse("file-mode: 99999").unwrap_err();
        assert!(err.contains("above 0o7777"), "{err}");
    }

    #[test]
    fn upstream_bolt_keys_are_accepted_and_typos_named() {
        let config = parse(
            "db-path: /tmp/x.db\nfile-mode: 432\nlock-timeout: 0\nfilter-duplicate-notifications: true\n",
        )
        .expect("parse");
        assert!(config.filter_duplicate_notifications);
        assert_eq!(config.lock_timeout, Duration::ZERO);
        let err = parse("db-path: x\nlock-timout: 1s\n").unwrap_err();
        assert!(
            err.contains("redb.conf:2") && err.contains("lock-timout"),
            "{err}"
        );
    }
}
