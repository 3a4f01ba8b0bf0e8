//! The Consul connector of cninfra: the [`KvStore`](cninfra_kv::KvStore) broker API on
//! Consul's HTTP KV API ([`ConsulStore`]) and the `consul` plugin ([`ConsulPlugin`]).
//!
//! **Tested against an in-test server, not a real Consul.** No Consul server can be
//! installed on the machines this project is built and tested on (no distribution package,
//! no way to download a binary or build one). The tests therefore run against
//! `testserver::ConsulTestServer` (feature `testserver`), an in-process HTTP server that
//! follows Consul's documented KV API semantics: entries, `404`s, `X-Consul-Index` as
//! Consul computes it, blocking queries, check-and-set, transactions with Consul's verbs
//! and limits. Behaviour that differs between it and a real agent is a bug of the test
//! server; please report it.
//!
//! # Quick start
//! ```no_run
//! use futures::StreamExt;
//! use cninfra_kv::{KvStore, KvStoreExt, PutOptions, WatchEvent};
//! use cninfra_kv_consul::{ConsulConfig, ConsulStore};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = ConsulConfig::new("127.0.0.1:8500");
//! let store = ConsulStore::connect(&config, |name| std::env::var(name).ok()).await?;
//! let agent = store.with_prefix("/vnf-agent/vpp1/");
//! let mut watch = agent.watch(&["config/"], None).await?;
//! let revision = agent.put("config/a", "1".into(), PutOptions::default()).await?;
//! if let Some(Ok(WatchEvent::Change(change))) = watch.next().await {
//!     assert_eq!((change.key.as_str(), change.revision), ("config/a", revision));
//! }
//! # Ok(()) }
//! ```
//!
//! # How the broker API maps to Consul
//! | API | Consul HTTP API |
//! |---|---|
//! | `get` | `GET /v1/kv/<key>` (revision = `ModifyIndex`) |
//! | `list_values`, `list_keys` | `GET /v1/kv/<prefix>?recurse`, `?keys` (sorted, one request) |
//! | `put` | `PUT /v1/txn` with one `set` (so the exact revision comes back) |
//! | `delete` | `PUT /v1/txn` with `get` + `delete` (exact "existed" answer) |
//! | `delete` by prefix | `GET ?keys&separator=/`, then `DELETE ?recurse` |
//! | `txn` | `PUT /v1/txn` with `set`, `delete`, `delete-tree` (prefixes honoured) |
//! | `revision` | `X-Consul-Index` of a read of the whole tree |
//! | `watch` | blocking queries `?recurse&index=N&wait=60s` per prefix, answers compared |
//! | [`ConsulStore::put_cas`], [`delete_cas`](ConsulStore::delete_cas) | `?cas=<index>` |
//! | [`ConsulStore::txn_if`] | `PUT /v1/txn` with `check-index` / `check-not-exists` first |
//!
//! Keys: a leading `/` is dropped before a key goes to Consul and put back on keys that
//! come back for a key or prefix that had it, as upstream does (so `/vnf-agent/a` is
//! stored as `vnf-agent/a`). Unlike upstream, transactions honour the prefix of a
//! [`Prefixed`](cninfra_kv::Prefixed) view.
//!
//! Limits are Consul's: values up to `kv_max_value_size` (512 KiB by default; a put sends
//! its value base64-encoded in a transaction, so with the default `txn_max_req_len` of
//! 512 KiB a value can have about 384 KiB), at most 128 operations per transaction. Consul
//! has no TTL on keys: a put with TTL fails with
//! [`KvError::Unsupported`](cninfra_kv::KvError::Unsupported) (upstream ignored it).
//!
//! # Watches
//! A blocking query answers with the current state once something changed; see
//! [`watch`](crate#watch-semantics) below. Consul keeps no history, so watching from a
//! revision is refused; start the watch, then list.
//!
//! ## Watch semantics
//! - Each answer is compared with the one before: new or modified keys are puts (with
//!   the previous value), vanished keys deletes (with their last value). Two writes of a
//!   key between two answers arrive as one put of the latest value: a watch sees every
//!   state it is shown, not every write.
//! - Failed requests are retried with back-off; the answer after the failure is compared
//!   with the last one, so nothing is lost. `resync-after-reconnect: true` makes data sync
//!   resync its watchers when the plugin's connection comes back (decided in data sync, as
//!   for every connector; the watch stream itself sends no extra signal).
//! - An index that goes backwards (a server that lost or restored its data) always sends
//!   [`ResyncReason::Reconnected`](cninfra_kv::ResyncReason::Reconnected).
//!
//! # Configuration
//! [`ConsulConfig`]: `address` (else `CONSUL_HTTP_ADDR`, else `127.0.0.1:8500`), `token`
//! (else `CONSUL_HTTP_TOKEN`), `datacenter`, `tls`, `dial-timeout`, `request-timeout`,
//! `resync-after-reconnect`. The plugin's file is chosen as upstream: `--consul-config`,
//! `CONSUL_CONFIG`, or `consul.conf` in the config dir.
//!
//! # Features
//! | name | what | default |
//! |---|---|---|
//! | `testserver` | `testserver`: the in-process Consul KV API server the tests use | no |

mod api;
mod atomic;
mod config;
mod error;
mod keys;
mod plugin;
mod store;
#[cfg(feature = "testserver")]
pub mod testserver;
mod tls;
mod watch;

/// The connection state the plugin publishes, shared by every connector.
pub use cninfra_health::ConnectionState;
pub use config::{ConsulConfig, DEFAULT_ADDRESS, DEFAULT_DIAL_TIMEOUT, DEFAULT_REQUEST_TIMEOUT};
pub use error::ConsulError;
pub use plugin::{ConsulPlugin, ConsulPluginBuilder};
pub use store::{Check, ConsulStore};

/// Log target of the connector: the plugin's name.
const LOG: &str = ConsulPlugin::NAME;
