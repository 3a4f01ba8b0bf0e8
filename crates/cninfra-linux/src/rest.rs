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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::Request;
    use cninfra_kvscheduler::SchedulerConfig;
    use cninfra_netlink::FakeNetlink;
    use http_body_util::BodyExt;
    use serde_json::json;
    use tower::ServiceExt;

    use super::*;
    use crate::{Linux, LinuxConfig, models};

    #[tokio::test]
    async fn a_dry_run_answers_the_operations_and_changes_nothing() {
        let scheduler = Scheduler::new(SchedulerConfig::default()).unwrap();
        let kernel = Arc::new(FakeNetlink::new());
        let config = LinuxConfig {
            state_dir: std::env::temp_dir().join("cninfra-linux-dry-run"),
            ..LinuxConfig::default()
        };
        let _linux = Linux::register(&scheduler, kernel.clone(), &config, "/vnf-agent/t/").unwrap();
        let body = json!({"put": {
            models::interface_key("d0"): {"name": "d0", "type": "DUMMY", "enabled": true, "ip_addresses": ["10.1.0.1/24"]},
            models::route_key("10.2.0.0/24", "d0"): {"outgoing_interface": "d0", "dst_network": "10.2.0.0/24", "gw_addr": "10.1.0.2"},
        }});
        let request = Request::post("/linux/dry-run")
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        let response = router(scheduler.clone()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let planned: Vec<serde_json::Value> = serde_json::from_slice(&bytes).unwrap();
        let keys: Vec<&str> = planned.iter().filter_map(|op| op["key"].as_str()).collect();
        assert!(
            keys.contains(&models::interface_key("d0").as_str()),
            "{keys:?}"
        );
        assert!(
            keys.contains(&"linux/interface/d0/address/static/10.1.0.1/24"),
            "{keys:?}"
        );
        assert_eq!(
            keys.last().copied(),
            Some(models::route_key("10.2.0.0/24", "d0").as_str())
        );
        assert!(kernel.mutations().is_empty(), "{:?}", kernel.mutations());
        assert_eq!(
            scheduler.status(&models::interface_key("d0")).value.state,
            cninfra_kvscheduler::ValueState::Nonexistent
        );
    }
}
