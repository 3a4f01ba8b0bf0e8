//! The Prometheus plugin: `GET /metrics` on the REST server, with process metrics and the
//! metrics other plugins register.
//!
//! - Built on [`prometheus_client`] (re-exported here), whose registry is explicit: plugins
//!   get it through [`PrometheusPlugin`] ([`register`](PrometheusPlugin::register),
//!   [`register_collector`](PrometheusPlugin::register_collector),
//!   [`registry_mut`](PrometheusPlugin::registry_mut)) rather than through a global.
//! - The body is the OpenMetrics text format, served as
//!   `application/openmetrics-text; version=1.0.0; charset=utf-8`: that is what the
//!   encoder writes (it ends with `# EOF`, counters carry `_total`), and Prometheus asks for
//!   it first when scraping. Prometheus' older `text/plain; version=0.0.4` parser also
//!   reads it, so `curl` users see plain text.
//! - Process metrics ([`ProcessCollector`]) are read from `/proc/self` on each scrape, so
//!   they need Linux.
//!
//! Upstream served several registries on several paths; here there is one, at `/metrics`,
//! and sub-registries with a prefix (see [`PrometheusPlugin::registry_mut`]) take their role.
//! Logs go to the `prometheus` target.

mod plugin;
mod process;

pub use plugin::PrometheusPlugin;
pub use process::ProcessCollector;
pub use prometheus_client;

/// The path the metrics are served on.
pub const METRICS_PATH: &str = "/metrics";

/// The content type of `GET /metrics`.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
