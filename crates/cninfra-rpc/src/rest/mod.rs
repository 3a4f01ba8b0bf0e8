//! The REST server plugin: one axum server per agent, on `0.0.0.0:9191` unless configured.
//!
//! - Plugins add routes with [`HttpPlugin::route`] / [`HttpPlugin::merge`] in their `init`
//!   (the HTTP plugin is their dependency, so it has bound its port by then).
//! - The port is bound in `init`: a port in use fails the agent start with an error naming the
//!   address and how to change it. Serving starts in `after_init`.
//! - On close the server stops accepting and drains the requests in flight.

mod config;
mod error;
mod plugin;

pub use config::HttpConfig;
pub use error::RestError;
pub use plugin::HttpPlugin;
