//! The etcd connector of cninfra: the KV broker API ([`KvStore`](cninfra_kv::KvStore)) on
//! an etcd v3 server through `etcd-client`, with watches that survive etcd restarts, and
//! the `etcd` plugin ([`EtcdPlugin`]) that reads `etcd.conf`, connects (or waits for etcd
//! with `allow-delayed-start`), and reports the connection to the status check.
//!
//! # Quick start
//! ```no_run
//! use futures::StreamExt;
//! use cninfra_kv::{KvStore, PutOptions, Txn, WatchEvent};
//! use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = EtcdStore::connect(&EtcdConfig::with_endpoints(["127.0.0.1:2379"])).await?;
//!
//! // Initial sync without a gap: note the revision, list, watch from the next one.
//! let revision = store.revision().await?;
//! let _snapshot: Vec<_> = store.list_values("/vnf-agent/vpp1/config/").collect().await;
//! let mut watch = store.watch(&["/vnf-agent/vpp1/config/"], Some(revision + 1)).await?;
//!
//! Txn::new()
//!     .put("/vnf-agent/vpp1/config/a", "1")
//!     .delete("/vnf-agent/vpp1/config/old")
//!     .commit(&store)
//!     .await?;
//! while let Some(event) = watch.next().await {
//!     match event? {
//!         WatchEvent::Change(change) => println!("{:?} {}", change.kind, change.key),
//!         WatchEvent::Resync(reason) => println!("re-read everything: {reason}"),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Reconnect and resync
//! etcd may stop and come back at any time. Requests meanwhile fail with retryable errors
//! ([`KvError::Unavailable`](cninfra_kv::KvError::Unavailable) or
//! [`Timeout`](cninfra_kv::KvError::Timeout)). Each watch keeps the revision after the
//! last change it delivered and, once etcd answers again, resumes from it: no change is
//! lost or repeated. If that history was compacted meanwhile, the watch sends
//! [`ResyncReason::Compacted`](cninfra_kv::ResyncReason::Compacted); if etcd came back
//! without its data (a new data dir), it sends
//! [`ResyncReason::Reconnected`](cninfra_kv::ResyncReason::Reconnected). Either way the
//! stream goes on with later changes. See `docs/etcd.md` in the repository for the whole
//! story and the config keys.
//!
//! # Building
//! `etcd-client` compiles etcd's protobuf files when it builds and needs `protoc`: the
//! `PROTOC` variable or `protoc` on the `PATH`. This crate depends on
//! `protoc-bin-vendored`, which ships a `protoc` inside the crate package, so a workspace
//! can point `PROTOC` at it from `.cargo/config.toml` (see `docs/etcd.md`).

mod config;
mod connect;
mod error;
mod plugin;
mod store;

/// The connection state the plugin publishes, shared by every connector.
pub use cninfra_health::ConnectionState;
pub use config::{DEFAULT_ENDPOINT, ENDPOINT_VARIABLES, EtcdConfig};
pub use error::{ClientError, EtcdError};
pub use plugin::{EtcdPlugin, EtcdPluginBuilder};
pub use store::EtcdStore;

/// Log target of the connector: the plugin's name.
const LOG: &str = EtcdPlugin::NAME;

/// The `etcd-client` crate, for the raw access of [`EtcdStore::client`].
pub use etcd_client;
