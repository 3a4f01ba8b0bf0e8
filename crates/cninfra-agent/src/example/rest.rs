//! The example's REST view: `GET /example/v1/items[?kind=<kind>]` and
//! `GET /example/v1/items/{name}`.

use std::collections::{BTreeMap, HashMap};

use cninfra::prelude::*;
use cninfra::rpc::axum::extract::{Path, Query, State};
use cninfra::rpc::axum::http::StatusCode;
use cninfra::rpc::axum::{Json, Router};
use cninfra::rpc::rest::ApiError;

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
) -> Result<Json<BTreeMap<String, Entry>>, ApiError> {
    let items = match query.get("kind") {
        Some(kind) => view
            .of_kind(kind)
            .map_err(|err| ApiError::from_error(StatusCode::INTERNAL_SERVER_ERROR, &err))?,
        None => view.all(),
    };
    Ok(Json(items))
}

async fn one(
    State(view): State<ItemView>,
    Path(name): Path<String>,
) -> Result<Json<Entry>, ApiError> {
    view.get(&name)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no item `{name}`")))
}
