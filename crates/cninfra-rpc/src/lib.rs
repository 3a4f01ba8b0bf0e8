//! The RPC plugins of cninfra: the REST server ([`rest::HttpPlugin`]) that other plugins add
//! their routes to.
//!
//! # Quick start
//! ```no_run
//! use std::sync::Arc;
//! use axum::routing::get;
//! use cninfra_core::{async_trait, Agent, BoxError, InitContext, Plugin};
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
//! Agent::builder().plugin(Hello { http: HttpPlugin::new() }).build()?.run().await
//! # }
//! ```

pub mod rest;
