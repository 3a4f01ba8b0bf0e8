//! Health of a cninfra agent: the status check that plugins report to
//! ([`StatusCheckPlugin`], plugin `status-check`). The Kubernetes probes that answer from it
//! (`GET /liveness`, `GET /readiness`) are the REST server's `cninfra_rpc::probe::ProbePlugin`,
//! so this crate stays light: a connector reports its health without compiling an HTTP server.
//!
//! # Quick start
//! A connector registers as an external dependency and pushes its state:
//! ```
//! use std::sync::Arc;
//! use cninfra_core::{async_trait, Agent, BoxError, InitContext, Plugin, Ready, Requirement};
//! use cninfra_health::{Criticality, State, StatusCheckPlugin, StatusReporter};
//!
//! struct Connector { status: Ready<StatusReporter> }
//!
//! #[async_trait]
//! impl Plugin for Connector {
//!     fn name(&self) -> &str { "db" }
//!     fn requires(&self) -> Vec<Requirement> { vec![Requirement::of::<StatusCheckPlugin>()] }
//!     fn has_config(&self) -> bool { false }
//!     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
//!         // Losing the database makes the agent not ready, but keeps it live.
//!         let status = ctx.dep::<StatusCheckPlugin>()?;
//!         self.status.set(status.reporter(ctx, Criticality::Readiness, None))?;
//!         Ok(())
//!     }
//!     async fn after_init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
//!         self.status.get()?.ok();
//!         Ok(())
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let status = StatusCheckPlugin::new();
//! let running = Agent::builder()
//!     .plugin(Connector { status: Ready::new("db") })
//!     .plugin(status.clone())
//!     .with_args(["demo"])
//!     .build()?
//!     .start()
//!     .await?;
//! assert_eq!(status.plugin_status("db").map(|s| s.state), Some(State::Ok));
//! running.stop().await?;
//! # Ok(()) }
//! ```
//!
//! # States
//! A plugin is INIT (`0`) from registration until it reports, then OK (`1`) or ERROR (`2`).
//! It reports by push ([`StatusCheckPlugin::report_state_change`]) or by pull (a [`Probe`]
//! run every 5 s within 3 s). The agent state is ERROR if any plugin is in ERROR, else INIT
//! while any plugin is in INIT or the agent is still starting, else OK. A report that changes
//! neither the state nor the error text only moves `last_update`; changes alone reach the
//! [`StatusPublisher`]s and [`StatusCheckPlugin::subscribe`].
//!
//! # Probes (served by `cninfra_rpc::probe`)
//! | | `GET /liveness` | `GET /readiness` |
//! |---|---|---|
//! | agent starting, or any plugin INIT | 200 | 503 |
//! | all plugins OK | 200 | 200 |
//! | a plugin in ERROR, registered with [`Criticality::Liveness`] (the default) | 503 | 503 |
//! | a plugin in ERROR, registered with [`Criticality::Readiness`] (external server) | 200 | 503 |
//! | a plugin in ERROR, named in the probe plugin's `with_non_fatal_plugins` | 200 | 200 |
//!
//! Upstream failed liveness for any ERROR and answered 500. Here a lost external server
//! fails readiness only, since restarting the agent does not bring the server back, and the
//! failure code is 503. The body of both is the [`AgentStatus`] as JSON with upstream's
//! field names (`build_version`, `build_date`, `commit_hash`, `state`, `start_time`,
//! `last_change`, `last_update`, `plugins`; states as numbers, times as Unix seconds), plus
//! `non_fatal_plugins` when set. See `docs/health.md` in the repository for the whole story.
//!
//! # Metrics
//! The probe plugin adds gauges to `/metrics`: `cninfra_agent_state`, `cninfra_agent_live`,
//! `cninfra_agent_ready`, `cninfra_plugin_state{plugin="…"}` and
//! `cninfra_build_info{version,commit,date}`.

mod connection;
mod error;
mod state;
mod status;
pub mod statuscheck;
mod verdict;

pub use connection::{Connection, ConnectionState, DEFAULT_CHECK_INTERVAL, DEFAULT_CHECK_TIMEOUT};
pub use error::HealthError;
pub use state::State;
pub use status::{AgentStatus, PluginStatus};
pub use statuscheck::{
    Probe, StatusCheckBuilder, StatusCheckConfig, StatusCheckPlugin, StatusPublisher,
    StatusReporter,
};
pub use verdict::{Criticality, Health};
