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
//!     assert_eq!(change.key, "config/a");   // its value is read when the event arrives
//! }
//! # Ok(()) }
//! ```
//!
//! # How the broker API maps to Redis
//! | API | Redis |
//! |---|---|
//! | `get` | `GET` |
//! | `put` (with TTL) | `SET` (`PX` ms); with exact watch values a script: `GET` (old value), `PUBLISH` (announcement), `SET` |
//! | `delete`, by prefix | `DEL` of a key batch (a script with exact watch values); prefixes found by `SCAN` |
//! | `list_keys`, `list_values` | `SCAN MATCH <prefix>* COUNT 1000` page by page, values by `MGET` |
//! | `txn` | `MULTI` / the same commands or scripts / `EXEC` |
//! | `watch` | `PSUBSCRIBE` to keyspace notifications (and announcements); `GET` per notification |
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
//! # Watch values and previous values: a trade-off
//! A keyspace notification says only "`set` on key k", never the value. Two modes:
//!
//! - **Default (as upstream): plain writes.** Puts are `SET`, deletes `DEL`, so writes
//!   run at the raw client's speed. On each notification the watch reads the key with
//!   `GET` and reports what it finds (see [`RedisConfig::exact_watch_values`]). So an
//!   event may carry a **newer value** than the write that caused it, back-to-back changes
//!   of a key may **merge** into one event (or a repeat of the current value), and events
//!   carry **no previous value**
//!   ([`Capabilities::prev_values`](cninfra_kv::Capabilities::prev_values) is false). The
//!   events of a key never go back to an older state, and the last one matches the key's
//!   last change: a consumer that applies them converges on the stored state.
//! - **`exact-watch-values: true`: every change, exactly.** Every write runs as a Lua
//!   script that publishes the new and the old value on `cninfra-kv@<db>:<key>` right
//!   before writing; a watch subscribed to both gets the announcement, then the
//!   notification, with nothing between (scripts are atomic). Each write through this
//!   connector then arrives as its own event with its value and true previous value
//!   (`prev_values` is true). The price is write throughput: Lua per write halves what
//!   Redis can take (about 0.53x the raw client's puts in
//!   `docs/benchmarks/cninfra-kv-redis.md`).
//!
//! In both modes, changes that come without announcement (Redis's own expiries and
//! evictions, other clients' writes) are read with `GET` as in the default mode.
//! Upstream re-read every value and reported the last value its watcher had seen of any
//! key.
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
//! `endpoint` is set, else a cluster.
//!
//! - **Single node**, with password, database, timeouts and TLS.
//! - **Sentinel**: the sentinels in `endpoints` (plain TCP, no password) are asked for the
//!   master `master-name`, which gets the password, database and TLS settings. Commands
//!   follow a failover: when one fails for lack of a connection or with `READONLY`, or a
//!   watch loses its master, the store refuses commands (retryable
//!   [`KvError::Unavailable`](cninfra_kv::KvError::Unavailable)) until the sentinels name
//!   a master that answers as one, and moves there (so a restarted old master that comes
//!   back empty before its demotion is never read or written). Watches also listen to a
//!   sentinel's `+switch-master`
//!   and move to the new master with a resync; a watch that loses its master's
//!   connection subscribes on the master the sentinels name next, with a resync.
//! - **Cluster**: the cluster client (`cluster-async`) seeded with `endpoints`, with
//!   `password` and `max-rediects` (its retries). Lists `SCAN` every master; watches
//!   subscribe to the keyspace notifications of every master (the notification setting
//!   is checked on each); `MGET` and prefix deletes are split by slot. Not offered, and
//!   refused or reported: transactions ([`Capabilities::txn`](cninfra_kv::Capabilities::txn)
//!   is false, `txn` returns `Unsupported`: `MULTI` needs one slot), TLS, databases other
//!   than 0, and `exact-watch-values` (announcements are broadcast to every node). A watch
//!   follows the cluster's topology: when one of its connections drops, when a notified
//!   key cannot be read, or when the masters differ from those it subscribed on (checked
//!   every second: a replica promoted by a failover, a master added or removed), it
//!   subscribes on the current masters and sends a resync.
//!
//! # Failovers and acknowledged writes
//! Redis replicates asynchronously: a master acknowledges a write before its replicas
//! have it, so a failover (sentinel or cluster) may lose writes that were acknowledged.
//! `wait-for-replicas: N` (our extension, [`RedisConfig::wait_for_replicas`]) makes every
//! write wait with `WAIT N <read-timeout>` until N replicas hold it, and fail (retryably)
//! when they do not in time; the fault tests run with it and lose no acknowledged put
//! (figures in `docs/reliability.md`). `WAIT` does not make Redis strongly consistent:
//! when N is below the number of replicas, one that lacks a write may be promoted; with
//! N equal to it (one replica per master in the tests) the promoted replica holds every
//! acknowledged write. While a master has fewer than N replicas, every write to it fails.
//!
//! # Timeouts and errors
//! Connecting (TCP, TLS, `AUTH`, `SELECT`) has `dial-timeout`; each command has
//! `write-timeout + read-timeout`. Lost connections give
//! [`KvError::Unavailable`](cninfra_kv::KvError::Unavailable) and time-outs
//! [`KvError::Timeout`](cninfra_kv::KvError::Timeout) (both
//! [retryable](cninfra_kv::KvError::is_retryable)); the command connection reconnects by
//! itself. [`RedisStore::connection_state`] publishes lost/back flips.

mod atomic;
mod cluster;
mod config;
mod connect;
mod error;
mod failover;
mod list;
mod plugin;
mod scripts;
mod state;
mod store;
mod watch;

/// The connection state the store publishes, shared by every connector.
pub use cninfra_health::ConnectionState;
pub use config::{
    DEFAULT_DIAL_TIMEOUT, DEFAULT_READ_TIMEOUT, DEFAULT_WRITE_TIMEOUT, PoolConfig, RedisConfig,
    Topology,
};
pub use error::RedisError;
pub use plugin::{RedisPlugin, RedisPluginBuilder};
pub use store::RedisStore;

/// Log target of the connector: the plugin's name.
const LOG: &str = RedisPlugin::NAME;
