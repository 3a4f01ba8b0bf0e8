//! The error type of every KV operation.

use std::time::Duration;

use cninfra_models::DecodeError;
use cninfra_models::codec::EncodeError;

/// A boxed error that can cross threads; the source of backend, codec and connection errors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a KV operation failed.
///
/// A missing key is not an error: reads return `Ok(None)` and deletes `Ok(false)`.
/// Use the predicates ([`is_retryable`](Self::is_retryable), [`is_unavailable`](Self::is_unavailable),
/// ...) rather than matching when only the class of failure matters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KvError {
    /// The store could not be reached (connection refused, reset, not yet connected).
    /// Retrying later may succeed.
    #[error("store `{store}` is unavailable")]
    Unavailable {
        /// Name of the store (see [`KvStore::name`](crate::KvStore::name)).
        store: String,
        /// What the client reported.
        #[source]
        source: BoxError,
    },
    /// The operation did not finish in time. Retrying later may succeed.
    #[error("`{op}` on store `{store}` timed out after {after:?}")]
    Timeout {
        /// Name of the store.
        store: String,
        /// The operation, e.g. `put` or `list_values`.
        op: &'static str,
        /// The time limit that passed.
        after: Duration,
    },
    /// The store cannot do this operation (or this option of it).
    #[error("store `{store}` does not support {op}")]
    Unsupported {
        /// Name of the store.
        store: String,
        /// The operation or option, e.g. `put with ttl` or `txn`.
        op: &'static str,
    },
    /// The key (or prefix) is not acceptable.
    #[error("invalid key `{key}`: {reason}")]
    InvalidKey {
        /// The key at fault.
        key: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A stored value could not be decoded. The source names the message (or Rust type)
    /// and the path of the field that broke; with it (`cninfra_core::ErrorChain`):
    /// ```text
    /// cannot decode the value of `config/vpp/l2/v2/fib/bd1/mac/…`: not a valid
    /// `ligato.vpp.l2.FIBEntry`: field `action`: …
    /// ```
    #[error("cannot decode the value of `{key}`")]
    Decode {
        /// Key of the value (relative to the broker's prefix).
        key: String,
        /// What the codec reported: message, field, reason (boxed: it is rare, and keeps
        /// every `Result<_, KvError>` small).
        #[source]
        source: Box<DecodeError>,
    },
    /// A value could not be encoded for storage.
    #[error("cannot encode the value for `{key}`")]
    Encode {
        /// Key the value was meant for.
        key: String,
        /// What the codec reported: the type and why.
        #[source]
        source: EncodeError,
    },
    /// The store was closed with [`KvStore::close`](crate::KvStore::close).
    #[error("store `{store}` is closed")]
    Closed {
        /// Name of the store.
        store: String,
    },
    /// A put named a lease that does not exist (it expired or was revoked).
    #[error("store `{store}` has no lease {lease}")]
    LeaseNotFound {
        /// Name of the store.
        store: String,
        /// The lease named by the put.
        lease: crate::LeaseId,
    },
    /// The store answered with an error that fits none of the other variants.
    #[error("store `{store}` failed `{op}`")]
    Backend {
        /// Name of the store.
        store: String,
        /// The operation that failed.
        op: &'static str,
        /// What the store reported.
        #[source]
        source: BoxError,
    },
}

impl KvError {
    /// Builds an [`Unsupported`](Self::Unsupported) error.
    pub fn unsupported(store: impl Into<String>, op: &'static str) -> Self {
        Self::Unsupported {
            store: store.into(),
            op,
        }
    }

    /// True when trying the same operation again later may succeed (unavailable, timeout).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable { .. } | Self::Timeout { .. })
    }

    /// True when the store could not be reached.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable { .. })
    }

    /// True when the operation timed out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Self::Timeout { .. })
    }

    /// True when the store does not support the operation.
    pub fn is_unsupported(&self) -> bool {
        matches!(self, Self::Unsupported { .. })
    }

    /// True for encode and decode failures of typed values.
    pub fn is_codec(&self) -> bool {
        matches!(self, Self::Decode { .. } | Self::Encode { .. })
    }

    /// True when the key or prefix was refused.
    pub fn is_invalid_key(&self) -> bool {
        matches!(self, Self::InvalidKey { .. })
    }

    /// True when a put named a lease that no longer exists.
    pub fn is_lease_not_found(&self) -> bool {
        matches!(self, Self::LeaseNotFound { .. })
    }

    /// True when the store was closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn predicates_classify_variants() {
        let unavailable = KvError::Unavailable {
            store: "etcd".into(),
            source: "connection refused".into(),
        };
        assert!(unavailable.is_retryable() && unavailable.is_unavailable());
        let timeout = KvError::Timeout {
            store: "etcd".into(),
            op: "get",
            after: Duration::from_secs(3),
        };
        assert!(timeout.is_retryable() && !timeout.is_unavailable() && timeout.is_timeout());
        let unsupported = KvError::unsupported("filedb", "txn");
        assert!(unsupported.is_unsupported() && !unsupported.is_retryable());
        assert_eq!(
            unsupported.to_string(),
            "store `filedb` does not support txn"
        );
    }

    #[test]
    fn decode_error_names_the_key_and_its_source_the_message_and_field() {
        let err = KvError::Decode {
            key: "cfg/a".into(),
            source: Box::new(DecodeError {
                message: "ligato.vpp.l2.FIBEntry".into(),
                path: "action".into(),
                reason: "unknown variant `FORWARDX`".into(),
            }),
        };
        assert_eq!(err.to_string(), "cannot decode the value of `cfg/a`");
        let source = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            source.as_deref(),
            Some(
                "not a valid `ligato.vpp.l2.FIBEntry`: field `action`: unknown variant `FORWARDX`"
            )
        );
        assert!(err.is_codec());
    }
}
