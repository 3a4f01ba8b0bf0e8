//! cninfra: build cloud-native control-plane agents out of plugins.
//!
//! This facade re-exports the parts of cninfra behind cargo features, so an application
//! depends on one crate and links only what it uses. The agent core is always there.
//!
//! # Quick start
//! ```no_run
//! use cninfra::prelude::*;
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     cninfra::logging::init();
//!     // http, logs, prometheus, status-check, probe
//!     cninfra::run_main(Agent::builder().group(cninfra::Defaults)).await
//! }
//! ```
//! See `examples/hello.rs` for a plugin with a config file and a REST route.
//!
//! # Features
//! | feature | what | default |
//! |---|---|---|
//! | `logging` | [`logging`]: logger registry, log manager plugin, tracer | yes |
//! | `rpc` | [`rpc`]: REST server plugin, Prometheus plugin, liveness/readiness probes | yes |
//! | `health` | [`health`]: status check (no HTTP server) | yes |
//! | `kv` | [`kv`]: KV broker API, in-memory store, typed brokers | no |
//! | `idxmap` | [`idxmap`]: indexed map with secondary indexes and watch | no |
//! | `exec` | [`exec`]: process manager and supervisor | no |
//! | `kv-redb` | [`redb`]: embedded persistent store | no |
//! | `kv-filedb` | [`filedb`]: key/value data in watched JSON/YAML files | no |
//! | `kv-etcd` | [`etcd`]: etcd connector | no |
//! | `kv-redis` | [`redis`]: Redis connector | no |
//! | `kv-consul` | [`consul`]: Consul connector | no |
//! | `datasync` | [`datasync`]: watch with resync, publishers, statuses in the store | no |
//! | `kafka` | [`kafka`]: Kafka multiplexer | no |
//! | `models` | [`models`]: models (spec, protobuf message or serde type, name template), their registry and encodings (proto3 JSON) | no |
//! | `ligato` | `ligato` (re-exports `cninfra-ligato`): upstream's (vpp-agent) protobuf messages and models | no |
//! | `kvscheduler` | [`kvscheduler`]: desired-state reconciliation (with `models`) | no |
//! | `grpc` | [`grpc`]: gRPC server plugin | no |
//! | `full` | everything above | no |
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(all(feature = "logging", feature = "rpc", feature = "health"))]
mod defaults;

pub use cninfra_core::*;

#[cfg(all(feature = "logging", feature = "rpc", feature = "health"))]
#[cfg_attr(
    docsrs,
    doc(cfg(all(feature = "logging", feature = "rpc", feature = "health")))
)]
pub use defaults::Defaults;

#[cfg(feature = "datasync")]
#[cfg_attr(docsrs, doc(cfg(feature = "datasync")))]
pub use cninfra_datasync as datasync;
#[cfg(feature = "exec")]
#[cfg_attr(docsrs, doc(cfg(feature = "exec")))]
pub use cninfra_exec as exec;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub use cninfra_grpc as grpc;
#[cfg(feature = "health")]
#[cfg_attr(docsrs, doc(cfg(feature = "health")))]
pub use cninfra_health as health;
#[cfg(feature = "idxmap")]
#[cfg_attr(docsrs, doc(cfg(feature = "idxmap")))]
pub use cninfra_idxmap as idxmap;
#[cfg(feature = "kafka")]
#[cfg_attr(docsrs, doc(cfg(feature = "kafka")))]
pub use cninfra_kafka as kafka;
#[cfg(feature = "kv")]
#[cfg_attr(docsrs, doc(cfg(feature = "kv")))]
pub use cninfra_kv as kv;
#[cfg(feature = "kv-consul")]
#[cfg_attr(docsrs, doc(cfg(feature = "kv-consul")))]
pub use cninfra_kv_consul as consul;
#[cfg(feature = "kv-etcd")]
#[cfg_attr(docsrs, doc(cfg(feature = "kv-etcd")))]
pub use cninfra_kv_etcd as etcd;
#[cfg(feature = "kv-filedb")]
#[cfg_attr(docsrs, doc(cfg(feature = "kv-filedb")))]
pub use cninfra_kv_filedb as filedb;
#[cfg(feature = "kv-redb")]
#[cfg_attr(docsrs, doc(cfg(feature = "kv-redb")))]
pub use cninfra_kv_redb as redb;
#[cfg(feature = "kv-redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "kv-redis")))]
pub use cninfra_kv_redis as redis;
#[cfg(feature = "kvscheduler")]
#[cfg_attr(docsrs, doc(cfg(feature = "kvscheduler")))]
pub use cninfra_kvscheduler as kvscheduler;
#[cfg(feature = "ligato")]
#[cfg_attr(docsrs, doc(cfg(feature = "ligato")))]
pub use cninfra_ligato as ligato;
#[cfg(feature = "logging")]
#[cfg_attr(docsrs, doc(cfg(feature = "logging")))]
pub use cninfra_logging as logging;
#[cfg(feature = "models")]
#[cfg_attr(docsrs, doc(cfg(feature = "models")))]
pub use cninfra_models as models;
#[cfg(feature = "rpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "rpc")))]
pub use cninfra_rpc as rpc;

/// What most plugins need: the plugin trait and its context, the agent, errors.
pub mod prelude {
    pub use cninfra_core::{
        Agent, AgentError, BoxError, Flag, InitContext, Plugin, PluginGroup, Ready, Requirement,
        ServiceLabel, async_trait, plugin_fn,
    };
    #[cfg(feature = "rpc")]
    pub use cninfra_rpc::axum::routing::{delete, get, post, put};
}
