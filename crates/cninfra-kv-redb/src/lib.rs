//! The embedded persistent key-value store of cninfra: a [`KvStore`](cninfra_kv::KvStore)
//! in one [redb](https://docs.rs/redb) file, playing the role of upstream's Bolt plugin.
//!
//! # Quick start
//! ```
//! use futures::StreamExt;
//! use cninfra_kv::{KvStore, PutOptions, Txn, WatchEvent};
//! use cninfra_kv_redb::{RedbConfig, RedbStore};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! let store = RedbStore::open(RedbConfig::at(dir.path().join("kv.redb"))).await?;
//! let mut watch = store.watch(&["cfg/"], None).await?;
//!
//! store.put("cfg/a", "1".into(), PutOptions::default()).await?;   // on disk when it returns
//! Txn::new().put("cfg/b", "2").delete("cfg/a").commit(&store).await?;
//!
//! let Some(Ok(WatchEvent::Change(first))) = watch.next().await else { panic!() };
//! assert_eq!(first.key, "cfg/a");
//! # Ok(()) }
//! ```
//! As an agent plugin: [`RedbPlugin`] (name `redb`, config `redb.conf`, see [`RedbConfig`]).
//!
//! # What it supports
//! | capability | redb store | upstream Bolt |
//! |---|---|---|
//! | revisions | store-wide, kept in the file across restarts | always 0 |
//! | TTL | refused with `Unsupported` | silently ignored |
//! | delete by prefix | yes | ignored |
//! | delete result | whether the key existed | missing key was an error |
//! | get of a missing key | `Ok(None)` | an error |
//! | transactions | all or nothing, one revision, **watchers are told** | watchers were not told |
//! | watch | changes made through this process, with previous values; replay from a past revision (bounded change log, also after a restart) | in-process, no replay |
//! | second process on the file | clear error naming the file ([`RedbError::Locked`]), after `lock-timeout` | waited (`lock-timeout: 0` = forever) |
//!
//! # Durability
//! redb commits with an fsync. A write returns only after the commit that holds it, so a
//! process killed at any point keeps every write that had returned (a test kills a child
//! process with SIGKILL to check it). Writes queued together share one commit.
//!
//! # Watch history
//! The file holds a change log of the last `history-limit` changes (default 10000), with
//! previous values. `watch(prefixes, Some(rev))` replays it from `rev`; when `rev` is older
//! than the log, the stream starts with
//! [`Resync(Compacted)`](cninfra_kv::ResyncReason::Compacted). Changes made by another
//! process that opened the file earlier are in the log, but live events come only from this
//! process (only one process can have the file open).

mod atomic;
mod config;
mod error;
mod open;
mod plugin;
mod schema;
mod store;
mod watch;
mod writer;

pub use config::RedbConfig;
pub use error::RedbError;
pub use plugin::{RedbPlugin, RedbPluginBuilder};
pub use store::RedbStore;

/// The tracing target of this crate: the plugin's name.
const LOG: &str = <RedbStore as cninfra_kv::Connect>::PLUGIN;
