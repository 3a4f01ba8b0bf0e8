//! The probe handlers: the verdict as status code, the agent status as JSON body.
//!
//! Probes are polled far more often than statuses change, so the JSON body is kept with the
//! status revision it was made from and made again only after a status changed (or a report
//! moved a `last_update`). The kept answer is read without a lock: the probes of many
//! connections at once do not meet on one.

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tracing::warn;

use super::ProbePlugin;
use cninfra_health::{AgentStatus, StatusCheckPlugin};

/// What the handlers share (one `Arc`, as axum clones the state for each request).
#[derive(Debug, Clone)]
pub(super) struct Probes(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    status: Arc<StatusCheckPlugin>,
    non_fatal: Arc<[String]>,
    cache: ArcSwapOption<Answer>,
}

/// The verdicts and body at one status revision.
#[derive(Debug)]
struct Answer {
    revision: u64,
    live: bool,
    ready: bool,
    body: Bytes,
}

/// The JSON body of both probes.
#[derive(Debug, Serialize)]
struct Body<'a> {
    #[serde(flatten)]
    status: &'a AgentStatus,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    non_fatal_plugins: &'a [String],
}

impl Probes {
    pub(super) fn new(status: Arc<StatusCheckPlugin>, non_fatal: Arc<[String]>) -> Self {
        Self(Arc::new(Shared {
            status,
            non_fatal,
            cache: ArcSwapOption::empty(),
        }))
    }

    /// The verdict `pick` makes of the answer at the current revision, and its body.
    fn answer(&self, pick: fn(&Answer) -> bool) -> Result<(bool, Bytes), serde_json::Error> {
        let Shared {
            status,
            non_fatal,
            cache,
        } = &*self.0;
        let revision = status.revision();
        if let Some(answer) = cache.load().as_deref().filter(|a| a.revision == revision) {
            return Ok((pick(answer), answer.body.clone()));
        }
        let (revision, health) = status.health_at(non_fatal);
        let body = serde_json::to_vec(&Body {
            status: &health.status,
            non_fatal_plugins: non_fatal,
        })?;
        let answer = Answer {
            revision,
            live: health.live,
            ready: health.ready,
            body: Bytes::from(body),
        };
        let verdict = (pick(&answer), answer.body.clone());
        let answer = Arc::new(answer);
        // Kept unless a newer revision was kept meanwhile.
        cache.rcu(|cached| match cached.as_ref() {
            Some(cached) if cached.revision >= revision => Some(Arc::clone(cached)),
            _ => Some(Arc::clone(&answer)),
        });
        Ok(verdict)
    }

    fn respond(&self, pick: fn(&Answer) -> bool) -> Response {
        match self.answer(pick) {
            Ok((passed, body)) => {
                let code = if passed {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                (code, [(header::CONTENT_TYPE, "application/json")], body).into_response()
            }
            Err(err) => {
                warn!(target: ProbePlugin::NAME, error = %err, "cannot encode the agent status");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }
}

/// `GET /liveness`.
pub(super) async fn liveness(Extract(probes): Extract<Probes>) -> Response {
    probes.respond(|answer| answer.live)
}

/// `GET /readiness`.
pub(super) async fn readiness(Extract(probes): Extract<Probes>) -> Response {
    probes.respond(|answer| answer.ready)
}
