//! The example's REST view: `GET /example/v1/items[?kind=<kind>]` and
//! `GET /example/v1/items/{name}`.

use std::collections::{BTreeMap, HashMap};

use cninfra::prelude::*;
use cninfra::rpc::axum::extract::{Path, Query, State};
use cninfra::rpc::axum::http::StatusCode;
use cninfra::rpc::axum::response::{IntoResponse, Response};
use cninfra::rpc::axum::{Json, Router};

use super::items::{Entry, ItemView};

/// The routes, served by the agent's HTTP plugin.
pub(crate) fn router(view: ItemView) -> Router {
    Router::new()
        .route("/example/v1/items", get(list))
        .route("/example/v1/items/{name}", get(one))
        .with_state(view)
}

async fn list(
    State(view): State<ItemView>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let items: BTreeMap<String, Entry> = match query.get("kind") {
        Some(kind) => match view.of_kind(kind) {
            Ok(items) => items,
            Err(err) => {
                return (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response();
            }
        },
        None => view.all(),
    };
    Json(items).into_response()
}

async fn one(State(view): State<ItemView>, Path(name): Path<String>) -> Response {
    match view.get(&name) {
        Some(item) => Json(item).into_response(),
        None => (StatusCode::NOT_FOUND, format!("no item `{name}`")).into_response(),
    }
}
