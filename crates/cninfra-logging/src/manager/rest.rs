//! The log level REST API.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde::Serialize;
use serde_json::json;
use tracing::info;

use crate::error::LoggingError;
use crate::level::LogLevel;
use crate::registry::LogRegistry;

/// `GET /log/list` and `PUT /log/{logger}/{level}` on `registry`.
pub(super) fn router(registry: Arc<LogRegistry>) -> Router {
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
    registry.set_level(&logger, level)?;
    info!(target: super::LogManagerPlugin::NAME, %logger, %level, "log level changed over REST");
    Ok(Json(LoggerLevel { logger, level }))
}

/// A [`LoggingError`] on its way to becoming a JSON error response.
#[derive(Debug)]
struct ApiError(LoggingError);

impl From<LoggingError> for ApiError {
    fn from(error: LoggingError) -> Self {
        Self(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.0.to_string();
        match self.0 {
            LoggingError::UnknownLogger { known, .. } => (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": message, "loggers": known })),
            ),
            LoggingError::InvalidLevel { .. } => (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": message, "levels": LogLevel::valid_names() })),
            ),
            _ => (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(json!({ "error": message })),
            ),
        }
        .into_response()
    }
}
