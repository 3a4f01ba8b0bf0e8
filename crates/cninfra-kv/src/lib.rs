//! The key-value broker API of cninfra: one bytes-level, object-safe [`KvStore`] trait that
//! every connector (etcd, Redis, Consul, redb, files) implements, typed brokers on top of it
//! ([`ProtoBroker`], [`JsonBroker`], [`ProtoBinaryBroker`]), prefixed views ([`Prefixed`]), transactions ([`Txn`]),
//! watches with an explicit resync signal, a complete in-memory store ([`MemoryStore`]) and a
//! conformance test kit (`testkit` feature).
//!
//! # Quick start
//! ```
//! use std::sync::Arc;
//! use futures::{StreamExt, TryStreamExt};
//! use cninfra_kv::{KvStore, KvStoreExt, MemoryStore, PutOptions, Txn, WatchEvent};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), cninfra_kv::KvError> {
//! let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
//! let agent = Arc::clone(&store).with_prefix("/vnf-agent/vpp1/");
//!
//! let mut watch = agent.watch(&["config/"], None).await?;
//! agent.put("config/a", "1".into(), PutOptions::default()).await?;
//! Txn::new().put("config/b", "2").delete("config/a").commit(&agent).await?;
//!
//! let keys: Vec<String> = agent.list_keys("config/").try_collect().await?;
//! assert_eq!(keys, ["config/b"]);
//! assert!(store.get("/vnf-agent/vpp1/config/b").await?.is_some());
//!
//! let Some(Ok(WatchEvent::Change(first))) = watch.next().await else { panic!() };
//! assert_eq!(first.key, "config/a");
//! # Ok(()) }
//! ```
//!
//! # Typed values
//! A [`TypedBroker`] encodes values with a [`Codec`] (the platform's one codec trait, from
//! `cninfra-models`, re-exported here):
//! - [`ProtoBroker`] ([`ProtoJsonCodec`]): prost messages as **proto3 JSON**, the default
//!   for messages. It is how upstream's Go agents (cn-infra, vpp-agent) store values and
//!   what `etcdctl put` writes in their docs, so data written by either side reads on the
//!   other: original (`bridge_domain`) and lowerCamel (`bridgeDomain`) field names, enum
//!   names (`"action":"DROP"`), 64-bit integers as strings or numbers, oneofs, `Any`.
//! - [`JsonBroker`] ([`JsonCodec`]): serde types as JSON.
//! - [`ProtoBinaryBroker`] ([`ProtoBinaryCodec`]): binary protobuf, only when chosen
//!   explicitly (a Go agent reads it only when configured for binary too).
//!
//! A value that does not decode is a [`KvError::Decode`] naming the key, whose source
//! ([`DecodeError`]) names the message and the field path; in a listing or a watch it is one
//! `Err` item and the stream goes on.
//!
//! # Features
//! | name | what | default |
//! |---|---|---|
//! | `testkit` | `testkit`: the conformance checks connectors run against their store | no |
//! | `connector` | `KvConnector`, the trait of connector plugins, and their shared `ConnectionState` | no |
//!
//! # Capabilities
//! Stores differ (the etcd connector can do everything, the file store cannot delete by
//! prefix, Redis has no revisions). [`KvStore::capabilities`] says what a store supports;
//! an operation it lacks fails with [`KvError::Unsupported`] naming the operation and the
//! store — a TTL is never silently ignored, a delete never claims success it did not have.
//!
//! # Watch and resync contract
//! [`KvStore::watch`] returns a [`WatchStream`] of [`WatchEvent`]s for the given prefixes.
//! - **Start.** Once the `watch` future resolves, every change committed afterwards is
//!   delivered. With `from_revision: Some(rev)` the stream first replays every change with
//!   revision `>= rev` still in the store's history; keys are matched by prefix and a change
//!   matching several prefixes comes once.
//! - **Order.** Changes arrive in commit order (revision order for stores with revisions;
//!   the changes of one transaction share its revision). Each
//!   [`KeyChange`] carries the key, [`ChangeKind::Put`] or [`ChangeKind::Delete`], the new
//!   value and, when the store reports it ([`Capabilities::prev_values`]), the previous one.
//!   Expired TTLs show up as deletes.
//! - **No silent loss.** When the store cannot guarantee that nothing was missed it sends
//!   [`WatchEvent::Resync`] with a [`ResyncReason`]:
//!   [`Compacted`](ResyncReason::Compacted) — the requested start revision is older than
//!   the kept history (sent first, instead of a replay);
//!   [`Lagged`](ResyncReason::Lagged) — the consumer fell behind and queued events were
//!   dropped (a slow watcher never blocks writers);
//!   [`Reconnected`](ResyncReason::Reconnected) — the connection was re-established and
//!   the store could not resume from the last seen revision.
//!   The stream stays open after a resync signal and continues with later changes.
//! - **What a consumer does on resync.** Re-read the watched prefixes with
//!   [`KvStore::list_values`] and replace its view with that snapshot, then go on applying
//!   events. Events that follow may repeat changes already in the snapshot, so applying
//!   them must be idempotent (a put overwrites, a delete of an absent key is a no-op); a
//!   consumer that tracks revisions can skip events at or below a key's listed revision.
//! - **Initial sync.** For stores with revisions: `let rev = store.revision().await?`, list,
//!   then `watch(prefixes, Some(rev + 1))` — no change is missed, some may repeat. For
//!   stores without [`Capabilities::watch_from_revision`]: start the watch first, then list.
//! - **Errors and end.** An `Err` item reports a failure (for typed brokers, a value that
//!   does not decode); the stream goes on after it. The stream ends only when the store is
//!   closed or the watch cannot continue; a consumer that did not close the store treats an
//!   end as "watch again and resync". Dropping the stream cancels the watch.
//!
//! Connectors build their watch loops from the [`watch`] toolkit: one bounded queue with one
//! overflow policy ([`watch::event_channel`]), [`watch::minimal_prefixes`] and a jittered
//! [`watch::Backoff`] between reconnection attempts.
//!
//! # Test kit
//! With the `testkit` feature, `testkit::conformance` runs every behaviour above against a
//! store under a unique key prefix; each connector's `tests/conformance.rs` calls it on its
//! real server, and this crate runs it on [`MemoryStore`].

