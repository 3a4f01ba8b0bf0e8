//! `GET /ui/api/agent`: the agent's status (always 200, unlike the probes, which answer
//! 503 while the agent is not ready) and which parts of the page apply to this agent.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use cninfra_health::{AgentStatus, StatusCheckPlugin};
use serde::Serialize;

/// Which views have data in this agent.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Parts {
    /// The agent has a KVScheduler (values, graph, history).
    pub(crate) scheduler: bool,
    /// The supervisor runs (programs).
    pub(crate) supervisor: bool,
}

#[derive(Debug, Clone)]
struct Shared {
    status: Arc<StatusCheckPlugin>,
    plugins: Arc<[String]>,
    parts: Parts,
}

/// The answer.
#[derive(Debug, Serialize)]
struct Agent {
    /// As the probes' body (`/readiness`).
    status: AgentStatus,
    /// Every plugin of the agent in start order (also those that report no status).
    plugins: Arc<[String]>,
    /// The agent's clock (Unix seconds), for uptimes in a browser whose clock differs.
    now: f64,
    parts: Parts,
}

async fn agent(State(shared): State<Shared>) -> Json<Agent> {
    Json(Agent {
        status: shared.status.agent_status(),
        plugins: Arc::clone(&shared.plugins),
        now: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64()),
        parts: shared.parts,
    })
}

/// `GET /ui/api/agent`.
pub(crate) fn router(
    status: Arc<StatusCheckPlugin>,
    plugins: Arc<[String]>,
    parts: Parts,
) -> Router {
    Router::new()
        .route("/ui/api/agent", get(agent))
        .with_state(Shared {
            status,
            plugins,
            parts,
        })
}
