//! The RPC plugins of cninfra: the REST server ([`rest::HttpPlugin`], plugin `http`) that
//! other plugins add their routes to, and the Prometheus plugin
//! ([`prometheus::PrometheusPlugin`], plugin `prometheus`) serving `GET /metrics`.
//!
//! # Quick start
//! ```no_run
//! use std::sync::Arc;
//! use axum::routing::get;
//! use cninfra_core::{async_trait, Agent, BoxError, InitContext, Plugin};
//! use cninfra_rpc::prometheus::PrometheusPlugin;
//! use cninfra_rpc::rest::HttpPlugin;
//!
//! struct Hello { http: Arc<HttpPlugin> }
//!
//! #[async_trait]
//! impl Plugin for Hello {
//!     fn name(&self) -> &str { "hello" }
//!     fn deps(&self) -> Vec<Arc<dyn Plugin>> { vec![self.http.clone()] }
//!     fn has_config(&self) -> bool { false }
//!     async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
//!         self.http.route("/hello", get(|| async { "hello" }))?;
//!         Ok(())
//!     }
//! }
//!
//! # async fn demo() -> Result<(), cninfra_core::AgentError> {
//! let http = HttpPlugin::new();      // one instance, shared by every plugin that uses it
//! Agent::builder()
//!     .plugin(Hello { http: http.clone() })
//!     .plugin(PrometheusPlugin::new())
//!     .build()?
//!     .run()                          // http://0.0.0.0:9191/hello and /metrics
//!     .await
//! # }
//! ```
//!
//! # Configuration
//! `http.conf` ([`rest::HttpConfig`]) and `--http-port` / `HTTP_PORT` configure the server;
//! the Prometheus plugin has no config.

pub mod probe;
pub mod prometheus;
pub mod rest;

/// The axum version the REST server is built on, for handlers and routers.
pub use ::axum;
