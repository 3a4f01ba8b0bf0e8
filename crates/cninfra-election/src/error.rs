//! The error of campaigns.

use cninfra_kv::KvError;

/// Why a campaign failed or a leadership could not be resigned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ElectionError {
    /// The store lacks what an election needs: conditional writes, leases, watches and
    /// revisions.
    #[error(
        "store `{store}` cannot hold elections (it needs conditional writes, leases, watches and revisions)"
    )]
    Unsupported {
        /// Name of the store.
        store: String,
    },
    /// The campaign's session (its lease) was lost before the campaign was won.
    #[error("the session of the campaign for `{key}` was lost")]
    SessionLost {
        /// The election key.
        key: String,
    },
    /// The store failed.
    #[error("the election on `{key}` failed")]
    Store {
        /// The election key.
        key: String,
        /// What the store reported.
        #[source]
        source: KvError,
    },
}

impl ElectionError {
    /// True when trying again later may succeed (the store was unreachable or slow, or the
    /// session was lost).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unsupported { .. } => false,
            Self::SessionLost { .. } => true,
            Self::Store { source, .. } => source.is_retryable(),
        }
    }
}
