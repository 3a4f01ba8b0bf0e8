//! Plugin config files: which file a plugin reads, and how it is parsed.
//!
//! A plugin named `etcd` reads, in this order of precedence:
//! 1. the path given by `--etcd-config=<path>`;
//! 2. else the path in the environment variable `ETCD_CONFIG`;
//! 3. else `<config-dir>/etcd.conf` if that file exists (`--config-dir` / `CONFIG_DIR`,
//!    default `.`);
//! 4. else nothing: the plugin runs on its defaults (or, for connectors, stays disabled).
//!
//! A path given by flag or variable is used as written when it exists, else looked up in the
//! config dir. Unlike upstream, a path that was given but exists in neither place is an error
//! naming it, not a silent fall-back to defaults; an empty value disables the file on purpose.
//!
//! Files ending in `.json` are parsed as JSON, all others as YAML (which also reads JSON).
//! Errors name the file, the line and column, and the field (`tls.cert-file`). An empty or
//! all-comment file is valid: the plugin's defaults.
//!
//! Config structs are plain serde data with `#[serde(deny_unknown_fields)]`. A plugin's
//! context ([`InitContext::config`](crate::InitContext::config)) reads files with
//! [`parse_lenient`]: a key the struct does not know is set aside and logged as a warning
//! naming file, line, key and the nearest known key (so an upstream file with keys cninfra
//! does not have still starts the agent); with `--strict-config` (`STRICT_CONFIG`) such keys
//! are an error ([`ConfigError::UnknownKeys`]). [`parse_str`] is the strict parse:
//! ```
//! use std::time::Duration;
//!
//! #[derive(Debug, Default, serde::Deserialize)]
//! #[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
//! struct MyConfig {
//!     endpoint: String,
//!     #[serde(with = "cninfra_core::config::duration")]
//!     timeout: Duration,
//! }
//!
//! let cfg: MyConfig = cninfra_core::config::parse_str("timeout: 250ms\n", "my.conf".as_ref())?;
//! assert_eq!(cfg.timeout, Duration::from_millis(250));
//!
//! let err = cninfra_core::config::parse_str::<MyConfig>("timout: 1s\n", "my.conf".as_ref())
//!     .unwrap_err();
//! assert!(err.to_string().contains("my.conf:1"));
//! assert!(err.to_string().contains("timout"));
//! # Ok::<(), cninfra_core::config::ConfigError>(())
//! ```

pub mod duration;
mod error;
mod lines;
mod unknown;

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

pub use error::ConfigError;
pub use unknown::{Parsed, UnknownKey, parse_lenient};

/// Where a plugin's config comes from, once flags, environment and config dir are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// A file to read, and how it was chosen (`--etcd-config`, `ETCD_CONFIG`, `config dir`).
    File {
        /// The file.
        path: PathBuf,
        /// What chose it.
        origin: String,
    },
    /// No file: the plugin uses its defaults.
    None,
}

/// Resolves the config file of a plugin from the value of its flag/variable (if any) and
/// the config dir. `given` is `(value, origin)` where origin names the flag or variable.
///
/// # Errors
/// [`ConfigError::NotFound`] when a path was given and exists neither as written nor inside
/// the config dir.
pub fn resolve(
    plugin: &str,
    given: Option<(&str, &str)>,
    config_dir: &Path,
) -> Result<ConfigSource, ConfigError> {
    match given {
        Some(("", _)) => Ok(ConfigSource::None),
        Some((value, origin)) => {
            let as_given = PathBuf::from(value);
            let in_dir = config_dir.join(value);
            let path = if as_given.is_file() {
                as_given
            } else if in_dir.is_file() {
                in_dir
            } else {
                return Err(ConfigError::NotFound {
                    plugin: plugin.to_owned(),
                    path: as_given,
                    origin: origin.to_owned(),
                    config_dir: config_dir.to_owned(),
                });
            };
            Ok(ConfigSource::File {
                path,
                origin: origin.to_owned(),
            })
        }
        None => {
            let path = config_dir.join(format!("{plugin}.conf"));
            Ok(if path.is_file() {
                ConfigSource::File {
                    path,
                    origin: "config dir".to_owned(),
                }
            } else {
                ConfigSource::None
            })
        }
    }
}

/// Reads and parses a config file (JSON when it ends in `.json`, else YAML).
///
/// # Errors
/// [`ConfigError::Read`] when the file cannot be read, [`ConfigError::Parse`] naming file,
/// line, column and field when its content does not fit `T`.
pub fn load_file<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_str(&text, path)
}

/// Reads a config file as [`parse_lenient`] does.
///
/// # Errors
/// As [`load_file`].
pub fn load_file_lenient<T: DeserializeOwned>(path: &Path) -> Result<Parsed<T>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse_lenient(&text, path)
}

/// Whether the text holds nothing but blank lines and comments.
fn is_blank(text: &str) -> bool {
    text.lines()
        .all(|line| line.trim().is_empty() || line.trim_start().starts_with('#'))
}

