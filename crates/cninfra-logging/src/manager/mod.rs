//! The log manager plugin (`logs`): applies `logs.conf`, registers a logger per plugin, and
//! serves the log level REST API.
//!
//! - `GET /log/list` → `200` and `[{"logger": "http", "level": "info"}, …]`, sorted by name.
//! - `PUT /log/{logger}/{level}` → `200` and `{"logger": "http", "level": "debug"}`; logger
//!   `default` sets the default level. An unknown logger gets `404` with
//!   `{"error": …, "loggers": [valid names]}`, a bad level `400` with
//!   `{"error": …, "levels": [valid names]}`.

mod config;
mod plugin;
mod rest;

pub use config::{LoggerConfig, LogsConfig};
pub use plugin::{INITIAL_LEVEL_FLAG, LogManagerBuilder, LogManagerPlugin};
