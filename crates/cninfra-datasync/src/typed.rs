//! [`TypedWatcher`]: a watcher whose values are decoded (proto3 JSON, serde JSON, binary
//! protobuf or any codec).
//!
//! Prost messages are read as proto3 JSON by default ([`ProtoWatcher`]): upstream's Go
//! agents and `etcdctl put` in their docs store values that way, so their data reads here
//! as is. Binary protobuf is an explicit choice ([`ProtoBinaryWatcher`]).

use std::any::type_name;
use std::fmt;
use std::marker::PhantomData;

use cninfra_core::ErrorChain;
use cninfra_kv::{Codec, JsonCodec, KvError, ProtoBinaryCodec, ProtoJsonCodec, TypedEntry};
use tracing::{debug, warn};

use crate::LOG;
use crate::event::{ChangeEvent, Done, Event, ResyncCause, ResyncEvent};
use crate::watcher::Watcher;

/// A watcher of JSON values (serde).
pub type JsonWatcher<T> = TypedWatcher<T, JsonCodec>;
/// A watcher of protobuf messages stored as proto3 JSON, as upstream's agents store them
/// (original or lowerCamel field names, enum names, 64-bit integers as strings or numbers).
pub type ProtoWatcher<T> = TypedWatcher<T, ProtoJsonCodec>;
/// A watcher of protobuf messages stored in binary encoding, chosen explicitly:
/// `ProtoBinaryWatcher::new(sync.watch(ctx, prefixes)?)`.
pub type ProtoBinaryWatcher<T> = TypedWatcher<T, ProtoBinaryCodec>;

/// An event of a [`TypedWatcher`]; see [`Event`].
#[derive(Debug)]
pub enum TypedSyncEvent<T> {
    /// The full state, decoded.
    Resync(TypedResyncEvent<T>),
    /// One change, decoded.
    Change(TypedChangeEvent<T>),
}

/// The full state under a watch's prefixes, decoded; values that did not decode are left
/// out, logged, and make the acknowledgement an error naming their keys.
#[derive(Debug)]
#[non_exhaustive]
pub struct TypedResyncEvent<T> {
    /// Every decodable entry, sorted by key.
    pub values: Vec<TypedEntry<T>>,
    /// Why the resync happened.
    pub cause: ResyncCause,
    /// The acknowledgement.
    pub done: Done,
}

/// One change of one key, decoded.
#[derive(Debug)]
#[non_exhaustive]
pub struct TypedChangeEvent<T> {
    /// The key, relative to the agent prefix.
    pub key: String,
    /// The new value; `None` when the key was deleted.
    pub value: Option<T>,
    /// The value before, when known and decodable.
    pub prev_value: Option<T>,
    /// Store revision of the change.
    pub revision: u64,
    /// The acknowledgement.
    pub done: Done,
}

/// A [`Watcher`] whose values are decoded with the codec `C`.
///
/// A change whose value does not decode never reaches the plugin: it is logged with the
/// key and the watch name and acknowledged with the decode error (so the status check shows
/// it, naming the key, the message and the field), and the stream goes on with the next
/// event. A resync leaves such values out and goes on with the others.
///
/// # Examples
/// ```
/// # async fn demo(
/// #     sync: &cninfra_datasync::KvdbSyncPlugin,
/// #     ctx: &cninfra_core::InitContext,
/// # ) -> Result<(), cninfra_datasync::DatasyncError> {
/// use cninfra_datasync::TypedSyncEvent;
///
/// #[derive(Debug, serde::Serialize, serde::Deserialize)]
/// struct Item { port: u16 }
///
/// // In the watching plugin's `init`, with its context:
/// let mut items = sync.watch_json::<Item>(ctx, &["config/example/v1/"])?;
/// while let Some(event) = items.recv().await {
///     match event {
///         TypedSyncEvent::Resync(resync) => {
///             for entry in &resync.values {
///                 tracing::info!(key = %entry.key, port = entry.value.port, "item");
///             }
///             resync.done.ok();
///         }
///         TypedSyncEvent::Change(change) => change.done.ok(),
///     }
/// }
/// # Ok(()) }
/// ```
pub struct TypedWatcher<T, C> {
    inner: Watcher,
    codec: C,
    _type: PhantomData<fn() -> T>,
}

