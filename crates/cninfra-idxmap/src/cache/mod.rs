//! [`CacheHelper`]: mirrors a key prefix of a [`KvStore`] into an [`IdxMap`].

mod error;
mod task;

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use cninfra_kv::{ChangeKind, Codec, DecodeError, KeyChange, KvEntry, KvStore};
use futures::TryStreamExt;

pub use error::CacheError;
pub use task::CacheTask;

use crate::IdxMap;

/// Time limit of each list or watch request to the store, unless set otherwise.
pub const DEFAULT_CACHE_TIMEOUT: Duration = Duration::from_secs(10);

/// Turns a key (relative to the prefix) into an entry name; `None` ignores the key.
type NameFn = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Decodes a value with the helper's [`Codec`] (the trait is not object safe).
type DecodeFn<V> = Box<dyn Fn(&[u8]) -> Result<V, DecodeError> + Send + Sync>;

/// What one [`CacheHelper::reload`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReloadStats {
    /// Keys the store listed under the prefix (ignored keys included).
    pub listed: usize,
    /// Entries put into the map because they were new or their bytes changed.
    pub changed: usize,
    /// Entries deleted from the map because their key is gone (or no longer decodes).
    pub deleted: usize,
    /// Keys whose value did not decode (logged and left out of the map).
    pub failed: usize,
}

/// What the helper knows about the value behind one entry, to tell real changes from
/// repeats.
#[derive(Debug, Clone, Copy)]
struct Fingerprint {
    revision: u64,
    hash: u64,
}

/// What applying one value did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Applied {
    Unchanged,
    Put,
    Deleted,
    Failed,
}

/// Mirrors every key under a prefix of a [`KvStore`] into an [`IdxMap`]: an initial load,
/// then the store's change events; a resync signal of the watch (compaction, lag,
/// reconnect) triggers a full reload. The map's secondary indexes and watchers follow, and
/// the map only changes (and only notifies) where the store's data really changed.
///
/// Keys are turned into names by a function (the key relative to the prefix by default)
/// and values are decoded by a [`Codec`]. A value that does not decode is logged with its
/// key and left out of the map (an entry that had an older value is deleted), so the map
/// holds exactly the entries that decode. Nothing panics on bad data.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_idxmap::{CacheHelper, IdxMap};
/// use cninfra_kv::{JsonCodec, KvStore, MemoryStore, PutOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
/// store.put("/cfg/if/eth0", r#"{"mtu":1500}"#.into(), PutOptions::default()).await?;
///
/// let map: IdxMap<serde_json::Value> = IdxMap::new("interfaces");
/// let task = CacheHelper::new(Arc::clone(&store), "/cfg/if/", map.clone(), JsonCodec)
///     .start()
///     .await?;
/// assert_eq!(map.get("eth0").map(|v| v["mtu"].clone()), Some(1500.into()));
/// task.stop().await;
/// # Ok(()) }
/// ```
pub struct CacheHelper<V> {
    store: Arc<dyn KvStore>,
    prefix: String,
    map: IdxMap<V>,
    decode: DecodeFn<V>,
    name_of: NameFn,
    timeout: Duration,
    /// Entry name → fingerprint of the value it was decoded from.
    known: HashMap<String, Fingerprint>,
    revisions: bool,
}

