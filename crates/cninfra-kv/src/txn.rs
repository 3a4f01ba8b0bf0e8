//! Transactions: a list of puts and deletes applied all or nothing.

use bytes::Bytes;

use crate::error::KvError;
use crate::store::{DeleteOptions, KvStore, PutOptions};

/// One operation of a transaction (see [`KvStore::txn`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TxnOp {
    /// Store `value` under `key`.
    Put {
        /// The key.
        key: String,
        /// The value.
        value: Bytes,
        /// Put options (TTL).
        options: PutOptions,
    },
    /// Delete `key` (or everything under it).
    Delete {
        /// The key or prefix.
        key: String,
        /// Delete options (prefix).
        options: DeleteOptions,
    },
}

impl TxnOp {
    /// The key the operation touches.
    pub fn key(&self) -> &str {
        match self {
            Self::Put { key, .. } | Self::Delete { key, .. } => key,
        }
    }

    /// The same operation on another key (used by prefixed views).
    pub(crate) fn with_key(self, new_key: String) -> Self {
        match self {
            Self::Put { value, options, .. } => Self::Put {
                key: new_key,
                value,
                options,
            },
            Self::Delete { options, .. } => Self::Delete {
                key: new_key,
                options,
            },
        }
    }
}

/// Builds a transaction step by step.
///
/// # Examples
/// ```
/// use cninfra_kv::{KvStore, MemoryStore, Txn};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_kv::KvError> {
/// let store = MemoryStore::new();
/// let rev = Txn::new().put("a", "1").put("b", "2").delete("c").commit(&store).await?;
/// assert_eq!(store.get("a").await?.map(|v| v.revision), Some(rev));
/// assert_eq!(store.get("b").await?.map(|v| v.revision), Some(rev));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "a transaction does nothing until committed"]
pub struct Txn {
    ops: Vec<TxnOp>,
}

impl Txn {
    /// An empty transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a put.
    pub fn put(self, key: impl Into<String>, value: impl Into<Bytes>) -> Self {
        self.put_with(key, value, PutOptions::default())
    }

    /// Adds a put with options.
    pub fn put_with(
        mut self,
        key: impl Into<String>,
        value: impl Into<Bytes>,
        options: PutOptions,
    ) -> Self {
        self.ops.push(TxnOp::Put {
            key: key.into(),
            value: value.into(),
            options,
        });
        self
    }

    /// Adds a delete of one key.
    pub fn delete(self, key: impl Into<String>) -> Self {
        self.delete_with(key, DeleteOptions::default())
    }

    /// Adds a delete with options (e.g. by prefix).
    pub fn delete_with(mut self, key: impl Into<String>, options: DeleteOptions) -> Self {
        self.ops.push(TxnOp::Delete {
            key: key.into(),
            options,
        });
        self
    }

    /// The operations collected so far.
    pub fn ops(&self) -> &[TxnOp] {
        &self.ops
    }

    /// The operations, consuming the builder.
    pub fn into_ops(self) -> Vec<TxnOp> {
        self.ops
    }

    /// Applies the transaction on `store` ([`KvStore::txn`]) and returns its revision.
    ///
    /// # Errors
    /// Whatever [`KvStore::txn`] returns; nothing is applied then.
    pub async fn commit<S: KvStore + ?Sized>(self, store: &S) -> Result<u64, KvError> {
        store.txn(self.ops).await
    }
}
