//! What the command line and the environment said: each flag's value and where it came from.

use std::collections::HashMap;
use std::path::PathBuf;

/// Flag naming the fallback folder of config files.
pub(crate) const CONFIG_DIR: &str = "config-dir";
/// Flag naming the service label.
pub(crate) const LABEL: &str = "microservice-label";
/// Flag turning unknown config keys into errors.
pub(crate) const STRICT_CONFIG: &str = "strict-config";

/// A flag's value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FlagValue {
    pub(crate) value: String,
    pub(crate) origin: Origin,
}

/// Where a flag's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The command line, `--<flag>`.
    CommandLine(String),
    /// An environment variable.
    Environment(String),
    /// The flag's default.
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::CommandLine(flag) => write!(f, "--{flag}"),
            Self::Environment(var) => f.write_str(var),
            Self::Default => f.write_str("default"),
        }
    }
}

/// What the command line and environment said.
#[derive(Debug, Clone, Default)]
pub(crate) struct Settings {
    pub(crate) values: HashMap<String, FlagValue>,
}

impl Settings {
    pub(crate) fn get(&self, flag: &str) -> Option<&FlagValue> {
        self.values.get(flag)
    }

    /// Whether a boolean flag is on (set to a true value, or given alone).
    pub(crate) fn switch(&self, flag: &str) -> bool {
        self.get(flag)
            .and_then(|found| parse_bool(&found.value))
            .unwrap_or(false)
    }

    /// Whether `--strict-config` is on.
    pub(crate) fn strict_config(&self) -> bool {
        self.switch(STRICT_CONFIG)
    }

    pub(crate) fn config_dir(&self) -> PathBuf {
        self.get(CONFIG_DIR)
            .map_or_else(|| PathBuf::from("."), |v| PathBuf::from(&v.value))
    }
}

/// The name of a plugin's config flag.
pub(crate) fn config_flag_of(plugin: &str) -> String {
    format!("{plugin}-config")
}

/// A boolean as Go's `strconv.ParseBool` reads it: `1 t T TRUE true True` and
/// `0 f F FALSE false False`.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}
