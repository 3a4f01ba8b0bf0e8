//! The KVScheduler of cninfra: dependency-aware reconciliation of a desired state (key →
//! value, asked by the northbound) with the southbound, through descriptors.
//!
//! Values depend on other values and derive further values; the scheduler creates a value
//! only once its dependencies exist, keeps it PENDING until then, deletes it (and keeps it
//! pending) before a dependency goes away, and re-creates it when the dependency returns.
//! It is a Rust take on Ligato vpp-agent's KVScheduler, with the same states, transaction
//! kinds, log format and REST debug API, and with work proportional to the values a
//! transaction touches rather than to the size of the graph.
//!
//! # Quick start
//! ```
//! use std::sync::{Arc, Mutex};
//! use cninfra_kvscheduler::{Dependency, DescriptorError, Scheduler, SchedulerConfig};
//! use cninfra_kvscheduler::{TypedDescriptor, Value, ValueState};
//! use serde_json::json;
//!
//! #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
//! struct Link { name: String, over: Option<String> }
//!
//! /// Links under `config/demo/v1/links/`; a link over another one waits for it.
//! struct Links { created: Arc<Mutex<Vec<String>>> }
//!
//! impl TypedDescriptor for Links {
//!     type Value = Link;
//!     type Metadata = ();
//!     fn name(&self) -> &str { "links" }
//!     fn key_prefix(&self) -> &str { "config/demo/v1/links/" }
//!     fn dependencies(&self, _key: &str, link: &Link) -> Vec<Dependency> {
//!         let lower = link.over.iter().map(|over| format!("config/demo/v1/links/{over}"));
//!         lower.map(|key| Dependency::on_key("lower link", key)).collect()
//!     }
//!     fn create(&self, _key: &str, link: &Link) -> Result<(), DescriptorError> {
//!         self.created.lock().unwrap().push(link.name.clone());
//!         Ok(())
//!     }
//!     fn delete(&self, _key: &str, link: &Link, _: Option<&()>) -> Result<(), DescriptorError> {
//!         self.created.lock().unwrap().retain(|name| name != &link.name);
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scheduler = Scheduler::new(SchedulerConfig::default())?;
//! let created = Arc::new(Mutex::new(Vec::new()));
//! scheduler.register(Links { created: created.clone() })?;
//!
//! // A VLAN over a link that does not exist yet: it waits.
//! let vlan = "config/demo/v1/links/vlan10";
//! scheduler.txn()
//!     .put(vlan, Value::from_json(json!({"name": "vlan10", "over": "eth0"})))
//!     .commit().await?;
//! assert_eq!(scheduler.status(vlan).value.state, ValueState::Pending);
//!
//! // Its dependency appears: both are created, in order.
//! scheduler.txn()
//!     .put("config/demo/v1/links/eth0", Value::from_json(json!({"name": "eth0", "over": null})))
//!     .commit().await?;
//! assert_eq!(scheduler.status(vlan).value.state, ValueState::Configured);
//! assert_eq!(*created.lock().unwrap(), ["eth0", "vlan10"]);
//! # Ok(()) }
//! ```
//!
//! The example agent's descriptor set (vpp-agent's VPP interfaces, bridge domains and FIB
//! entries, as protobuf messages at upstream's keys, over a simulated in-memory VPP; crate
//! `cninfra-kvscheduler-example` in the repository) is a larger worked example.
//!
//! # Parts
//! - [`TypedDescriptor`]: how a part of the key space reaches the southbound (create,
//!   update, delete, retrieve, validate, dependencies, derived values, metadata).
//! - [`Scheduler`]: registration, [`Txn`] (NB transactions with resync, retry, revert,
//!   simulation), SB notifications, statuses and their watch, dumps, history.
//! - [`KvSchedulerPlugin`]: the scheduler as an agent plugin (`kvscheduler.conf`), with
//!   (feature `rest`) the REST debug API under `/scheduler/` and Prometheus metrics.
//! - [`orchestrator`]: merges labelled NB sources (the KV store through data sync, a
//!   local client, gRPC) into the scheduler's desired state;
//!   [`OrchestratorPlugin`](orchestrator::OrchestratorPlugin) runs it in an agent and
//!   (feature `datasync`) watches the scheduler's NB key prefixes in the KV store,
//!   acknowledging each event with the outcome.
//! - `grpc` (feature `grpc`): the source `grpc` as the gRPC service
//!   `cninfra.kvscheduler.v1.Configurator` (update, delete, get, dump, list models) on
//!   `cninfra-grpc`, registered by `GrpcSourcePlugin`.
//! - [`models`]: the platform's models (`cninfra-models`, re-exported): a spec, a protobuf
//!   message (or a serde type) and a name template, in one registry by proto name and by
//!   key; a descriptor names its model with [`TypedDescriptor::model`].
//!
//! # Features
//! | name | what | default |
//! |---|---|---|
//! | `rest` | the REST debug API under `/scheduler/` and the Prometheus metrics, used when the agent has `cninfra-rpc`'s HTTP and Prometheus plugins (pulls axum) | no |
//! | `datasync` | the orchestrator's KV-store source through `cninfra-datasync`'s `KvdbSyncPlugin`, used when the agent has one | no |
//! | `testkit` | a generic recording descriptor over an in-memory southbound (tests, benches) | no |
//! | `test-util` | test hooks: `Scheduler::hold_paused_clock` for tests on tokio's paused clock | no |
//! | `grpc` | the `grpc` source as a gRPC `Configurator` service on `cninfra-grpc` (pulls tonic, prost) | no |
//!
//! Without features the crate is the scheduler, the orchestrator and their plugins, with
//! no HTTP server, no KV store client and no gRPC; the `cninfra` facade's `kvscheduler`
//! feature turns on `rest` and `datasync`.
//!
//! The user guide is `docs/kvscheduler.md`.

mod config;
mod descriptor;
mod engine;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod graph;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub mod grpc;
mod hash;
mod history;
mod metrics;
pub mod orchestrator;
mod plugin;
#[cfg(feature = "rest")]
mod rest;
mod scheduler;
mod state;
mod stats;
#[cfg(feature = "testkit")]
#[cfg_attr(docsrs, doc(cfg(feature = "testkit")))]
pub mod testkit;
mod txn;
mod value;
mod watch;

/// The platform's models: `cninfra-models`, re-exported (one registry for every crate).
pub use cninfra_models as models;

pub use config::SchedulerConfig;
pub use descriptor::{
    Correlated, Dependency, DerivedValue, DescriptorError, InvalidValueError, KeySelector,
    RetrieveResult, Retrieved, TypedDescriptor,
};
pub use error::KvSchedulerError;
pub use history::{FlagStats, RecordedFlag, RecordedNode, RecordedTarget};
pub use plugin::{KvSchedulerPlugin, KvSchedulerPluginBuilder};
pub use scheduler::{DumpView, DumpedKv, Scheduler, StatusSelector};
pub use state::{BaseValueStatus, Origin, TxnOperation, ValueState, ValueStatus};
pub use stats::{MethodStats, SchedulerStats};
pub use txn::{
    KeyError, RecordedKv, RecordedTxn, RecordedTxnOp, ResyncKind, RetryOptions, Txn, TxnError,
    TxnOptions, TxnType,
};
pub use value::{Metadata, Value};
pub use watch::{StatusUpdate, StatusWatch};
