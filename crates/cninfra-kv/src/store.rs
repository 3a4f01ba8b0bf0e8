//! The bytes-level [`KvStore`] trait and the plain data it exchanges.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;

use crate::error::KvError;
use crate::lease::LeaseId;
use crate::prefixed::Prefixed;
use crate::txn::TxnOp;
use crate::watch::WatchStream;

/// A stream of results, as returned by the list operations.
pub type KvStream<'a, T> = BoxStream<'a, Result<T, KvError>>;

/// A stored value with the revision of its last modification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvValue {
    /// The value bytes.
    pub value: Bytes,
    /// Store revision of the last put of this key; 0 for stores without revisions.
    pub revision: u64,
}

/// A key with its value, as yielded by [`KvStore::list_values`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntry {
    /// The full key (relative to the view's prefix for a [`Prefixed`] view).
    pub key: String,
    /// The value bytes.
    pub value: Bytes,
    /// Store revision of the last put of this key; 0 for stores without revisions.
    pub revision: u64,
}

/// Options of [`KvStore::put`].
///
/// # Examples
/// ```
/// use std::time::Duration;
/// let opts = cninfra_kv::PutOptions::default().with_ttl(Duration::from_secs(30));
/// assert_eq!(opts.ttl, Some(Duration::from_secs(30)));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PutOptions {
    /// Remove the key this long after the put. A store without TTL support refuses the put
    /// with [`KvError::Unsupported`] instead of keeping the key forever. Stores may round
    /// the duration up to their unit (etcd leases and Redis expiries count whole seconds).
    pub ttl: Option<Duration>,
    /// Bind the key to a lease ([`KvStore::grant_lease`], usually held by a
    /// [`Session`](crate::Session)): the key is deleted when the lease expires or is
    /// revoked. A store without leases refuses the put with [`KvError::Unsupported`].
    pub lease: Option<LeaseId>,
}

impl PutOptions {
    /// Sets [`ttl`](Self::ttl).
    #[must_use]
    pub fn with_ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// Sets [`lease`](Self::lease).
    #[must_use]
    pub fn with_lease(mut self, lease: LeaseId) -> Self {
        self.lease = Some(lease);
        self
    }

    /// Refuses options that a store with `caps` cannot honour: a TTL without
    /// [`Capabilities::ttl`], a lease without [`Capabilities::leases`], both at once
    /// (a key lives as long as its lease). Connectors call it in every write that takes
    /// options, so that no option is silently ignored.
    ///
    /// # Errors
    /// [`KvError::Unsupported`] naming the option and `store`.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use cninfra_kv::{Capabilities, LeaseId, PutOptions};
    /// let options = PutOptions::default().with_lease(LeaseId(7));
    /// let err = options.check("files", Capabilities::NONE).unwrap_err();
    /// assert_eq!(err.to_string(), "store `files` does not support put with a lease");
    /// assert!(options.check("etcd", Capabilities::ALL).is_ok());
    /// ```
    pub fn check(&self, store: &str, caps: Capabilities) -> Result<(), KvError> {
        if self.ttl.is_some() && !caps.ttl {
            return Err(KvError::unsupported(store, "put with ttl"));
        }
        if self.lease.is_some() && !caps.leases {
            return Err(KvError::unsupported(store, "put with a lease"));
        }
        if self.lease.is_some() && self.ttl.is_some() {
            return Err(KvError::unsupported(
                store,
                "put with both a ttl and a lease",
            ));
        }
        Ok(())
    }
}

/// Options of [`KvStore::delete`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeleteOptions {
    /// Delete every key that starts with the given key instead of the key alone. An empty
    /// key then deletes everything in the store (or in the [`Prefixed`] view).
    pub prefix: bool,
}

impl DeleteOptions {
    /// Options that delete by prefix.
    pub fn prefix() -> Self {
        Self { prefix: true }
    }
}

/// What a store supports; the [test kit](crate#test-kit) and careful callers read it
/// instead of guessing from the store's type.
///
/// Construct it with [`Capabilities::NONE`] or [`Capabilities::ALL`] and set fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// Every change gets a store-wide revision, strictly increasing; values report their
    /// mod revision and [`KvStore::revision`] works. Without it revisions are always 0.
    pub revisions: bool,
    /// [`PutOptions::ttl`] is honoured.
    pub ttl: bool,
    /// [`KvStore::txn`] applies all its operations or none.
    pub txn: bool,
    /// [`KvStore::watch`] works from now on (`from_revision: None`).
    pub watch: bool,
    /// [`KvStore::watch`] can replay history from a past revision.
    pub watch_from_revision: bool,
    /// Watch events carry the previous value of the key.
    pub prev_values: bool,
    /// [`DeleteOptions::prefix`] is honoured.
    pub delete_prefix: bool,
    /// List results come sorted by key (byte-wise lexicographic).
    pub sorted_lists: bool,
    /// [`KvStore::put_if_absent`], [`KvStore::compare_and_swap`] and
    /// [`KvStore::compare_and_delete`] are atomic (linearizable on the store's server).
    pub compare_and_swap: bool,
    /// [`KvStore::grant_lease`], [`KvStore::keep_lease_alive`], [`KvStore::revoke_lease`]
    /// and [`PutOptions::lease`] work.
    pub leases: bool,
}

