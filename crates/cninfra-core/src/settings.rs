//! What the command line and the environment said: each flag's value and where it came from.

use std::collections::HashMap;
use std::path::PathBuf;

/// Flag naming the fallback folder of config files.
pub(crate) const CONFIG_DIR: &str = "config-dir";
/// Flag naming the service label.
pub(crate) const LABEL: &str = "microservice-label";

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

    pub(crate) fn config_dir(&self) -> PathBuf {
        self.get(CONFIG_DIR)
            .map_or_else(|| PathBuf::from("."), |v| PathBuf::from(&v.value))
    }
}

/// The name of a plugin's config flag.
pub(crate) fn config_flag_of(plugin: &str) -> String {
    format!("{plugin}-config")
}
