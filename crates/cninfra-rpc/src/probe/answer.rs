//! The probe handlers: the verdict as status code, the agent status as JSON body.
//!
//! Probes are polled far more often than statuses change, so the JSON body is kept with the
//! status revision it was made from and made again only after a status changed (or a report
//! moved a `last_update`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use parking_lot::RwLock;
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
    cache: RwLock<Option<Answer>>,
}

/// The verdicts and body at one status revision.
#[derive(Debug, Clone)]
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
            cache: RwLock::new(None),
        }))
    }

    fn answer(&self) -> Result<Answer, serde_json::Error> {
        let Shared {
            status,
            non_fatal,
            cache,
        } = &*self.0;
        let revision = status.revision();
        if let Some(answer) = cache.read().as_ref().filter(|a| a.revision == revision) {
            return Ok(answer.clone());
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
        let mut cache = cache.write();
        if cache
            .as_ref()
            .is_none_or(|cached| cached.revision < revision)
        {
            *cache = Some(answer.clone());
        }
        Ok(answer)
    }

    fn respond(&self, pick: fn(&Answer) -> bool) -> Response {
        match self.answer() {
            Ok(answer) => {
                let code = if pick(&answer) {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                (
                    code,
                    [(header::CONTENT_TYPE, "application/json")],
                    answer.body,
                )
                    .into_response()
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
