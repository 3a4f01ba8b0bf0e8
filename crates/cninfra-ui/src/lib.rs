//! The dashboard of a cninfra agent, served from the agent's HTTP port under `/ui/`.
//!
//! Add [`UiPlugin`] to an agent that has the REST plugin (`HttpPlugin`) and the status
//! check; the page then reads the agent's existing REST APIs from the browser:
//!
//! | view | URL | reads |
//! |---|---|---|
//! | agent: state, build, uptime, plugins | `/ui/` | `/ui/api/agent` |
//! | loggers, level changeable | `/ui/loggers` | `/log/list`, `PUT /log/{logger}/{level}` |
//! | the KVScheduler's values | `/ui/values` | `/scheduler/status`, `/scheduler/graph?format=raw` |
//! | the dependency graph | `/ui/graph` (`?key=` focuses a value, `?txn=` highlights a transaction) | `/scheduler/graph?format=raw`, `/scheduler/txn-history` |
//! | transaction history | `/ui/history` | `/scheduler/txn-history` |
//! | supervised programs | `/ui/programs` | `/supervisor/programs` and its start/stop/restart |
//!
//! The plugin adds the page and its assets (plain ES modules embedded in the binary: no
//! build step, no CDN) and two endpoints of its own: `GET /ui/api/agent`, the agent's
//! status as the probes show it (but always 200) with the parts this agent has, and
//! `GET /ui/events`, server-sent events naming what changed (`agent`, `values`,
//! `programs`), on which the page fetches again.
//! Every route sits behind the REST plugin's authentication like any other.
//!
//! ```no_run
//! use cninfra_core::Agent;
//! use cninfra_health::StatusCheckPlugin;
//! use cninfra_rpc::rest::HttpPlugin;
//! use cninfra_ui::UiPlugin;
//!
//! # async fn demo() -> Result<(), cninfra_core::AgentError> {
//! Agent::builder()
//!     .plugin(HttpPlugin::new())
//!     .plugin(StatusCheckPlugin::new())
//!     .plugin(UiPlugin::new())
//!     .build()?
//!     .run()
//!     .await
//! # }
//! ```

mod agent;
mod assets;
mod events;
mod plugin;

pub use assets::{ASSETS, Asset};
pub use events::Topic;
pub use plugin::UiPlugin;

/// Where the dashboard is served.
pub const UI_PREFIX: &str = "/ui";
