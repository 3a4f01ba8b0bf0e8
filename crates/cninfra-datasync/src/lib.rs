//! Data sync of cninfra: plugins watch key prefixes of the agent's KV store and receive the
//! full state first, then every change, each event acknowledged; a resync orchestrator; a
//! local (in-process) transport; and the status check's statuses written to the store.
//!
//! - [`KvdbSyncPlugin`] (`kvdbsync`): the transport over any [`KvStore`](cninfra_kv::KvStore)
//!   (etcd, Redis, Consul, redb, files, memory), scoped to `/vnf-agent/<label>/`;
//!   [`watch`](KvdbSyncPlugin::watch), [`publisher`](KvdbSyncPlugin::publisher),
//!   [`local`](KvdbSyncPlugin::local). Its store comes from a [`StoreSource`].
//! - [`ResyncPlugin`] (`resync`): starts the first resync round by itself once every plugin
//!   finished `init`, and one more on [`ResyncHandle::request_resync`].
//! - [`Watcher`] / [`TypedWatcher`]: the events, bytes or decoded: [`ProtoWatcher`] (prost
//!   messages as proto3 JSON, the default), [`JsonWatcher`] (serde), [`ProtoBinaryWatcher`]
//!   (binary protobuf, chosen explicitly).
//! - [`LocalTransport`]: in-process transactions to the same watches.
//! - [`StatusKvPublisher`]: statuses under `check/status/v1/`.
//!
//! # Quick start
//! ```
//! use std::sync::Arc;
//! use cninfra_core::{async_trait, Agent, BoxError, InitContext, Plugin, Requirement};
//! use cninfra_datasync::{Event, KvdbSyncPlugin, ResyncPlugin, StoreSource};
//! use cninfra_health::StatusCheckPlugin;
//! use cninfra_kv::{KvStore, MemoryStore, PutOptions};
//!
//! struct Example;
//!
//! #[async_trait]
//! impl Plugin for Example {
//!     fn name(&self) -> &str { "example" }
//!     fn requires(&self) -> Vec<Requirement> { vec![Requirement::of::<KvdbSyncPlugin>()] }
//!     fn has_config(&self) -> bool { false }
//!     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
//!         // Register in `init`; keys are relative to /vnf-agent/<label>/.
//!         let mut watcher = ctx.dep::<KvdbSyncPlugin>()?.watch(ctx, &["config/example/v1/"])?;
//!         let stop = ctx.shutdown_token();
//!         ctx.spawn(async move {
//!             // Ends when the plugin closes (its token) or data sync closes (`None`).
//!             while let Some(Some(event)) = stop.run_until_cancelled(watcher.recv()).await {
//!                 match event {
//!                     Event::Resync(resync) => {
//!                         tracing::info!(keys = resync.values.len(), "replace the state");
//!                         resync.done.ok();
//!                     }
//!                     Event::Change(change) => {
//!                         tracing::info!(key = %change.key, deleted = change.value.is_none(), "apply");
//!                         change.done.ok();
//!                     }
//!                 }
//!             }
//!         });
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = Arc::new(MemoryStore::new());
//! store.put("/vnf-agent/vpp1/config/example/v1/a", "{}".into(), PutOptions::default()).await?;
//! let agent = Agent::builder()
//!     .plugin(StatusCheckPlugin::new())
//!     .plugin(ResyncPlugin::new())
//!     .plugin(KvdbSyncPlugin::new(StoreSource::fixed(store)))
//!     .plugin(Example)
//!     .with_args(["demo"])
//!     .with_env(Vec::<(String, String)>::new())
//!     .build()?
//!     .start()
//!     .await?;
//! agent.stop().await?;
//! # Ok(()) }
//! ```
//!
//! # The contract
//! - **Register in `init`.** [`KvdbSyncPlugin::watch`] takes the watching plugin's context
//!   (the watch is named after the plugin) and key prefixes relative to the agent prefix. All `init`s finish before any
//!   `after_init`, so the orchestrator's `after_init` knows every watch and starts the
//!   first round (in the background). A watch registered later gets a resync of its own.
//! - **Resync first.** The first event is [`Event::Resync`]: every key under the prefixes,
//!   sorted, each once. Replace the plugin's view with it. Another resync comes whenever
//!   the state must be re-read: a round requested by the application, the store's
//!   connector reconnecting with `resync-after-reconnect` (etcd: on by default; Consul:
//!   off; Redis has no such key, its watches ask by themselves), or
//!   the store's watch signalling [`Compacted`](cninfra_kv::ResyncReason::Compacted),
//!   [`Lagged`](cninfra_kv::ResyncReason::Lagged) or
//!   [`Reconnected`](cninfra_kv::ResyncReason::Reconnected).
//! - **Then changes, in order.** [`Event::Change`]: key, new value (`None` = deleted),
//!   previous value, revision. The store watch starts before the listing, so a change made
//!   during a resync may come again after it: apply changes idempotently (a put overwrites,
//!   a delete of a missing key does nothing).
//! - **Acknowledge every event** with its [`Done`] (`done.ok()`, `done.fail(err)`). The
//!   sender waits for the acknowledgements in the background (up to `max-unacked` per
//!   watch), each within its time limit. A failure, a timeout or a dropped `Done` is
//!   logged (target `kvdbsync`, with `plugin` and `key`) and sets the plugin's status to
//!   ERROR with the error text, e.g. ``plugin `example` failed to apply the change of
//!   `config/example/v1/a`: bad port``; the next acknowledged success sets it back to OK.
//! - **Stop on shutdown.** Select on the plugin's shutdown token in the event loop: the
//!   watcher ends only when the data sync plugin closes, which is after its dependents.
//!
//! # Values
//! Prost messages travel as **proto3 JSON**: [`KvdbSyncPlugin::watch_proto`] decodes it and
//! [`KvPublisher::put_proto`] writes it, as upstream's Go agents (cn-infra, vpp-agent) do, so
//! values written by them or by `etcdctl put` in their form (`{"bridge_domain":"bd1",
//! "action":"DROP"}`) reach a plugin as they are, and ours read there. Binary protobuf is
//! chosen explicitly ([`ProtoBinaryWatcher`], [`KvPublisher::put_proto_binary`]). A value that
//! does not decode is left out and acknowledged as an error naming the key, the message and
//! the field; the other values and later changes go on:
//! ```text
//! cannot decode the value of `config/vpp/l2/v2/fib/bd1/mac/…`: not a valid
//! `ligato.vpp.l2.FIBEntry`: field `action`: …
//! ```
//!
//! # Time limits
//! | what | default | config key |
//! |---|---|---|
//! | resync event waiting for room in the channel | 1 s | `resync-accept-timeout` |
//! | resync acknowledgement | 10 s | `resync-ack-timeout` |
//! | change acknowledgement | 10 s | `change-ack-timeout` |
//! | each store call (watch, listing, put) | 30 s | `store-timeout` |
//!
//! See [`SyncConfig`] for the rest (`kvdbsync.conf`).
//!
//! # Status
//! Each watch name is registered with the status check (readiness criticality, unless the
//! plugin registered itself). The orchestrator's status `resync` is INIT until the first
//! round finished, then OK, or ERROR while a watch's resync could not be delivered (store
//! failure). [`StatusKvPublisher`] writes the agent status to
//! `/vnf-agent/<label>/check/status/v1/agent` and each plugin's to
//! `/vnf-agent/<label>/check/status/v1/plugin/<name>` (JSON, upstream field names, numeric
//! states), only when they changed, and all again after a reconnect.
//!
//! # Features
//! This crate has no Cargo features.

mod config;
mod delivery;
mod error;
mod event;
mod kvdbsync;
mod local;
mod publisher;
mod registry;
mod resync;
mod status;
mod typed;
mod watcher;

pub use config::SyncConfig;
pub use error::DatasyncError;
pub use event::{AckResult, ChangeEvent, Done, Event, ResyncCause, ResyncEvent};
pub use kvdbsync::{KvdbSyncBuilder, KvdbSyncPlugin, StoreSource};
pub use local::{CommitReport, LocalResync, LocalTransport, LocalTxn};
pub use publisher::KvPublisher;
pub use resync::{ResyncHandle, ResyncParticipant, ResyncPlugin, ResyncStatus, WatchOutcome};
pub use status::{AGENT_STATUS_KEY, PLUGIN_STATUS_PREFIX, StatusKvPublisher};
pub use typed::{
    JsonWatcher, ProtoBinaryWatcher, ProtoWatcher, TypedChangeEvent, TypedResyncEvent,
    TypedSyncEvent, TypedWatcher,
};
pub use watcher::Watcher;

/// Log target of data sync: the plugin's name.
const LOG: &str = KvdbSyncPlugin::NAME;
