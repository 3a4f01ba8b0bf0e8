//! The REST debug API under `/scheduler/` (upstream's paths and parameters).
//!
//! | method, path | parameters | returns |
//! |---|---|---|
//! | GET `/scheduler/txn-history` | `seq-num`, `since`, `until` (Unix ns), `format=json\|text` | recorded transactions |
//! | GET `/scheduler/key-timeline` | `key` (required), `time` | revisions of a key |
//! | GET `/scheduler/graph-snapshot` | `time` | values valid at that time |
//! | GET `/scheduler/flag-stats` | `flag` (required), repeated `prefix` | revision counts per flag value |
//! | POST `/scheduler/downstream-resync` | `retry`, `verbose` | record of the resync |
//! | GET `/scheduler/dump` | `descriptor` or `key-prefix`, `view=SB\|NB\|cached` | values; no args: an index |
//! | GET `/scheduler/status` | `key` or `descriptor` or `key-prefix` | value statuses |
//! | GET `/scheduler/stats` | | counters and timings |
//! | GET `/scheduler/graph` | `txn`, `format=svg\|dot\|raw` | Graphviz rendering (svg needs `dot`) |

mod graph;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use cninfra_rpc::rest::ApiError;
use serde::Serialize;

use crate::{DumpView, KvSchedulerError, ResyncKind, RetryOptions, Scheduler, StatusSelector};

/// A scheduler error answers 404 for an unknown descriptor, 503 once the scheduler stopped,
/// else 500.
impl From<KvSchedulerError> for ApiError {
    fn from(err: KvSchedulerError) -> Self {
        let status = match err {
            KvSchedulerError::UnknownDescriptor { .. } => StatusCode::NOT_FOUND,
            KvSchedulerError::Stopped => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::from_error(status, &err)
    }
}

/// Query parameters (a key may repeat).
#[derive(Debug)]
struct Params(Vec<(String, String)>);

impl Params {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.is_empty() || v == "true" || v == "1")
    }

    fn time(&self, name: &str) -> Result<Option<SystemTime>, ApiError> {
        self.get(name)
            .map(|v| {
                v.parse::<u64>()
                    .map(|ns| UNIX_EPOCH + Duration::from_nanos(ns))
                    .map_err(|_| {
                        ApiError::bad_request(format!(
                            "`{name}` must be a Unix time in nanoseconds, got `{v}`"
                        ))
                    })
            })
            .transpose()
    }

    fn number(&self, name: &str) -> Result<Option<u64>, ApiError> {
        self.get(name)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    ApiError::bad_request(format!("`{name}` must be a number, got `{v}`"))
                })
            })
            .transpose()
    }

    /// `key` / `descriptor` / `key-prefix` (at most one).
    fn selector(&self) -> Result<Option<StatusSelector>, ApiError> {
        let given: Vec<StatusSelector> = [
            self.get("key").map(|k| StatusSelector::Key(k.to_owned())),
            self.get("descriptor")
                .map(|d| StatusSelector::Descriptor(d.to_owned())),
            self.get("key-prefix")
                .map(|p| StatusSelector::KeyPrefix(p.to_owned())),
        ]
        .into_iter()
        .flatten()
        .collect();
        match given.len() {
            0 => Ok(None),
            1 => Ok(given.into_iter().next()),
            _ => Err(ApiError::bad_request(
                "give only one of `key`, `descriptor`, `key-prefix`",
            )),
        }
    }
}

