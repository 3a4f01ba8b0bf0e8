//! [`TypedBroker`]: get, list, put, delete and watch values of one Rust type.
//!
//! Prost messages are stored as proto3 JSON by default ([`ProtoBroker`]): it is what
//! upstream's Go agents (cn-infra, vpp-agent) and `etcdctl put` write, so values written by
//! either side read on the other. Binary protobuf is an explicit choice
//! ([`ProtoBinaryBroker`]).

use std::any::type_name;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;

use cninfra_models::codec::{Codec, JsonCodec, ProtoBinaryCodec, ProtoJsonCodec};

use crate::error::KvError;
use crate::store::{DeleteOptions, KvStore, KvStream, PutOptions};
use crate::watch::{ChangeKind, KeyChange, ResyncReason, WatchEvent};

/// A broker for JSON values (serde).
pub type JsonBroker<T> = TypedBroker<T, JsonCodec>;
/// A broker for protobuf messages stored as proto3 JSON, as upstream's agents store them
/// (reads original and lowerCamel field names, enum names, 64-bit integers as strings or
/// numbers, oneofs, `Any`).
pub type ProtoBroker<T> = TypedBroker<T, ProtoJsonCodec>;
/// A broker for protobuf messages stored in binary encoding, chosen explicitly (Go agents
/// read these values only when configured for binary too).
pub type ProtoBinaryBroker<T> = TypedBroker<T, ProtoBinaryCodec>;

/// A typed value with the revision of its last modification.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The decoded value.
    pub value: T,
    /// Store revision of the last put; 0 for stores without revisions.
    pub revision: u64,
}

/// A key with its typed value, as yielded by [`TypedBroker::list`].
#[derive(Debug, Clone, PartialEq)]
pub struct TypedEntry<T> {
    /// The key.
    pub key: String,
    /// The decoded value.
    pub value: T,
    /// Store revision of the last put; 0 for stores without revisions.
    pub revision: u64,
}

/// One change of one key, decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedChange<T> {
    /// The changed key.
    pub key: String,
    /// Put or delete.
    pub kind: ChangeKind,
    /// The new value; `None` for deletes.
    pub value: Option<T>,
    /// The previous value when the store reports it.
    pub prev_value: Option<T>,
    /// Store revision of the change.
    pub revision: u64,
}

/// An item of a typed watch stream; see [`WatchEvent`].
#[derive(Debug, Clone, PartialEq)]
pub enum TypedEvent<T> {
    /// A key changed.
    Change(TypedChange<T>),
    /// Changes may have been missed: re-read the state.
    Resync(ResyncReason),
}

/// A typed watch stream. A value that fails to decode yields an `Err` item
/// ([`KvError::Decode`] naming the key; its source the message and field) and the stream
/// goes on; a previous value that
/// fails to decode is left out (`prev_value: None`), as its own event already reported it.
pub type TypedWatchStream<T> = KvStream<'static, TypedEvent<T>>;

/// Typed access to a [`KvStore`]: values of `T` encoded by the codec `C`.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_kv::{JsonBroker, KvStoreExt, MemoryStore};
///
/// #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Route { dst: String, metric: u32 }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_kv::KvError> {
/// let store = MemoryStore::new().with_prefix("/vnf-agent/vpp1/");
/// let routes: JsonBroker<Route> = JsonBroker::new(Arc::new(store));
/// routes.put("config/route/1", &Route { dst: "10.0.0.0/8".into(), metric: 5 }).await?;
/// let got = routes.get("config/route/1").await?.expect("stored");
/// assert_eq!(got.value.metric, 5);
/// # Ok(()) }
/// ```
///
/// A prost message (with a descriptor, as `cninfra-ligato`'s) goes through a
/// [`ProtoBroker`] as proto3 JSON:
/// ```
/// # use std::sync::Arc;
/// use cninfra_kv::{KvStore, MemoryStore, ProtoBroker};
/// use cninfra_ligato::vpp::l2::{FibEntry, fib_entry::Action};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_kv::KvError> {
/// let store = Arc::new(MemoryStore::new());
/// let fibs: ProtoBroker<FibEntry> = ProtoBroker::new(store.clone());
/// let key = "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a";
/// let entry = FibEntry { bridge_domain: "bd1".into(), action: Action::Drop.into(), ..Default::default() };
/// fibs.put(key, &entry).await?;
/// let stored = store.get(key).await?.expect("stored");
/// assert_eq!(stored.value.as_ref(), br#"{"bridgeDomain":"bd1","action":"DROP"}"#);
/// # Ok(()) }
/// ```
pub struct TypedBroker<T, C> {
    store: Arc<dyn KvStore>,
    codec: Arc<C>,
    _type: PhantomData<fn() -> T>,
}

impl<T, C> Clone for TypedBroker<T, C> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            codec: Arc::clone(&self.codec),
            _type: PhantomData,
        }
    }
}

impl<T, C> fmt::Debug for TypedBroker<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedBroker")
            .field("store", &self.store.name())
            .field("type", &type_name::<T>())
            .field("codec", &type_name::<C>())
            .finish()
    }
}

