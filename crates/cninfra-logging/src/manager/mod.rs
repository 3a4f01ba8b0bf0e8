//! The log manager plugin (`logs`): applies `logs.conf`, registers a logger per plugin, and
//! serves the log level REST API.
//!
//! - `GET /log/list` → `200` and `[{"logger": "http", "level": "info"}, …]`, sorted by name.
//! - `PUT /log/{logger}/{level}` → `200` and `{"logger": "http", "level": "debug"}`; logger
//!   `default` sets the default level. A logger not registered yet keeps the level until it
//!   registers (at most [`MAX_PENDING_LEVELS`](crate::MAX_PENDING_LEVELS) such loggers; past
//!   that, `400`). A bad logger name gets `400`, a bad level `400` with
//!   `{"error": …, "levels": [valid names]}`.

mod config;
mod plugin;
mod rest;

pub use config::{LoggerConfig, LogsConfig};
pub use plugin::{INITIAL_LEVEL_FLAG, LogManagerBuilder, LogManagerPlugin};
#[cfg(feature = "fuzzing")]
pub(crate) use rest::router as rest_router;
