//! [`DatasyncError`]: what can go wrong when registering, delivering, publishing.

use std::time::Duration;

use cninfra_kv::{BoxError, KvError};

/// Why a data sync operation failed.
///
/// Delivery errors name the watching plugin (the watch name) and, for change events, the
/// key; [`is_plugin_fault`](Self::is_plugin_fault) tells them from store failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasyncError {
    /// Two watches with one name; the name identifies the watching plugin.
    #[error("a watch named `{name}` is already registered")]
    DuplicateWatch {
        /// The name used twice.
        name: String,
    },
    /// A watch without key prefixes (use `""` for everything under the agent prefix).
    #[error("watch `{name}` needs at least one key prefix (\"\" watches everything)")]
    NoPrefix {
        /// The watch name.
        name: String,
    },
    /// The plugin's event channel stayed full for the whole accept time: it does not read.
    #[error(
        "plugin `{plugin}` did not accept the resync within {after:?} (its event channel stayed full)"
    )]
    NotAccepted {
        /// The watch name.
        plugin: String,
        /// The accept time limit.
        after: Duration,
    },
    /// The plugin did not call `done` in time.
    #[error("plugin `{plugin}` did not acknowledge {} within {after:?}", what(.key.as_deref()))]
    AckTimeout {
        /// The watch name.
        plugin: String,
        /// The key of the change; `None` for a resync.
        key: Option<String>,
        /// The ack time limit.
        after: Duration,
    },
    /// The plugin acknowledged with an error.
    #[error("plugin `{plugin}` failed to apply {}", what(.key.as_deref()))]
    Rejected {
        /// The watch name.
        plugin: String,
        /// The key of the change; `None` for a resync.
        key: Option<String>,
        /// What the plugin reported.
        #[source]
        source: BoxError,
    },
    /// The plugin dropped the event (or its `Done`) without calling `done`.
    #[error("plugin `{plugin}` dropped {} without calling done()", what(.key.as_deref()))]
    Dropped {
        /// The watch name.
        plugin: String,
        /// The key of the change; `None` for a resync.
        key: Option<String>,
    },
    /// The watcher was dropped: the plugin no longer receives events.
    #[error("plugin `{plugin}` stopped watching (its watcher was dropped)")]
    Closed {
        /// The watch name.
        plugin: String,
    },
    /// Reading the store for a resync (or starting its watch) failed.
    #[error("resync of watch `{plugin}` failed")]
    Store {
        /// The watch name.
        plugin: String,
        /// What the store reported (a [`KvError::Timeout`] when it did not answer in time).
        #[source]
        source: KvError,
    },
    /// A registration's task did not take a resync request in time (it is blocked
    /// delivering to a plugin that does not read).
    #[error("watch `{plugin}` did not answer the resync request within {after:?}")]
    Busy {
        /// The watch name.
        plugin: String,
        /// The time limit.
        after: Duration,
    },
    /// The data sync plugin has no store: no connector is configured.
    #[error("data sync `{sync}` has no store (no KV connector is configured)")]
    NoStore {
        /// Name of the data sync plugin.
        sync: String,
    },
    /// The data sync plugin has not run `init` yet (use it from `init` of a plugin that
    /// requires it, or later).
    #[error(transparent)]
    NotReady(#[from] cninfra_core::NotReady),
    /// A store operation of the publisher failed.
    #[error(transparent)]
    Kv(#[from] KvError),
}

/// `the change of `key`` or `the resync`.
fn what(key: Option<&str>) -> String {
    match key {
        Some(key) => format!("the change of `{key}`"),
        None => "the resync".to_owned(),
    }
}

impl DatasyncError {
    /// True when the watching plugin is at fault (it did not accept, did not acknowledge,
    /// rejected, or dropped an event) rather than the store or the setup.
    pub fn is_plugin_fault(&self) -> bool {
        matches!(
            self,
            Self::NotAccepted { .. }
                | Self::AckTimeout { .. }
                | Self::Rejected { .. }
                | Self::Dropped { .. }
        )
    }

    /// The key of the change event the error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            Self::AckTimeout { key, .. }
            | Self::Rejected { key, .. }
            | Self::Dropped { key, .. } => key.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_plugin_and_key() {
        let err = DatasyncError::Rejected {
            plugin: "example".into(),
            key: Some("config/a".into()),
            source: "bad mtu".into(),
        };
        assert_eq!(
            err.to_string(),
            "plugin `example` failed to apply the change of `config/a`"
        );
        assert_eq!(
            cninfra_testsupport::error_chain(&err),
            "plugin `example` failed to apply the change of `config/a`: bad mtu"
        );
        assert_eq!(err.key(), Some("config/a"));
        assert!(err.is_plugin_fault());
        let err = DatasyncError::AckTimeout {
            plugin: "example".into(),
            key: None,
            after: Duration::from_secs(10),
        };
        assert_eq!(
            err.to_string(),
            "plugin `example` did not acknowledge the resync within 10s"
        );
        let store = DatasyncError::Store {
            plugin: "example".into(),
            source: KvError::unsupported("memory", "watch"),
        };
        assert!(!store.is_plugin_fault() && store.key().is_none());
    }
}
