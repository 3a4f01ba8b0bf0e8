//! Health of a cninfra agent: the status check that plugins report to
//! ([`StatusCheckPlugin`], plugin `status-check`) and the Kubernetes probes
//! ([`ProbePlugin`], plugin `probe`: `GET /liveness`, `GET /readiness`).
//!
//! # Quick start
//! A connector registers as an external dependency, pushes its state, and the probes follow:
//! ```no_run
//! use std::sync::Arc;
//! use cninfra_core::{async_trait, Agent, BoxError, InitContext, Plugin};
//! use cninfra_health::{Criticality, ProbePlugin, State, StatusCheckPlugin};
//! use cninfra_rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};
//!
//! struct Connector { status: Arc<StatusCheckPlugin> }
//!
//! #[async_trait]
//! impl Plugin for Connector {
//!     fn name(&self) -> &str { "db" }
//!     fn deps(&self) -> Vec<Arc<dyn Plugin>> { vec![self.status.clone()] }
//!     fn has_config(&self) -> bool { false }
//!     async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
//!         // Losing the database makes the agent not ready, but keeps it live.
//!         self.status.register_as("db", Criticality::Readiness, None);
//!         Ok(())
//!     }
//!     async fn after_init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
//!         self.status.report_state_change("db", State::Ok, None)?;
//!         Ok(())
//!     }
//! }
//!
//! # async fn demo() -> Result<(), cninfra_core::AgentError> {
//! let http = HttpPlugin::new();
//! let status = StatusCheckPlugin::new();
//! let prometheus = PrometheusPlugin::new(http.clone());
//! Agent::builder()
//!     .plugin(Connector { status: status.clone() })
//!     .plugin(ProbePlugin::new(http, status, prometheus))
//!     .build()?
//!     .run()                       // curl localhost:9191/readiness
//!     .await
//! # }
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
//! # Probes
//! | | `GET /liveness` | `GET /readiness` |
//! |---|---|---|
//! | agent starting, or any plugin INIT | 200 | 503 |
//! | all plugins OK | 200 | 200 |
//! | a plugin in ERROR, registered with [`Criticality::Liveness`] (the default) | 503 | 503 |
//! | a plugin in ERROR, registered with [`Criticality::Readiness`] (external server) | 200 | 503 |
//! | a plugin in ERROR, named in [`ProbePlugin::with_non_fatal_plugins`] | 200 | 200 |
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

mod error;
pub mod probe;
mod state;
mod status;
pub mod statuscheck;
mod verdict;

pub use error::HealthError;
pub use probe::ProbePlugin;
pub use state::State;
pub use status::{AgentStatus, PluginStatus};
pub use statuscheck::{Probe, StatusCheckBuilder, StatusCheckPlugin, StatusPublisher};
pub use verdict::{Criticality, Health};