impl Capabilities {
    /// Nothing beyond get, list, put and delete of single keys.
    pub const NONE: Self = Self {
        revisions: false,
        ttl: false,
        txn: false,
        watch: false,
        watch_from_revision: false,
        prev_values: false,
        delete_prefix: false,
        sorted_lists: false,
        compare_and_swap: false,
        leases: false,
    };
    /// Everything (what [`MemoryStore`](crate::MemoryStore) and etcd offer).
    pub const ALL: Self = Self {
        revisions: true,
        ttl: true,
        txn: true,
        watch: true,
        watch_from_revision: true,
        prev_values: true,
        delete_prefix: true,
        sorted_lists: true,
        compare_and_swap: true,
        leases: true,
    };
}

/// A key-value store at the level of bytes: the API every connector (etcd, Redis, Consul,
/// redb, files, memory) implements. Object safe; share it as `Arc<dyn KvStore>`.
///
/// Keys are UTF-8 strings; single-key operations refuse the empty key
/// ([`validate_key`](crate::validate_key)); prefix operations accept it as "everything".
/// Not finding a key is never an error. Stores that cannot do an operation return
/// [`KvError::Unsupported`] naming it, never a silent no-op; [`capabilities`](Self::capabilities)
/// tells in advance.
///
/// See the [crate docs](crate#watch-and-resync-contract) for the watch and resync contract.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_kv::{KvStore, MemoryStore, PutOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_kv::KvError> {
/// let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
/// let rev = store.put("cfg/a", "1".into(), PutOptions::default()).await?;
/// let got = store.get("cfg/a").await?.expect("just written");
/// assert_eq!((got.value.as_ref(), got.revision), (&b"1"[..], rev));
/// assert!(store.get("cfg/missing").await?.is_none());
/// # Ok(()) }
/// ```
#[async_trait]
pub trait KvStore: Send + Sync + fmt::Debug {
    /// Short name used in errors and logs, e.g. `memory` or `etcd 127.0.0.1:2379`.
    fn name(&self) -> &str;

    /// What this store supports.
    fn capabilities(&self) -> Capabilities;

    /// Reads one key; `Ok(None)` when it does not exist.
    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError>;

    /// Streams every entry whose key starts with `prefix` (`""` = all), sorted by key when
    /// [`Capabilities::sorted_lists`]. A store may fetch pages lazily, so the listing is
    /// not a snapshot: a concurrent change may or may not be seen.
    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry>;

    /// Streams every key that starts with `prefix`, like [`list_values`](Self::list_values)
    /// without the values.
    fn list_keys(&self, prefix: &str) -> KvStream<'_, String>;

    /// Stores `value` under `key`, replacing any previous value, and returns the new store
    /// revision (0 for stores without revisions).
    ///
    /// # Errors
    /// [`KvError::Unsupported`] when `options` ask for something the store lacks (TTL).
    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError>;

    /// Deletes `key` (or every key under it with [`DeleteOptions::prefix`]) and reports
    /// whether anything existed and was deleted.
    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError>;

