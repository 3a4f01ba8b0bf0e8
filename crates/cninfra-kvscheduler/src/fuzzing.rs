//! The REST debug API's router on its own, for the fuzz targets in `fuzz/` (feature
//! `fuzzing`; no stable API).

use crate::Scheduler;

/// The routes under `/scheduler/` on `scheduler`, as the plugin mounts them.
pub fn rest_router(scheduler: Scheduler) -> axum::Router {
    crate::rest::router(scheduler)
}
