//! [`OrchestratorError`]: why a source's transaction did not fully apply.

use crate::txn::{KeyError, TxnError};

/// Why a source's transaction (or a KV-store event) did not fully apply.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum OrchestratorError {
    /// Keys of this source failed in the scheduler (best effort: the other keys applied).
    /// A value that is merely PENDING is not an error.
    #[error("source `{label}`: transaction #{seq} failed: {}", list(.errors))]
    Keys {
        /// The source label.
        label: String,
        /// Sequence number of the scheduler transaction.
        seq: u64,
        /// The keys of this source that failed.
        errors: Vec<KeyError>,
    },
    /// The transaction did not run (the scheduler stopped, or an invalid option mix).
    #[error("source `{label}`: {cause}")]
    Txn {
        /// The source label.
        label: String,
        /// What the scheduler answered.
        cause: TxnError,
    },
    /// A value read from the KV store is not JSON; the source keeps its previous value
    /// of the key (if any).
    #[error("value of `{key}` is not JSON: {reason}")]
    NotJson {
        /// The key (relative to the agent prefix).
        key: String,
        /// The decoding error.
        reason: String,
    },
    /// Several failures of one event (a resync): undecodable values and failed keys.
    #[error("{}", list(.0))]
    Many(Vec<OrchestratorError>),
}

impl OrchestratorError {
    /// The keys at fault, if the error is about keys.
    pub fn keys(&self) -> Vec<&str> {
        match self {
            Self::Keys { errors, .. } => errors.iter().map(|e| e.key.as_str()).collect(),
            Self::NotJson { key, .. } => vec![key.as_str()],
            Self::Many(errors) => errors.iter().flat_map(Self::keys).collect(),
            Self::Txn { .. } => Vec::new(),
        }
    }
}

fn list<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
