//! The status check plugin: plugin states pushed and pulled, aggregated into the agent state,
//! and passed on to publishers and subscribers when they change.

mod config;
mod plugin;
mod probe;
mod publisher;
mod registry;
mod reporter;

pub use config::StatusCheckConfig;
pub use plugin::{
    DEFAULT_PROBE_INTERVAL, DEFAULT_PROBE_TIMEOUT, DEFAULT_PUBLISH_INTERVAL,
    DEFAULT_PUBLISH_TIMEOUT, StatusCheckBuilder, StatusCheckPlugin,
};
pub use probe::Probe;
pub use publisher::StatusPublisher;
pub use reporter::StatusReporter;