impl<T, C> fmt::Debug for TypedWatcher<T, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TypedWatcher")
            .field("watcher", &self.inner)
            .field("type", &type_name::<T>())
            .field("codec", &type_name::<C>())
            .finish()
    }
}

impl<T, C: Codec<T> + Default> TypedWatcher<T, C> {
    /// Decodes the events of `watcher` with the codec's default settings.
    pub fn new(watcher: Watcher) -> Self {
        Self::with_codec(watcher, C::default())
    }
}

impl<T, C: Codec<T>> TypedWatcher<T, C> {
    /// Decodes the events of `watcher` with `codec`.
    pub fn with_codec(watcher: Watcher, codec: C) -> Self {
        Self {
            inner: watcher,
            codec,
            _type: PhantomData,
        }
    }

    /// The watch name.
    pub fn name(&self) -> &str {
        self.inner.name()
    }

    /// The bytes-level watcher.
    pub fn into_inner(self) -> Watcher {
        self.inner
    }

    /// The next event; `None` once the data sync plugin closed.
    pub async fn recv(&mut self) -> Option<TypedSyncEvent<T>> {
        loop {
            match self.inner.recv().await? {
                Event::Resync(resync) => return Some(TypedSyncEvent::Resync(self.resync(resync))),
                Event::Change(change) => {
                    if let Some(change) = self.change(change) {
                        return Some(TypedSyncEvent::Change(change));
                    }
                }
            }
        }
    }

    fn decode(&self, key: &str, bytes: &[u8]) -> Result<T, KvError> {
        self.codec.decode(bytes).map_err(|source| KvError::Decode {
            key: key.to_owned(),
            source: Box::new(source),
        })
    }

    fn resync(&self, resync: ResyncEvent) -> TypedResyncEvent<T> {
        let ResyncEvent {
            values,
            cause,
            mut done,
            ..
        } = resync;
        let mut decoded = Vec::with_capacity(values.len());
        let mut bad: Vec<KvError> = Vec::new();
        for entry in values {
            match self.decode(&entry.key, &entry.value) {
                Ok(value) => decoded.push(TypedEntry {
                    key: entry.key,
                    value,
                    revision: entry.revision,
                }),
                Err(err) => {
                    warn!(target: LOG, plugin = %self.name(), key = %entry.key, error = %ErrorChain(&err), "value left out of the resync");
                    bad.push(err);
                }
            }
        }
        if let Some(first) = bad.first() {
            let more = match bad.len() {
                1 => String::new(),
                n => format!(" (and {} more values that do not decode)", n - 1),
            };
            done.carry(format!("{}{more}", ErrorChain(first)));
        }
        TypedResyncEvent {
            values: decoded,
            cause,
            done,
        }
    }

    fn change(&self, change: ChangeEvent) -> Option<TypedChangeEvent<T>> {
        let ChangeEvent {
            key,
            value,
            prev_value,
            revision,
            done,
            ..
        } = change;
        let value = match value.map(|bytes| self.decode(&key, &bytes)).transpose() {
            Ok(value) => value,
            Err(err) => {
                warn!(target: LOG, plugin = %self.name(), key = %key, error = %ErrorChain(&err), "change dropped: its value does not decode");
                done.fail(err);
                return None;
            }
        };
        // The previous value is context only; its own event reported it if it was bad.
        let prev_value = prev_value.and_then(|bytes| {
            self.codec
                .decode(&bytes)
                .inspect_err(
                    |err| debug!(target: LOG, key = %key, error = %err, "previous value left out"),
                )
                .ok()
        });
        Some(TypedChangeEvent {
            key,
            value,
            prev_value,
            revision,
            done,
        })
    }
}
