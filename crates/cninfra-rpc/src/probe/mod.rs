//! The probe plugin: Kubernetes liveness and readiness endpoints and the health gauges.

mod answer;
mod metrics;
mod plugin;

pub use plugin::{ProbeBuilder, ProbePlugin};

/// Path of the liveness probe.
pub const LIVENESS_PATH: &str = "/liveness";
/// Path of the readiness probe.
pub const READINESS_PATH: &str = "/readiness";