#[cfg(feature = "connector")]
mod connector;
mod error;
mod lease;
mod memory;
mod prefixed;
mod store;
#[cfg(feature = "testkit")]
pub mod testkit;
mod txn;
mod typed;
pub mod watch;

#[cfg(feature = "connector")]
#[cfg_attr(docsrs, doc(cfg(feature = "connector")))]
pub use connector::{
    Connect, Connection, ConnectionState, ConnectorPlugin, ConnectorPluginBuilder, KvConnector,
};
pub use error::{BoxError, KvError};
pub use lease::{LeaseId, Session};
pub use memory::{DEFAULT_HISTORY_LIMIT, DEFAULT_WATCH_BUFFER, MemoryStore, MemoryStoreBuilder};
pub use prefixed::Prefixed;
pub use store::{
    Capabilities, DeleteOptions, KvEntry, KvStore, KvStoreExt, KvStream, KvValue, PutOptions,
    validate_key,
};
pub use txn::{Txn, TxnOp};
pub use typed::{
    Codec, DecodeError, EncodeError, JsonBroker, JsonCodec, ProtoBinaryBroker, ProtoBinaryCodec,
    ProtoBroker, ProtoJsonCodec, TypedBroker, TypedChange, TypedEntry, TypedEvent,
    TypedWatchStream, Versioned,
};
pub use watch::{ChangeKind, KeyChange, ResyncReason, WatchEvent, WatchStream};

/// Re-exported so connectors implement [`KvStore`] with the same macro version.
pub use async_trait::async_trait;
