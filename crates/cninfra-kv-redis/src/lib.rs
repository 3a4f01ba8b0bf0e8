//! The Redis connector of cninfra: the [`KvStore`](cninfra_kv::KvStore) broker API on a
//! Redis node ([`RedisStore`]) and the `redis` plugin ([`RedisPlugin`]) that connects it from
//! `redis.conf`.
//!
//! # Quick start
//! ```no_run
//! use std::sync::Arc;
//! use futures::StreamExt;
//! use cninfra_kv::{KvStore, KvStoreExt, PutOptions, WatchEvent};
//! use cninfra_kv_redis::{RedisConfig, RedisStore};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = RedisStore::connect(&RedisConfig::node("127.0.0.1:6379")).await?;
//! let agent = store.with_prefix("/vnf-agent/vpp1/");
//! let mut watch = agent.watch(&["config/"], None).await?;   // first watch, then list
//! agent.put("config/a", "1".into(), PutOptions::default()).await?;
//! if let Some(Ok(WatchEvent::Change(change))) = watch.next().await {
//!     assert_eq!((change.key.as_str(), change.prev_value), ("config/a", None));
//! }
//! # Ok(()) }
//! ```
//!
//! # How the broker API maps to Redis
//! | API | Redis |
//! |---|---|
//! | `get` | `GET` |
//! | `put` (with TTL) | a script: `GET` (old value), `PUBLISH` (announcement), `SET` (`PX` ms) |
//! | `delete`, by prefix | a script per key batch: `GET`, `PUBLISH`, `DEL`; prefixes found by `SCAN` |
//! | `list_keys`, `list_values` | `SCAN MATCH <prefix>* COUNT 1000` page by page, values by `MGET` |
//! | `txn` | `MULTI` / the same scripts / `EXEC` |
//! | `watch` | `PSUBSCRIBE` to keyspace notifications and to the announcements |
//!
//! Values are stored as they are under plain string keys, so any Redis client reads them.
//! Glob characters in prefixes are escaped, so `a[1]/` lists only keys that start with
//! `a[1]/` (upstream treated them as a pattern).
//!
//! # No revisions: what you get instead
//! Redis keeps no revisions. Every revision this store reports is 0,
//! [`KvStore::revision`](cninfra_kv::KvStore::revision) and watching from a revision are
//! refused with [`KvError::Unsupported`](cninfra_kv::KvError::Unsupported), and the
//! [`Capabilities`](cninfra_kv::Capabilities) say so (`revisions` and `watch_from_revision`
//! are false). The initial sync is therefore: **start the watch, then list**; a change
//! made between the two shows up in the listing and perhaps again as an event, so applying
//! events must be idempotent. When the watch's connection drops it reconnects and sends
//! [`ResyncReason::Reconnected`](cninfra_kv::ResyncReason::Reconnected) **after every
//! reconnect**: the consumer lists again, as nothing tells what changed meanwhile.
//!
//! # Watch values and previous values
//! A keyspace notification says only "`set` on key k". To report exact values, every write
//! of this connector runs as a script that publishes the new and the old value on
//! `cninfra-kv@<db>:<key>` right before the write; a watch subscribed to both gets the
//! announcement, then the notification, with nothing between (scripts are atomic). So for
//! writes through this connector, events carry the written value and the true previous
//! value ([`Capabilities::prev_values`](cninfra_kv::Capabilities::prev_values) is true).
//! For changes Redis makes itself or other clients make, there is no announcement:
//! expiries and evictions (and `DEL` by others) become deletes without a previous value,
//! and a foreign `SET` becomes a put whose value is read with `GET` when the notification
//! arrives (it may already be newer) and has no previous value. Upstream re-read every
//! value and reported the last value its watcher had seen of any key.
//!
//! # Keyspace notifications
//! Watches need the server's `notify-keyspace-events` to contain `K` and the classes `g`,
//! `$` and `x` (`KA` has them all). [`RedisStore::connect`] checks it; when it lacks them,
//! `enable-keyspace-events: true` in the config makes the store add them with
//! `CONFIG SET`, otherwise watches fail with an error naming the setting (the rest of the
//! store works). The check runs again on every watch reconnect, since a restarted server
//! may have lost a setting made with `CONFIG SET`.
//!
//! # Lists
//! `SCAN` returns keys in hash order and may repeat one; the list streams drop repeats and
//! are not sorted ([`Capabilities::sorted_lists`](cninfra_kv::Capabilities::sorted_lists)
//! is false). A prefix delete lists first and deletes then; a transaction that deletes a
//! prefix lists before `MULTI`, so a key created under the prefix between the two survives.
//!
//! # Deployments
//! The config is upstream's, and the kind of deployment is detected as upstream does
//! ([`RedisConfig::topology`]): sentinel if `master-name` is set, else a single node if
//! `endpoint` is set, else a cluster. Only the single node (with password, database,
//! timeouts and TLS) is implemented; sentinel and cluster configs are refused at start
//! with [`RedisError::UnsupportedTopology`] naming the field that selected them.
//!
//! # Timeouts and errors
//! Connecting (TCP, TLS, `AUTH`, `SELECT`) has `dial-timeout`; each command has
//! `write-timeout + read-timeout`. Lost connections give
//! [`KvError::Unavailable`](cninfra_kv::KvError::Unavailable) and time-outs
//! [`KvError::Timeout`](cninfra_kv::KvError::Timeout) (both
//! [retryable](cninfra_kv::KvError::is_retryable)); the command connection reconnects by
//! itself. [`RedisStore::connection_state`] publishes lost/back flips.

mod config;
mod connect;
mod error;
mod list;
mod plugin;
mod scripts;
mod state;
mod store;
mod watch;

pub use config::{
    DEFAULT_DIAL_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_WRITE_TIMEOUT, PoolConfig, RedisConfig,
    TlsConfig, Topology,
};
pub use error::RedisError;
pub use plugin::{RedisPlugin, RedisPluginBuilder};
pub use state::ConnectionState;
pub use store::RedisStore;

/// The plugin name and log target.
const LOG: &str = "redis";