fn json<T: Serialize>(value: &T) -> Response {
    axum::Json(value).into_response()
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

/// The router of the debug API.
pub(crate) fn router(scheduler: Scheduler) -> Router {
    Router::new()
        .route("/scheduler/txn-history", get(txn_history))
        .route("/scheduler/key-timeline", get(key_timeline))
        .route("/scheduler/graph-snapshot", get(graph_snapshot))
        .route("/scheduler/flag-stats", get(flag_stats))
        .route("/scheduler/downstream-resync", post(downstream_resync))
        .route("/scheduler/dump", get(dump))
        .route("/scheduler/status", get(status))
        .route("/scheduler/stats", get(stats))
        .route("/scheduler/graph", get(graph::render))
        .with_state(scheduler)
}

type Q = Query<Vec<(String, String)>>;

async fn txn_history(State(s): State<Scheduler>, Query(q): Q) -> Result<Response, ApiError> {
    let q = Params(q);
    let as_text = match q.get("format") {
        None | Some("json") => false,
        Some("text") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown format `{other}` (json or text)"
            )));
        }
    };
    if let Some(seq) = q.number("seq-num")? {
        let txn = s
            .recorded_txn(seq)
            .ok_or_else(|| ApiError::not_found(format!("no recorded transaction #{seq}")))?;
        return Ok(if as_text {
            text(txn.to_text(false, true, 0))
        } else {
            json(&*txn)
        });
    }
    let txns = s.txn_history(q.time("since")?, q.time("until")?);
    if as_text {
        let mut out = String::new();
        for txn in &txns {
            out.push_str(&txn.log_header());
            out.push_str(&txn.log_footer());
        }
        return Ok(text(out));
    }
    let txns: Vec<&crate::RecordedTxn> = txns.iter().map(|t| &**t).collect();
    Ok(json(&txns))
}

async fn key_timeline(State(s): State<Scheduler>, Query(q): Q) -> Result<Response, ApiError> {
    let q = Params(q);
    let key = q
        .get("key")
        .ok_or_else(|| ApiError::bad_request("`key` is required"))?;
    Ok(json(&s.key_timeline(key, q.time("time")?)))
}

async fn graph_snapshot(State(s): State<Scheduler>, Query(q): Q) -> Result<Response, ApiError> {
    let q = Params(q);
    let at = q.time("time")?.unwrap_or_else(SystemTime::now);
    Ok(json(&s.graph_snapshot(at)))
}

async fn flag_stats(State(s): State<Scheduler>, Query(q): Q) -> Result<Response, ApiError> {
    let q = Params(q);
    let flag = q
        .get("flag")
        .ok_or_else(|| ApiError::bad_request("`flag` is required"))?;
    Ok(json(&s.flag_stats(flag, &q.all("prefix"))))
}

async fn downstream_resync(State(s): State<Scheduler>, Query(q): Q) -> Result<Response, ApiError> {
    let q = Params(q);
    let mut txn = s
        .txn()
        .with_resync(ResyncKind::Downstream)
        .with_description("downstream resync requested over REST");
    if q.flag("retry") {
        txn = txn.with_retry(RetryOptions::default());
    }
    if q.flag("verbose") {
        txn = txn.with_verbose_refresh();
    }
    let seq = match txn.commit().await {
        Ok(seq) | Err(crate::TxnError::Failed { seq, .. }) => seq,
        Err(err) => return Err(ApiError::from_error(StatusCode::SERVICE_UNAVAILABLE, &err)),
    };
    Ok(match s.recorded_txn(seq) {
        Some(record) => json(&*record),
        None => json(&serde_json::json!({ "seqNum": seq })),
    })
}

async fn dump(State(s): State<Scheduler>, Query(q): Q) -> Result<Response, ApiError> {
    let q = Params(q);
    let view = match q.get("view") {
        None | Some("SB") => DumpView::Sb,
        Some("NB") => DumpView::Nb,
        Some("cached") => DumpView::Cached,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown view `{other}` (SB, NB or cached)"
            )));
        }
    };
    let selector = match q.selector()? {
        None => {
            let index = serde_json::json!({
                "descriptors": s.descriptor_names(),
                "keyPrefixes": s.registered_nb_key_prefixes(),
                "views": ["SB", "NB", "cached"],
            });
            return Ok(json(&index));
        }
        Some(StatusSelector::Key(_)) => {
            return Err(ApiError::bad_request(
                "dump takes `descriptor` or `key-prefix`",
            ));
        }
        Some(selector) => selector,
    };
    Ok(json(&s.dump(&selector, view).await?))
}

async fn status(State(s): State<Scheduler>, Query(q): Q) -> Result<Response, ApiError> {
    let q = Params(q);
    let selector = q.selector()?.unwrap_or(StatusSelector::All);
    Ok(json(&s.statuses(&selector)?))
}

async fn stats(State(s): State<Scheduler>) -> Response {
    json(&s.stats())
}
