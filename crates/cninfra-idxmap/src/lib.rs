//! A thread-safe named mapping with secondary indexes and an ordered change watch: the
//! cninfra counterpart of CN-Infra's `idxmap`.
//!
//! An [`IdxMap<V>`] maps names to shared values (`Arc<V>`). Secondary indexes, given as
//! functions from a value to its index values, are kept up to date on every write, so
//! "which entries have type X" is one hash lookup. Watchers, by [bounded
//! channel](IdxMap::subscribe) or by [callback](IdxMap::watch), receive every change in the
//! order the map applied it.
//!
//! # Quick start
//! ```
//! use std::time::Duration;
//! use cninfra_idxmap::{EventKind, IdxMap, Notification};
//!
//! #[derive(Debug, PartialEq)]
//! struct Iface { kind: String, mtu: u32 }
//!
//! let map = IdxMap::builder("interfaces")
//!     .with_index_emit("by-type", |v: &Iface, emit| emit(&v.kind))
//!     .build()?;
//! let mut changes = map.subscribe("my-plugin")?;
//!
//! map.put("eth0", Iface { kind: "ethernet".into(), mtu: 1500 });
//! map.put("eth0", Iface { kind: "ethernet".into(), mtu: 9000 });
//! map.put("lo", Iface { kind: "loopback".into(), mtu: 65536 });
//! map.delete("lo");
//!
//! assert_eq!(map.get("eth0").map(|v| v.mtu), Some(9000));
//! assert_eq!(map.lookup_by_index("by-type", "ethernet")?, ["eth0".into()] as [std::sync::Arc<str>; 1]);
//! assert!(map.lookup_by_index("by-type", "loopback")?.is_empty());
//!
//! let mut kinds = Vec::new();
//! while let Ok(Notification::Event(ev)) = changes.recv_timeout(Duration::from_millis(100)) {
//!     kinds.push(ev.kind());
//! }
//! assert_eq!(kinds, [EventKind::Created, EventKind::Updated, EventKind::Created, EventKind::Deleted]);
//! # Ok::<(), cninfra_idxmap::IdxMapError>(())
//! ```
//!
//! # Cost
//! Reads share a `parking_lot` read lock; a write holds the write lock for the change and
//! its index upkeep only. Values and names are `Arc`s: a put allocates the name once (on
//! creation) and no index key vectors (index functions given with
//! [`IdxMapBuilder::with_index_emit`] hand out borrowed keys). Watch events are built only
//! while someone subscribes, and one `Arc`'d event is fanned out to all subscribers.
//! Measured figures: `docs/benchmarks/cninfra-idxmap.md`.
//!
//! # Mirroring a KV store
//! With the `cache` feature, `CacheHelper` keeps a map equal to a key prefix of a
//! `cninfra-kv` store: initial load, then change events, and a full reload (emitting only
//! real differences) whenever the watch signals a resync.
//!
//! # Features
//! | name | what | default |
//! |---|---|---|
//! | `cache` | `CacheHelper`: mirrors a key prefix of a `cninfra-kv` store into a map | no |
//!
//! # Differences from upstream
//! - [`IdxMap::clear`] sends a delete event per entry (upstream sends none), so watchers that
//!   mirror the map stay exact.
//! - A channel subscriber that falls behind gets a [`Notification::Resync`] snapshot instead
//!   of the upstream 2 s blocking send that drops events.

#[cfg(feature = "cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
mod cache;
mod error;
mod event;
mod index;
mod map;
mod watch;

#[cfg(feature = "cache")]
#[cfg_attr(docsrs, doc(cfg(feature = "cache")))]
pub use cache::{CacheError, CacheHelper, CacheTask, DEFAULT_CACHE_TIMEOUT, ReloadStats};
pub use error::IdxMapError;
pub use event::{Event, EventKind, Notification};
pub use map::{DEFAULT_CHANNEL_CAPACITY, IdxMap, IdxMapBuilder};
pub use watch::{RecvTimeoutError, Subscription, TryRecvError, WatchHandle};