impl<V: Send + Sync + 'static> CacheHelper<V> {
    /// A helper mirroring `prefix` of `store` into `map`, decoding values with `codec`
    /// (for example [`JsonCodec`](cninfra_kv::JsonCodec)). The entry name is the key with
    /// the prefix removed.
    pub fn new(
        store: Arc<dyn KvStore>,
        prefix: impl Into<String>,
        map: IdxMap<V>,
        codec: impl Codec<V>,
    ) -> Self {
        let revisions = store.capabilities().revisions;
        Self {
            store,
            prefix: prefix.into(),
            map,
            decode: Box::new(move |bytes| codec.decode(bytes)),
            name_of: Box::new(|key| Some(key.to_owned())),
            timeout: DEFAULT_CACHE_TIMEOUT,
            known: HashMap::new(),
            revisions,
        }
    }

    /// Sets how keys (relative to the prefix) become entry names; a key for which `name_of`
    /// returns `None` is ignored. Two keys must not give the same name.
    ///
    /// # Examples
    /// ```
    /// # use std::sync::Arc;
    /// # use cninfra_idxmap::{CacheHelper, IdxMap};
    /// # use cninfra_kv::{JsonCodec, MemoryStore};
    /// # let map: IdxMap<serde_json::Value> = IdxMap::new("interfaces");
    /// // "eth0/config" → "eth0"; "eth0/status" is not mirrored.
    /// let helper = CacheHelper::new(Arc::new(MemoryStore::new()), "/if/", map, JsonCodec)
    ///     .with_name_fn(|key| key.strip_suffix("/config").map(str::to_owned));
    /// ```
    #[must_use]
    pub fn with_name_fn<F>(mut self, name_of: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        self.name_of = Box::new(name_of);
        self
    }

    /// Sets the time limit of each list or watch request (default
    /// [`DEFAULT_CACHE_TIMEOUT`]).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The map this helper fills.
    pub fn map(&self) -> &IdxMap<V> {
        &self.map
    }

    /// Lists the prefix and makes the map equal to what decodes there: new or changed
    /// entries are put, vanished ones deleted, unchanged ones left alone (no event).
    ///
    /// # Errors
    /// [`CacheError::Kv`] or [`CacheError::Timeout`] when the listing fails; the map is then
    /// left as it was.
    pub async fn reload(&mut self) -> Result<ReloadStats, CacheError> {
        let listing = self
            .store
            .list_values(&self.prefix)
            .try_collect::<Vec<KvEntry>>();
        let entries = match tokio::time::timeout(self.timeout, listing).await {
            Ok(Ok(entries)) => entries,
            Ok(Err(source)) => return Err(self.kv_error("list_values", source)),
            Err(_) => return Err(self.timeout_error("list_values")),
        };
        let mut stats = ReloadStats {
            listed: entries.len(),
            ..ReloadStats::default()
        };
        let mut seen: HashSet<String> = HashSet::with_capacity(entries.len());
        for entry in &entries {
            let Some(relative) = entry.key.strip_prefix(&self.prefix) else {
                continue;
            };
            let Some(name) = (self.name_of)(relative) else {
                continue;
            };
            let outcome = self.apply_value(&name, &entry.key, entry.revision, &entry.value, false);
            seen.insert(name);
            match outcome {
                Applied::Put => stats.changed += 1,
                Applied::Deleted => {
                    stats.deleted += 1;
                    stats.failed += 1;
                }
                Applied::Failed => stats.failed += 1,
                Applied::Unchanged => {}
            }
        }
        let gone: Vec<String> = self
            .known
            .keys()
            .filter(|name| !seen.contains(*name))
            .cloned()
            .collect();
        for name in gone {
            self.known.remove(&name);
            self.map.delete(&name);
            stats.deleted += 1;
        }
        tracing::debug!(prefix = %self.prefix, map = self.map.title(), listed = stats.listed,
            changed = stats.changed, deleted = stats.deleted, failed = stats.failed,
            "idxmap cache reloaded");
        Ok(stats)
    }

    /// Applies one change event of the watch; stale repeats (a revision not newer than what
    /// the map already reflects) and unchanged bytes leave the map alone.
    pub fn apply_change(&mut self, change: &KeyChange) {
        let Some(relative) = change.key.strip_prefix(&self.prefix) else {
            return;
        };
        let Some(name) = (self.name_of)(relative) else {
            return;
        };
        match change.kind {
            ChangeKind::Put => {
                self.apply_value(&name, &change.key, change.revision, &change.value, true);
            }
            ChangeKind::Delete => {
                let Some(known) = self.known.get(&name) else {
                    return;
                };
                if is_stale(self.revisions, known, change.revision) {
                    return;
                }
                self.known.remove(&name);
                self.map.delete(&name);
            }
        }
    }

    fn apply_value(
        &mut self,
        name: &str,
        key: &str,
        revision: u64,
        bytes: &[u8],
        event: bool,
    ) -> Applied {
        let hash = fingerprint(bytes);
        if let Some(known) = self.known.get_mut(name) {
            if event && is_stale(self.revisions, known, revision) {
                return Applied::Unchanged;
            }
            if known.hash == hash {
                known.revision = revision;
                return Applied::Unchanged;
            }
        }
        match (self.decode)(bytes) {
            Ok(value) => {
                self.known
                    .insert(name.to_owned(), Fingerprint { revision, hash });
                self.map.put(name, value);
                Applied::Put
            }
            Err(error) => {
                tracing::warn!(key, prefix = %self.prefix, map = self.map.title(), %error,
                    "idxmap cache: value does not decode; entry left out");
                if self.known.remove(name).is_some() {
                    self.map.delete(name);
                    return Applied::Deleted;
                }
                Applied::Failed
            }
        }
    }

    fn kv_error(&self, op: &'static str, source: cninfra_kv::KvError) -> CacheError {
        CacheError::Kv {
            prefix: self.prefix.clone(),
            map: self.map.title().to_owned(),
            op,
            source,
        }
    }

    fn timeout_error(&self, op: &'static str) -> CacheError {
        CacheError::Timeout {
            prefix: self.prefix.clone(),
            map: self.map.title().to_owned(),
            op,
            after: self.timeout,
        }
    }
}

/// With revisions, an event at or below the revision the entry was loaded from is a repeat
/// (a watch may repeat what a listing already showed).
fn is_stale(revisions: bool, known: &Fingerprint, revision: u64) -> bool {
    revisions && revision != 0 && revision <= known.revision
}

fn fingerprint(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    bytes.hash(&mut hasher);
    hasher.finish()
}

impl<V> fmt::Debug for CacheHelper<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CacheHelper")
            .field("store", &self.store.name())
            .field("prefix", &self.prefix)
            .field("map", &self.map)
            .field("timeout", &self.timeout)
            .field("entries", &self.known.len())
            .finish_non_exhaustive()
    }
}
