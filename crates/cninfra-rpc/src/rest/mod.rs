//! The REST server plugin: one axum server per agent, on `0.0.0.0:9191` unless configured.
//!
//! - Plugins add routes with [`HttpPlugin::route`] / [`HttpPlugin::merge`] in their `init`
//!   (the HTTP plugin is their dependency, so it has bound its port by then). Routes added
//!   once the server serves are refused with [`RestError::AlreadyServing`].
//! - The port is bound in `init`: a port in use fails the agent start with an error naming the
//!   address and how to change it (`--http-port` / `HTTP_PORT`, or `endpoint` in `http.conf`).
//!   Serving starts in `after_init`.
//! - The port: an explicit `--http-port` / `HTTP_PORT` wins; else the `endpoint` of
//!   `http.conf`; else `0.0.0.0:9191`.
//! - [`HttpConfig`] sets time limits, the largest request head, HTTPS (rustls, optionally
//!   with mandatory client certificates), static basic authentication or upstream's token
//!   authorization with permission groups ([`security`]), and a per-client rate limiter
//!   ([`AuthenticatedUser`] names the user to handlers). Handlers can extract
//!   `axum::extract::ConnectInfo<SocketAddr>` for the client's address.
//! - Routes added with [`HttpPlugin::public_route`] (the probes) need no credentials and
//!   are not rate limited: Kubernetes cannot send credentials.
//! - Handlers answer a failure with [`ApiError`]: its status code and `{"error": "..."}`.
//! - On close the server stops accepting, lets the requests in flight complete and closes
//!   the connections (within the agent's close time limit).
//!
//! Logs go to the `http` target.

mod api_error;
mod auth;
mod config;
mod error;
mod guard;
mod idle;
mod limit;
mod plugin;
pub mod security;
mod server;
mod tls;
mod woken;
mod write_timeout;

pub use api_error::ApiError;
pub use auth::AuthenticatedUser;
pub use config::{DEFAULT_COST, HttpConfig, RateLimiterConfig, Secret, UserConfig};
pub use error::RestError;
pub use guard::HEADER_USERNAME;
pub use limit::{HEADER_BURST, HEADER_DELAY, HEADER_LIMIT};
pub use plugin::{HttpBuilder, HttpPlugin};
pub use security::{Permission, PermissionGroup};
