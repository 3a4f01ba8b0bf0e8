//! REST API of the supervisor: list programs, start, stop and restart one by name.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use cninfra_rpc::rest::ApiError;

use super::Supervisor;
use crate::error::ExecError;
use crate::process::{ProcStatus, ProcessInstance, ProcessState};

/// One program as `GET /supervisor/programs` shows it.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ProgramView {
    name: String,
    pid: Option<u32>,
    state: ProcessState,
    status: ProcStatus,
    restarts: u32,
    /// Seconds since the current run started; absent when not running.
    uptime_secs: Option<f64>,
    /// How the last run ended (`exit code 1`, `killed by SIGKILL`).
    last_exit: Option<String>,
}

impl ProgramView {
    fn of(instance: &ProcessInstance) -> Self {
        let info = instance.info();
        Self {
            uptime_secs: info.uptime().map(|up| up.as_secs_f64()),
            last_exit: info.last_exit.map(|exit| exit.to_string()),
            name: info.name,
            pid: info.pid,
            state: info.state,
            status: info.status,
            restarts: info.restarts,
        }
    }
}

/// An unknown program answers 404, a start of a running one 409, anything else 500.
impl From<ExecError> for ApiError {
    fn from(err: ExecError) -> Self {
        let status = match &err {
            ExecError::UnknownProcess { .. } => StatusCode::NOT_FOUND,
            ExecError::AlreadyRunning { .. } => StatusCode::CONFLICT,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::from_error(status, &err)
    }
}

/// The routes, under `/supervisor/programs`.
pub(crate) fn router(supervisor: Arc<Supervisor>) -> Router {
    Router::new()
        .route("/supervisor/programs", get(list))
        .route("/supervisor/hooks", get(hook_stats))
        .route("/supervisor/programs/{name}", get(show))
        .route("/supervisor/programs/{name}/start", post(start))
        .route("/supervisor/programs/{name}/stop", post(stop))
        .route("/supervisor/programs/{name}/restart", post(restart))
        .with_state(supervisor)
}

async fn list(State(supervisor): State<Arc<Supervisor>>) -> Json<Vec<ProgramView>> {
    Json(
        supervisor
            .programs()
            .iter()
            .map(|program| ProgramView::of(program))
            .collect(),
    )
}

async fn hook_stats(State(supervisor): State<Arc<Supervisor>>) -> Json<super::HookStats> {
    Json(supervisor.hook_stats())
}

fn find(supervisor: &Supervisor, name: &str) -> Result<Arc<ProcessInstance>, ApiError> {
    supervisor.program(name).ok_or_else(|| {
        ApiError::from(ExecError::UnknownProcess {
            name: name.to_owned(),
        })
    })
}

async fn show(
    State(supervisor): State<Arc<Supervisor>>,
    Path(name): Path<String>,
) -> Result<Json<ProgramView>, ApiError> {
    let program = find(&supervisor, &name)?;
    Ok(Json(ProgramView::of(&program)))
}

async fn start(
    State(supervisor): State<Arc<Supervisor>>,
    Path(name): Path<String>,
) -> Result<Json<ProgramView>, ApiError> {
    let program = find(&supervisor, &name)?;
    program.start().await?;
    Ok(Json(ProgramView::of(&program)))
}

/// Stops gracefully and answers once the program has exited (SIGKILL after its stop
/// timeout).
async fn stop(
    State(supervisor): State<Arc<Supervisor>>,
    Path(name): Path<String>,
) -> Result<Json<ProgramView>, ApiError> {
    let program = find(&supervisor, &name)?;
    program.stop_and_wait().await?;
    Ok(Json(ProgramView::of(&program)))
}

async fn restart(
    State(supervisor): State<Arc<Supervisor>>,
    Path(name): Path<String>,
) -> Result<Json<ProgramView>, ApiError> {
    let program = find(&supervisor, &name)?;
    program.restart().await?;
    Ok(Json(ProgramView::of(&program)))
}
