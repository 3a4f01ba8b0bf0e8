//! [`FileDbError`]: why the file DB could not be opened.

use std::path::PathBuf;
use std::time::Duration;

use crate::format::FileProblem;

/// Why [`FileDbStore::open`](crate::FileDbStore::open) failed. Later problems with data
/// files do not fail anything: they are logged and listed by
/// [`FileDbStore::problems`](crate::FileDbStore::problems).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileDbError {
    /// A configured file or folder cannot be found or read.
    #[error("configuration path `{}` cannot be used", path.display())]
    ConfigurationPath {
        /// The path as configured.
        path: PathBuf,
        /// What the file system reported.
        #[source]
        source: std::io::Error,
    },
    /// A configured file (or the status file) has no `.json`, `.yaml` or `.yml` extension.
    #[error("`{}` is not a .json, .yaml or .yml file", path.display())]
    UnsupportedFormat {
        /// The path as configured.
        path: PathBuf,
    },
    /// The status file exists but does not parse; it is left alone rather than overwritten.
    #[error("the status file is malformed: {0}")]
    MalformedStatus(FileProblem),
    /// The status file (or its folder) cannot be read, created or written.
    #[error("cannot {action} the status file `{}`", path.display())]
    Status {
        /// What was being done: `read`, `create`, `write`.
        action: &'static str,
        /// The status file.
        path: PathBuf,
        /// What the file system reported.
        #[source]
        source: std::io::Error,
    },
    /// The file watcher could not watch a path.
    #[error("cannot watch `{}` for changes", path.display())]
    Watch {
        /// The watched path.
        path: PathBuf,
        /// What the watcher reported.
        #[source]
        source: notify::Error,
    },
    /// Reading the configured files took longer than `operation-timeout`.
    #[error("loading the data files did not finish within {after:?}")]
    LoadTimeout {
        /// The time limit.
        after: Duration,
    },
    /// The task reading the configured files failed.
    #[error("loading the data files was interrupted")]
    Interrupted(#[source] tokio::task::JoinError),
}
