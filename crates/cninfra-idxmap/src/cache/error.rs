//! Errors of the cache helper.

use std::time::Duration;

use cninfra_kv::KvError;

/// What can go wrong while mirroring a key prefix into a map.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The store refused or failed an operation.
    #[error("cache of prefix `{prefix}` into idxmap `{map}`: {op} failed")]
    Kv {
        /// The mirrored key prefix.
        prefix: String,
        /// Title of the map.
        map: String,
        /// The operation: `list_values` or `watch`.
        op: &'static str,
        /// What the store reported.
        #[source]
        source: KvError,
    },
    /// An operation on the store did not finish in time.
    #[error("cache of prefix `{prefix}` into idxmap `{map}`: {op} did not finish within {after:?}")]
    Timeout {
        /// The mirrored key prefix.
        prefix: String,
        /// Title of the map.
        map: String,
        /// The operation: `list_values` or `watch`.
        op: &'static str,
        /// The time limit that passed.
        after: Duration,
    },
    /// The watch stream ended (the store was closed or the watch could not go on).
    #[error("cache of prefix `{prefix}` into idxmap `{map}`: the watch stream ended")]
    WatchEnded {
        /// The mirrored key prefix.
        prefix: String,
        /// Title of the map.
        map: String,
    },
}