/// Parses config text as if read from `path` (the name picks the format and appears in
/// errors). An empty or all-comment file gives the same as `{}`. Unknown keys are errors
/// here (for structs that deny them); see [`parse_lenient`] for the agent's way.
///
/// # Errors
/// [`ConfigError::Parse`] naming file, line, column and field.
pub fn parse_str<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, ConfigError> {
    let is_json = path.extension().is_some_and(|ext| ext == "json");
    if is_json {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de).map_err(|err| {
            let inner = err.inner();
            ConfigError::Parse {
                path: path.to_owned(),
                line: Some(inner.line()),
                column: Some(inner.column()),
                field: field_of(err.path()),
                message: strip_location(&inner.to_string()),
            }
        })
    } else {
        let text = if is_blank(text) { "{}" } else { text };
        let de = serde_yaml_ng::Deserializer::from_str(text);
        serde_path_to_error::deserialize(de).map_err(|err| {
            let inner = err.inner();
            let location = inner.location();
            let field = field_of(err.path());
            let mut message = strip_location(&inner.to_string());
            // serde_yaml_ng starts nested messages with the parent's path; the error has it.
            if let (Some(field), Some((head, rest))) = (&field, message.split_once(": "))
                && field.starts_with(head)
            {
                message = rest.to_owned();
            }
            ConfigError::Parse {
                path: path.to_owned(),
                line: location.as_ref().map(|l| l.line()),
                column: location.as_ref().map(|l| l.column()),
                field,
                message,
            }
        })
    }
}

fn field_of(path: &serde_path_to_error::Path) -> Option<String> {
    let text = path.to_string();
    (text != ".").then_some(text)
}

/// serde_json and serde_yaml_ng append " at line L column C"; the error carries those apart.
fn strip_location(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    #[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
    struct Tls {
        cert_file: String,
    }

    #[derive(Debug, Default, PartialEq, serde::Deserialize)]
    #[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
    struct Sample {
        endpoints: Vec<String>,
        #[serde(with = "crate::config::duration")]
        dial_timeout: Duration,
        tls: Tls,
    }

    #[test]
    fn yaml_and_json_parse_to_the_same_value() {
        let yaml: Sample = parse_str(
            "endpoints: [a:1, b:2]\ndial-timeout: 2s\ntls:\n  cert-file: c.pem\n",
            Path::new("x.conf"),
        )
        .unwrap();
        let json: Sample = parse_str(
            r#"{"endpoints":["a:1","b:2"],"dial-timeout":"2s","tls":{"cert-file":"c.pem"}}"#,
            Path::new("x.json"),
        )
        .unwrap();
        assert_eq!(yaml, json);
        assert_eq!(yaml.dial_timeout, Duration::from_secs(2));
    }

    #[test]
    fn unknown_nested_field_names_file_line_and_field() {
        let err = parse_str::<Sample>(
            "endpoints: []\ntls:\n  cert-fil: c.pem\n",
            Path::new("/etc/etcd.conf"),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("/etc/etcd.conf:3:"), "{text}");
        assert!(text.contains("field `tls.cert-fil`"), "{text}");
        assert!(text.contains("unknown field `cert-fil`"), "{text}");
    }

    #[test]
    fn wrong_type_names_the_field_in_json() {
        let err =
            parse_str::<Sample>("{\n  \"endpoints\": 5\n}", Path::new("etcd.json")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("etcd.json:2:"), "{text}");
        assert!(text.contains("field `endpoints`"), "{text}");
    }

    #[test]
    fn empty_and_comment_only_files_give_defaults() {
        assert_eq!(
            parse_str::<Sample>("", Path::new("a.conf")).unwrap(),
            Sample::default()
        );
        assert_eq!(
            parse_str::<Sample>("# nothing yet\n", Path::new("a.conf")).unwrap(),
            Sample::default()
        );
    }

    #[test]
    fn resolve_prefers_the_given_path_and_reports_a_missing_one() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("etcd.conf"), "").unwrap();
        std::fs::write(dir.path().join("other.yaml"), "").unwrap();

        assert_eq!(
            resolve("etcd", None, dir.path()).unwrap(),
            ConfigSource::File {
                path: dir.path().join("etcd.conf"),
                origin: "config dir".into()
            }
        );
        assert_eq!(
            resolve("etcd", Some(("other.yaml", "--etcd-config")), dir.path()).unwrap(),
            ConfigSource::File {
                path: dir.path().join("other.yaml"),
                origin: "--etcd-config".into()
            }
        );
        assert_eq!(
            resolve("etcd", Some(("", "ETCD_CONFIG")), dir.path()).unwrap(),
            ConfigSource::None
        );
        assert_eq!(
            resolve("redis", None, dir.path()).unwrap(),
            ConfigSource::None
        );
        let err = resolve("etcd", Some(("missing.conf", "ETCD_CONFIG")), dir.path()).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("missing.conf") && text.contains("ETCD_CONFIG"),
            "{text}"
        );
    }
}
