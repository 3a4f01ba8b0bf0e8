//! The gRPC server plugin of cninfra ([`GrpcPlugin`], plugin `grpc`), built on
//! [`tonic`]: plugins add their services in `init`, the server listens from `after_init`
//! and drains gracefully on stop.
//!
//! Upstream's issue asked for "a `cninfra-rpc` gRPC plugin"; it lives in this crate of its
//! own because tonic, prost and rustls are heavy: an agent that needs only REST depends on
//! `cninfra-rpc` and never compiles them.
//!
//! # Quick start
//! ```no_run
//! use cninfra_core::{async_trait, Agent, BoxError, InitContext, Plugin, Requirement};
//! use cninfra_grpc::GrpcPlugin;
//! use cninfra_health::StatusCheckPlugin;
//!
//! struct App;
//!
//! #[async_trait]
//! impl Plugin for App {
//!     fn name(&self) -> &str { "app" }
//!     fn requires(&self) -> Vec<Requirement> { vec![Requirement::of::<GrpcPlugin>()] }
//!     fn has_config(&self) -> bool { false }
//!     async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
//!         let grpc = ctx.dep::<GrpcPlugin>()?;
//!         // Any tonic service: `grpc.add_service(MyServiceServer::new(MyImpl))?`, and its
//!         // descriptors so that `grpcurl` can describe it through reflection:
//!         // `grpc.add_file_descriptor_set(MY_FILE_DESCRIPTOR_SET)?`.
//!         # drop(grpc);
//!         Ok(())
//!     }
//! }
//!
//! # async fn demo() -> Result<(), cninfra_core::AgentError> {
//! Agent::builder()
//!     .plugin(App)
//!     .plugin(GrpcPlugin::new())
//!     .plugin(StatusCheckPlugin::new())
//!     .build()?
//!     .run()          // with grpc.conf: `endpoint: 0.0.0.0:9111`
//!     .await
//! # }
//! ```
//!
//! [`GrpcPlugin`] needs the status check (for its health service); it exports call metrics
//! through the Prometheus plugin only when the agent has one, so an agent serving gRPC
//! needs no HTTP server.
//!
//! # Configuration
//! `grpc.conf` ([`GrpcConfig`], `--grpc-config` / `GRPC_CONFIG`) with upstream's keys.
//! Without it the plugin is disabled, as upstream. It sets the endpoint (TCP `host:port`
//! or a unix socket path with its mode), TLS and mutual TLS, message size limits, HTTP/2
//! stream and keep-alive settings, call logging, Prometheus metrics, a per-client rate
//! limit, credentials (basic, bearer token, client certificate), and turns reflection and
//! health (both on by default) off.
//!
//! # What every server has
//! - Each call passes, in this order: metrics and call logging, authentication
//!   (`UNAUTHENTICATED` without valid credentials), the rate limit (`RESOURCE_EXHAUSTED`
//!   beyond it), the message size limits, then the service. The health service needs no
//!   credentials and has no rate limit.
//! - `grpc.health.v1.Health` answers SERVING only while the status check reports the agent
//!   OK, for the whole server (`""`) and each service; NOT_SERVING once the server stops.
//! - Server reflection (`grpc.reflection.v1` and `v1alpha`) lists every service served
//!   and describes those whose descriptors were added.
//! - Metrics (with `prometheus-metrics: true`) on the Prometheus plugin's `/metrics`:
//!   `grpc_server_started_total`, `grpc_server_handled_total{grpc_code}` and the latency
//!   histogram `grpc_server_handling_seconds`, each by `grpc_service` and `grpc_method`.
//! - On stop the server stops accepting, lets the calls in flight finish (up to 10 s), and
//!   removes its unix socket file.
//!
//! # Protobuf code without `protoc`
//! Generate your services at build time with `protox` (a protobuf compiler in Rust) feeding
//! `tonic-prost-build`, in your crate's `build.rs`, to need no system `protoc`; the example
//! service `cninfra.example.v1.Echo` (crate `cninfra-grpc-echo` in the repository, served by
//! the example agent) does so. The repository's `docs/grpc.md` has the full guide.
//!
//! Logs go to the `grpc` target.

mod config;
mod error;
mod health;
mod layer;
mod listen;
mod metrics;
mod plugin;
mod reflection;
mod server;
mod tls;

pub use config::{AuthConfig, GrpcConfig, KeepaliveConfig, Network, RateLimitConfig};
pub use error::GrpcError;
pub use layer::auth::AuthenticatedUser;
pub use plugin::{DEFAULT_MAX_RECV_MSG_SIZE, GrpcPlugin, GrpcPluginBuilder};
/// The tonic version the server is built on, for services and clients.
pub use tonic;
