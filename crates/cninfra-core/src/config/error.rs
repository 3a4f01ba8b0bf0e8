use std::fmt;
use std::path::PathBuf;

/// An error reading a plugin's config.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A config path was given but no such file exists.
    #[error(
        "config file {path:?} of plugin `{plugin}` (from {origin}) does not exist, \
         neither as given nor in config dir {config_dir:?}"
    )]
    NotFound {
        /// The plugin whose config it is.
        plugin: String,
        /// The path as given.
        path: PathBuf,
        /// The flag or variable that gave it.
        origin: String,
        /// The config dir that was searched too.
        config_dir: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read config file {path:?}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file has keys the plugin does not know, and `--strict-config` (`STRICT_CONFIG`)
    /// makes them errors.
    #[error(
        "config of plugin `{plugin}` has keys it does not know (--strict-config): {}",
        UnknownDisplay(keys)
    )]
    UnknownKeys {
        /// The plugin whose config it is.
        plugin: String,
        /// The keys, with file, line and nearest known key.
        keys: Vec<super::UnknownKey>,
    },
    /// The file's content does not fit the plugin's config.
    #[error("{}", ParseDisplay(self))]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the fault, when known.
        line: Option<usize>,
        /// 1-based column of the fault, when known.
        column: Option<usize>,
        /// Dotted path of the field at fault (`tls.cert-file`), when inside a field.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
}

struct UnknownDisplay<'a>(&'a [super::UnknownKey]);

impl fmt::Display for UnknownDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, key) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{key}")?;
        }
        Ok(())
    }
}

struct ParseDisplay<'a>(&'a ConfigError);

impl fmt::Display for ParseDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ConfigError::Parse {
            path,
            line,
            column,
            field,
            message,
        } = self.0
        else {
            return Ok(());
        };
        write!(f, "{}", path.display())?;
        if let Some(line) = line {
            write!(f, ":{line}")?;
            if let Some(column) = column {
                write!(f, ":{column}")?;
            }
        }
        f.write_str(": ")?;
        if let Some(field) = field {
            write!(f, "field `{field}`: ")?;
        }
        f.write_str(message)
    }
}
