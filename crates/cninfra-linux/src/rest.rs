//! `POST /linux/dry-run`: the operations a transaction would make, without making them
//! (the scheduler's simulation, [`Txn::simulate`](cninfra_kvscheduler::Txn::simulate)).

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use cninfra_kvscheduler::{RecordedTxnOp, ResyncKind, Scheduler, TxnError, Value};
use cninfra_rpc::rest::ApiError;
use serde::Deserialize;

/// How long a dry run may wait for the scheduler.
const DRY_RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// A transaction to plan: values to put (keys as in the KV store, values in proto3 JSON),
/// keys to delete, and whether the values are the whole desired state (a full resync:
/// values not listed would be deleted).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DryRun {
    put: BTreeMap<String, serde_json::Value>,
    delete: Vec<String>,
    resync: bool,
}

/// The route, over `scheduler`.
pub(crate) fn router(scheduler: Scheduler) -> Router {
    Router::new()
        .route("/linux/dry-run", post(dry_run))
        .with_state(scheduler)
}

async fn dry_run(
    State(scheduler): State<Scheduler>,
    Json(request): Json<DryRun>,
) -> Result<Json<Vec<RecordedTxnOp>>, ApiError> {
    if request.resync && !request.delete.is_empty() {
        return Err(ApiError::bad_request(
            "a resync lists what stays: `delete` does not apply",
        ));
    }
    let mut txn = scheduler.txn();
    for (key, value) in request.put {
        txn = txn.put(key, Value::from_json(value));
    }
    for key in request.delete {
        txn = txn.delete(key);
    }
    if request.resync {
        txn = txn.with_resync(ResyncKind::Full);
    }
    match tokio::time::timeout(DRY_RUN_TIMEOUT, txn.simulate()).await {
        Ok(Ok(planned)) => Ok(Json(planned)),
        Ok(Err(TxnError::Closed)) => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the scheduler is stopped",
        )),
        Ok(Err(err)) => Err(ApiError::from_error(StatusCode::BAD_REQUEST, &err)),
        Err(_) => Err(ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            format!("the scheduler did not plan within {DRY_RUN_TIMEOUT:?}"),
        )),
    }
}