impl<T: Send + 'static, C: Codec<T> + Default> TypedBroker<T, C> {
    /// A broker over `store` with the codec's default settings.
    pub fn new(store: Arc<dyn KvStore>) -> Self {
        Self::with_codec(store, C::default())
    }
}

impl<T: Send + 'static, C: Codec<T>> TypedBroker<T, C> {
    /// A broker over `store` that encodes with `codec`.
    pub fn with_codec(store: Arc<dyn KvStore>, codec: C) -> Self {
        Self {
            store,
            codec: Arc::new(codec),
            _type: PhantomData,
        }
    }

    /// The underlying bytes store.
    pub fn store(&self) -> &Arc<dyn KvStore> {
        &self.store
    }

    /// Encodes `value` as it would be stored under `key` (e.g. for a [`Txn`](crate::Txn)).
    ///
    /// # Errors
    /// [`KvError::Encode`] naming the key (its source the type).
    pub fn encode(&self, key: &str, value: &T) -> Result<Bytes, KvError> {
        match self.codec.encode(value) {
            Ok(bytes) => Ok(bytes.into()),
            Err(source) => Err(KvError::Encode {
                key: key.to_owned(),
                source,
            }),
        }
    }

    /// Reads and decodes one key; `Ok(None)` when it does not exist.
    ///
    /// # Errors
    /// [`KvError::Decode`] naming the key (its source the message and field) when the
    /// stored bytes do not decode; any error of the store.
    pub async fn get(&self, key: &str) -> Result<Option<Versioned<T>>, KvError> {
        match self.store.get(key).await? {
            Some(found) => Ok(Some(Versioned {
                value: decode(&*self.codec, key, &found.value)?,
                revision: found.revision,
            })),
            None => Ok(None),
        }
    }

    /// Streams the decoded entries under `prefix`; an entry that fails to decode yields an
    /// `Err` item and the stream goes on.
    pub fn list(&self, prefix: &str) -> KvStream<'_, TypedEntry<T>> {
        let codec = &*self.codec;
        self.store
            .list_values(prefix)
            .map(move |entry| {
                let entry = entry?;
                Ok(TypedEntry {
                    value: decode(codec, &entry.key, &entry.value)?,
                    key: entry.key,
                    revision: entry.revision,
                })
            })
            .boxed()
    }

    /// Streams the keys under `prefix`.
    pub fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        self.store.list_keys(prefix)
    }

    /// Encodes and stores `value`; returns the new revision.
    ///
    /// # Errors
    /// [`KvError::Encode`] naming the key; any error of the store.
    pub async fn put(&self, key: &str, value: &T) -> Result<u64, KvError> {
        self.put_with(key, value, PutOptions::default()).await
    }

    /// [`put`](Self::put) with options (TTL).
    ///
    /// # Errors
    /// As [`put`](Self::put).
    pub async fn put_with(
        &self,
        key: &str,
        value: &T,
        options: PutOptions,
    ) -> Result<u64, KvError> {
        let bytes = self.encode(key, value)?;
        self.store.put(key, bytes, options).await
    }

    /// Deletes `key`; true when it existed.
    ///
    /// # Errors
    /// Any error of the store.
    pub async fn delete(&self, key: &str) -> Result<bool, KvError> {
        self.store.delete(key, DeleteOptions::default()).await
    }

    /// Watches `prefixes` like [`KvStore::watch`], decoding values and previous values.
    ///
    /// # Errors
    /// Any error of the store when starting the watch.
    pub async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<TypedWatchStream<T>, KvError> {
        let codec = Arc::clone(&self.codec);
        let stream = self.store.watch(prefixes, from_revision).await?;
        Ok(stream
            .map(move |event| match event? {
                WatchEvent::Change(change) => {
                    decode_change(&*codec, change).map(TypedEvent::Change)
                }
                WatchEvent::Resync(reason) => Ok(TypedEvent::Resync(reason)),
            })
            .boxed())
    }
}

fn decode<T, C: Codec<T> + ?Sized>(codec: &C, key: &str, bytes: &[u8]) -> Result<T, KvError> {
    codec.decode(bytes).map_err(|source| KvError::Decode {
        key: key.to_owned(),
        source: Box::new(source),
    })
}

fn decode_change<T, C: Codec<T> + ?Sized>(
    codec: &C,
    change: KeyChange,
) -> Result<TypedChange<T>, KvError> {
    let value = match change.kind {
        ChangeKind::Put => Some(decode(codec, &change.key, &change.value)?),
        ChangeKind::Delete => None,
    };
    // The previous value is context only: when it does not decode (the bad value was
    // reported by an earlier event) the change still goes through, without it.
    let prev_value = change.prev_value.as_ref().and_then(|prev| {
        codec
            .decode(prev)
            .inspect_err(|err| {
                tracing::debug!(key = %change.key, error = %err, "previous value dropped from typed change");
            })
            .ok()
    });
    Ok(TypedChange {
        key: change.key,
        kind: change.kind,
        value,
        prev_value,
        revision: change.revision,
    })
}