    /// Applies all `ops` atomically (all or none) and returns the revision of the change.
    /// Any op that is invalid (a bad key, an unsupported option) fails the whole
    /// transaction before anything is applied. [`Txn`](crate::Txn) builds the list.
    ///
    /// The default returns [`KvError::Unsupported`].
    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        let _ = ops;
        Err(KvError::unsupported(self.name(), "txn"))
    }

    /// Watches every key under any of `prefixes`. With `from_revision: None` the stream
    /// carries every change committed after this future resolves; with `Some(rev)` it first
    /// replays every change with revision `>= rev`, or starts with
    /// [`WatchEvent::Resync`](crate::WatchEvent::Resync) when that history is gone.
    ///
    /// The default returns [`KvError::Unsupported`].
    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        let _ = (prefixes, from_revision);
        Err(KvError::unsupported(self.name(), "watch"))
    }

    /// The current store revision: the revision of the latest change.
    ///
    /// The default (stores without revisions) returns [`KvError::Unsupported`].
    async fn revision(&self) -> Result<u64, KvError> {
        Err(KvError::unsupported(self.name(), "revision"))
    }

    /// Stores `value` under `key` only if the key does not exist (upstream's
    /// `PutIfNotExists`), atomically. Returns `Some(revision)` of the write (0 for stores
    /// without revisions), or `None` when the key exists and nothing was written.
    ///
    /// The default (stores without [`Capabilities::compare_and_swap`]) returns
    /// [`KvError::Unsupported`].
    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        let _ = (key, value, options);
        Err(KvError::unsupported(self.name(), "put_if_absent"))
    }

    /// Replaces the value of `key` by `new` only if the key exists and its value equals
    /// `old` byte for byte (upstream's `CompareAndSwap`), atomically. Returns
    /// `Some(revision)` of the write (0 for stores without revisions), or `None` when the
    /// key is absent or holds another value, and nothing was written.
    ///
    /// The default returns [`KvError::Unsupported`].
    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        let _ = (key, old, new, options);
        Err(KvError::unsupported(self.name(), "compare_and_swap"))
    }

    /// Deletes `key` only if its value equals `old` (upstream's `CompareAndDelete`),
    /// atomically. Returns `Some(revision)` of the delete (0 for stores without
    /// revisions), or `None` when the key is absent or holds another value.
    ///
    /// The default returns [`KvError::Unsupported`].
    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        let _ = (key, old);
        Err(KvError::unsupported(self.name(), "compare_and_delete"))
    }

    /// Grants a lease that expires `ttl` after it was granted or last kept alive (stores
    /// may round `ttl` up to their unit and minimum). Keys put with
    /// [`PutOptions::lease`] are deleted when it expires or is revoked. A
    /// [`Session`](crate::Session) keeps one alive for as long as it lives.
    ///
    /// The default (stores without [`Capabilities::leases`]) returns
    /// [`KvError::Unsupported`].
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId, KvError> {
        let _ = ttl;
        Err(KvError::unsupported(self.name(), "leases"))
    }

    /// Restarts the lease's countdown. Returns `false` when the lease no longer exists
    /// (it expired or was revoked: its keys are gone).
    ///
    /// The default returns [`KvError::Unsupported`].
    async fn keep_lease_alive(&self, lease: LeaseId) -> Result<bool, KvError> {
        let _ = lease;
        Err(KvError::unsupported(self.name(), "leases"))
    }

    /// Ends the lease now and deletes its keys. Returns `false` when it no longer existed.
    ///
    /// The default returns [`KvError::Unsupported`].
    async fn revoke_lease(&self, lease: LeaseId) -> Result<bool, KvError> {
        let _ = lease;
        Err(KvError::unsupported(self.name(), "leases"))
    }

    /// Releases the connection; later calls fail with [`KvError::Closed`] and open watch
    /// streams end. The default does nothing.
    async fn close(&self) -> Result<(), KvError> {
        Ok(())
    }
}

#[async_trait]
impl<S: KvStore + ?Sized> KvStore for Arc<S> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }
    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        (**self).get(key).await
    }
    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        (**self).list_values(prefix)
    }
    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        (**self).list_keys(prefix)
    }
    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        (**self).put(key, value, options).await
    }
    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        (**self).delete(key, options).await
    }
    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        (**self).txn(ops).await
    }
    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        (**self).watch(prefixes, from_revision).await
    }
    async fn revision(&self) -> Result<u64, KvError> {
        (**self).revision().await
    }
    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        (**self).put_if_absent(key, value, options).await
    }
    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        (**self).compare_and_swap(key, old, new, options).await
    }
    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        (**self).compare_and_delete(key, old).await
    }
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId, KvError> {
        (**self).grant_lease(ttl).await
    }
    async fn keep_lease_alive(&self, lease: LeaseId) -> Result<bool, KvError> {
        (**self).keep_lease_alive(lease).await
    }
    async fn revoke_lease(&self, lease: LeaseId) -> Result<bool, KvError> {
        (**self).revoke_lease(lease).await
    }
    async fn close(&self) -> Result<(), KvError> {
        (**self).close().await
    }
}

/// Conveniences for every [`KvStore`].
pub trait KvStoreExt: KvStore + Sized {
    /// A view of this store under `prefix`: keys given to it are relative to the prefix and
    /// keys it returns have the prefix stripped. See [`Prefixed`].
    ///
    /// # Examples
    /// ```
    /// use cninfra_kv::{KvStore, KvStoreExt, MemoryStore, PutOptions};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), cninfra_kv::KvError> {
    /// let store = MemoryStore::new();
    /// let agent = store.clone().with_prefix("/vnf-agent/vpp1/");
    /// agent.put("config/a", "1".into(), PutOptions::default()).await?;
    /// assert!(store.get("/vnf-agent/vpp1/config/a").await?.is_some());
    /// # Ok(()) }
    /// ```
    fn with_prefix(self, prefix: impl Into<String>) -> Prefixed<Self> {
        Prefixed::new(self, prefix)
    }
}

impl<S: KvStore + Sized> KvStoreExt for S {}

/// Checks a key for a single-key operation: it must not be empty. Connectors call this so
/// that every store refuses the same keys.
///
/// # Errors
/// [`KvError::InvalidKey`] naming the key.
pub fn validate_key(key: &str) -> Result<(), KvError> {
    if key.is_empty() {
        return Err(KvError::InvalidKey {
            key: String::new(),
            reason: "a key must not be empty",
        });
    }
    Ok(())
}
