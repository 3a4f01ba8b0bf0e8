//! [`RedbError`]: why the store could not be opened.

use std::path::PathBuf;
use std::time::Duration;

/// Why [`RedbStore::open`](crate::RedbStore::open) failed. Errors of later operations are
/// [`KvError`](cninfra_kv::KvError)s whose source is the redb error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedbError {
    /// The config names no file.
    #[error("the redb store has an empty `db-path`")]
    EmptyPath,
    /// Another process, or another store of this process, has the file open.
    #[error(
        "database file `{}` is in use by another process or store (waited {waited:?}, see `lock-timeout`)",
        path.display()
    )]
    Locked {
        /// The database file.
        path: PathBuf,
        /// How long opening retried before giving up.
        waited: Duration,
    },
    /// The file or its folder could not be created or given its mode.
    #[error("cannot create database file `{}`", path.display())]
    Create {
        /// The database file.
        path: PathBuf,
        /// What the file system reported.
        #[source]
        source: std::io::Error,
    },
    /// The file exists but redb cannot use it (not a redb file, damaged, an older format).
    #[error("cannot open database file `{}`", path.display())]
    Open {
        /// The database file.
        path: PathBuf,
        /// What redb reported.
        #[source]
        source: redb::Error,
    },
    /// The writer thread could not be started.
    #[error("cannot start the writer thread for `{}`", path.display())]
    Thread {
        /// The database file.
        path: PathBuf,
        /// What the OS reported.
        #[source]
        source: std::io::Error,
    },
    /// Opening ran on a task that was cancelled or panicked.
    #[error("opening `{}` was interrupted", path.display())]
    Interrupted {
        /// The database file.
        path: PathBuf,
        /// The join error of the blocking task.
        #[source]
        source: tokio::task::JoinError,
    },
}

impl RedbError {
    /// True when the file is held by another process or store.
    pub fn is_locked(&self) -> bool {
        matches!(self, Self::Locked { .. })
    }
}
