//! Watch events: changes of keys and the resync signal.

use bytes::Bytes;

use crate::store::KvStream;

/// The stream returned by [`KvStore::watch`](crate::KvStore::watch). It owns everything it
/// needs, so it can move into a spawned task.
pub type WatchStream = KvStream<'static, WatchEvent>;

/// Whether a key was written or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeKind {
    /// The key was created or overwritten.
    Put,
    /// The key was deleted (explicitly, by prefix, or because its TTL expired).
    Delete,
}

/// One change of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    /// The changed key (relative to the view's prefix for a prefixed view).
    pub key: String,
    /// Put or delete.
    pub kind: ChangeKind,
    /// The new value; empty for [`ChangeKind::Delete`].
    pub value: Bytes,
    /// The value before this change, when the key existed and the store reports it
    /// ([`Capabilities::prev_values`](crate::Capabilities::prev_values)).
    pub prev_value: Option<Bytes>,
    /// Store revision of the change; all changes of one transaction share it. 0 for stores
    /// without revisions.
    pub revision: u64,
}

/// An item of a watch stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A key changed.
    Change(KeyChange),
    /// Changes may have been missed: the consumer must re-read the current state (list
    /// the watched prefixes). The stream stays open and carries changes that follow.
    Resync(ResyncReason),
}

impl WatchEvent {
    /// The change, unless this is a resync signal.
    pub fn as_change(&self) -> Option<&KeyChange> {
        match self {
            Self::Change(change) => Some(change),
            Self::Resync(_) => None,
        }
    }
}

/// Why a watch stream asks for a resync.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResyncReason {
    /// The requested start revision is older than the history the store still keeps.
    Compacted {
        /// The revision the watch asked to start from.
        requested: u64,
        /// History up to and including this revision is gone.
        compacted: u64,
    },
    /// The consumer fell too far behind; queued changes were dropped.
    Lagged,
    /// The connection was lost and the store could not resume where the watch stopped.
    Reconnected,
}

impl std::fmt::Display for ResyncReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Compacted {
                requested,
                compacted,
            } => write!(
                f,
                "history from revision {requested} is gone (compacted up to {compacted})"
            ),
            Self::Lagged => f.write_str("the watcher fell behind and changes were dropped"),
            Self::Reconnected => f.write_str("the watch was re-established without history"),
        }
    }
}
