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
//!   with mandatory client certificates) and static basic authentication
//!   ([`AuthenticatedUser`] names the user to handlers). Handlers can extract
//!   `axum::extract::ConnectInfo<SocketAddr>` for the client's address.
//! - Handlers answer a failure with [`ApiError`]: its status code and `{"error": "..."}`.
//! - On close the server stops accepting, lets the requests in flight complete and closes
//!   the connections (within the agent's close time limit).
//!
//! Logs go to the `http` target.

mod api_error;
mod auth;
mod config;
mod error;
mod idle;
mod plugin;
mod server;
mod tls;

pub use api_error::ApiError;
pub use auth::AuthenticatedUser;
pub use config::HttpConfig;
pub use error::RestError;
pub use plugin::{HttpBuilder, HttpPlugin};
