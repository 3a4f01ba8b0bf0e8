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
//! use cninfra_kvscheduler::example::{self, Dataplane};
//! use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value, ValueState};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scheduler = Scheduler::new(SchedulerConfig::default())?;
//! let dataplane = Dataplane::new();
//! example::register_all(&scheduler, &dataplane)?;
//!
//! // A FIB entry before its bridge domain and interface: it waits.
//! let fib = example::fib_key("bd1", "aa:bb:cc:dd:ee:ff");
//! scheduler.txn().put(fib.clone(), Value::from_json(json!({
//!     "phys_address": "aa:bb:cc:dd:ee:ff", "bridge_domain": "bd1",
//!     "outgoing_interface": "if1", "action": "forward"}))).commit().await?;
//! assert_eq!(scheduler.status(&fib).value.state, ValueState::Pending);
//!
//! // Its dependencies appear: it is created.
//! scheduler.txn()
//!     .put(example::interface_key("if1"), Value::from_json(json!(
//!         {"name": "if1", "type": "ethernet", "enabled": true})))
//!     .put(example::bridge_domain_key("bd1"), Value::from_json(json!(
//!         {"name": "bd1", "interfaces": [{"name": "if1"}]})))
//!     .commit().await?;
//! assert_eq!(scheduler.status(&fib).value.state, ValueState::Configured);
//! # Ok(()) }
//! ```
//!
//! # Parts
//! - [`TypedDescriptor`]: how a part of the key space reaches the southbound (create,
//!   update, delete, retrieve, validate, dependencies, derived values, metadata).
//! - [`Scheduler`]: registration, [`Txn`] (NB transactions with resync, retry, revert,
//!   simulation), SB notifications, statuses and their watch, dumps, history.
//! - [`KvSchedulerPlugin`]: the scheduler as an agent plugin (`kvscheduler.conf`), with
//!   the REST debug API under `/scheduler/` and Prometheus metrics.
//! - [`orchestrator`]: merges labelled NB sources (the KV store through data sync, a
//!   local client, gRPC) into the scheduler's desired state;
//!   [`OrchestratorPlugin`](orchestrator::OrchestratorPlugin) watches the scheduler's NB
//!   key prefixes in the KV store and acknowledges each event with the outcome.
//! - `grpc` (feature `grpc`): the source `grpc` as the gRPC service
//!   `cninfra.kvscheduler.v1.Configurator` (update, delete, get, dump, list models) on
//!   `cninfra-grpc`, registered by `GrpcSourcePlugin`.
//! - [`models`]: model specs and a registry that finds the model of a key by prefix.
//! - [`example`]: a small descriptor set (interfaces, bridge domains, FIB) over an
//!   in-memory dataplane, and [`ExampleDescriptorsPlugin`](example::ExampleDescriptorsPlugin)
//!   registering it in an agent.
//!
//! # Features
//! | name | what | default |
//! |---|---|---|
//! | `testkit` | a generic recording descriptor over an in-memory southbound (tests, benches) | no |
//! | `test-util` | test hooks: `Scheduler::hold_paused_clock` for tests on tokio's paused clock | no |
//! | `grpc` | the `grpc` source as a gRPC `Configurator` service on `cninfra-grpc` (pulls tonic, prost) | no |
//!
//! The user guide is `docs/kvscheduler.md`.

mod config;
mod descriptor;
mod engine;
mod error;
pub mod example;
mod graph;
#[cfg(feature = "grpc")]
#[cfg_attr(docsrs, doc(cfg(feature = "grpc")))]
pub mod grpc;
mod hash;
mod history;
mod metrics;
pub mod models;
pub mod orchestrator;
mod plugin;
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

pub use config::SchedulerConfig;
pub use descriptor::{
    Correlated, Dependency, DerivedValue, DescriptorError, InvalidValueError, KeySelector,
    RetrieveResult, Retrieved, TypedDescriptor,
};
pub use error::KvSchedulerError;
pub use history::{FlagStats, RecordedFlag, RecordedNode, RecordedTarget};
pub use plugin::KvSchedulerPlugin;
pub use scheduler::{DumpView, DumpedKv, Scheduler, StatusSelector};
pub use state::{BaseValueStatus, Origin, TxnOperation, ValueState, ValueStatus};
pub use stats::{MethodStats, SchedulerStats};
pub use txn::{
    KeyError, RecordedKv, RecordedTxn, RecordedTxnOp, ResyncKind, RetryOptions, Txn, TxnError,
    TxnOptions, TxnType,
};
pub use value::{Metadata, Value};
pub use watch::{StatusUpdate, StatusWatch};
