//! The log level REST API.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use cninfra_rpc::rest::ApiError;
use serde::Serialize;
use tracing::info;

use crate::error::LoggingError;
use crate::level::LogLevel;
use crate::registry::LogRegistry;

/// `GET /log/list` and `PUT /log/{logger}/{level}` on `registry`.
pub(crate) fn router(registry: Arc<LogRegistry>) -> Router {
    Router::new()
        .route("/log/list", get(list))
        .route("/log/{logger}/{level}", put(set_level))
        .with_state(registry)
}

/// One logger and its level, as the API shows it.
#[derive(Debug, Serialize)]
struct LoggerLevel {
    logger: String,
    level: LogLevel,
}

async fn list(State(registry): State<Arc<LogRegistry>>) -> Json<Vec<LoggerLevel>> {
    Json(
        registry
            .list()
            .into_iter()
            .map(|(logger, level)| LoggerLevel { logger, level })
            .collect(),
    )
}

async fn set_level(
    State(registry): State<Arc<LogRegistry>>,
    Path((logger, level)): Path<(String, String)>,
) -> Result<Json<LoggerLevel>, ApiError> {
    let level: LogLevel = level.parse()?;
    let registered = registry.level(&logger).is_some();
    registry.set_level(&logger, level)?;
    if registered {
        info!(target: super::LogManagerPlugin::NAME, %logger, %level, "log level changed over REST");
    } else {
        info!(target: super::LogManagerPlugin::NAME, %logger, %level,
            "log level set over REST for a logger not registered yet; it applies when it registers");
    }
    Ok(Json(LoggerLevel { logger, level }))
}

/// A bad level answers 400 with the valid `levels`, a bad logger name 400, as does a level
/// for one more unregistered logger when too many wait already; anything else 500.
impl From<LoggingError> for ApiError {
    fn from(error: LoggingError) -> Self {
        match &error {
            LoggingError::InvalidLoggerName { .. } | LoggingError::TooManyPendingLevels { .. } => {
                ApiError::from_error(StatusCode::BAD_REQUEST, &error)
            }
            LoggingError::InvalidLevel { .. } => {
                ApiError::from_error(StatusCode::BAD_REQUEST, &error)
                    .with_field("levels", LogLevel::valid_names())
            }
            _ => ApiError::from_error(StatusCode::INTERNAL_SERVER_ERROR, &error),
        }
    }
}
