//! The log REST API's router on its own, for the fuzz targets in `fuzz/` (feature
//! `fuzzing`; no stable API).

use std::sync::Arc;

use crate::LogRegistry;

/// `GET /log/list` and `PUT /log/{logger}/{level}` on `registry`, as the log manager mounts
/// them.
pub fn rest_router(registry: Arc<LogRegistry>) -> axum::Router {
    crate::manager::rest_router(registry)
}
