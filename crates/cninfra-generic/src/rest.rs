//! The generic API over REST: the same requests and responses as proto3 JSON on the
//! agent's HTTP server.
//!
//! | method, path | gRPC equivalent | parameters |
//! |---|---|---|
//! | GET `/v1/config` | `GetConfig` | `model`, `name` (an id; `model` alone: every item of it), repeated `label` (`key=value`, `key`, `!key`, `!key=value`) |
//! | PUT, POST `/v1/config` | `SetConfig` | body `SetConfigRequest`; `wait=true`, `timeout=5s`; header `datasrc` |
//! | PUT, POST `/v1/config/resync` | `SetConfig` with `overwrite_all` | as above |
//! | GET `/v1/state` | `DumpState` | `model`, `name` |
//! | GET `/v1/models` | `KnownModels` | `class` |
//!
//! As over gRPC, the configuration is answered as set: the fields a model marks secret
//! keep their real values here (this is the API clients read their configuration back
//! with); `KnownModels` names them in the option
//! [`SECRET_FIELDS_OPTION`](crate::SECRET_FIELDS_OPTION) so that tools redact what they
//! print. See `docs/security.md`.

use std::collections::HashMap;
use std::time::Duration;

use cninfra_rpc::axum::body::Bytes;
use cninfra_rpc::axum::extract::{Query, State};
use cninfra_rpc::axum::http::{HeaderMap, HeaderValue};
use cninfra_rpc::axum::response::{IntoResponse, Response};
use cninfra_rpc::axum::routing::get;
use cninfra_rpc::axum::{Json, Router};
use cninfra_rpc::rest::ApiError;

use crate::api::{DEFAULT_WAIT, GenericApi, SetOptions};
use crate::grpc::{DATASRC_METADATA, SEQNUM_METADATA, parse_bool};
use crate::pb::{DumpStateRequest, GetConfigRequest, KnownModelsRequest, SetConfigRequest, item};

/// Path of GetConfig (GET) and SetConfig (PUT, POST).
pub const CONFIG_PATH: &str = "/v1/config";
/// Path of SetConfig with `overwrite_all` (PUT, POST).
pub const RESYNC_PATH: &str = "/v1/config/resync";
/// Path of DumpState (GET).
pub const STATE_PATH: &str = "/v1/state";
/// Path of KnownModels (GET).
pub const MODELS_PATH: &str = "/v1/models";

/// The router of the REST API over `api`.
pub fn router(api: GenericApi) -> Router {
    Router::new()
        .route(
            CONFIG_PATH,
            get(get_config).put(set_config).post(set_config),
        )
        .route(RESYNC_PATH, get(not_a_read).put(resync).post(resync))
        .route(STATE_PATH, get(dump_state))
        .route(MODELS_PATH, get(known_models))
        .with_state(api)
}

type Params = Query<Vec<(String, String)>>;

/// The values of the parameter `name`.
fn values<'p>(params: &'p [(String, String)], name: &str) -> impl Iterator<Item = &'p str> {
    params
        .iter()
        .filter(move |(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Refuses parameters other than `known`, naming them.
fn check_known(params: &[(String, String)], known: &[&str]) -> Result<(), ApiError> {
    match params
        .iter()
        .find(|(key, _)| !known.contains(&key.as_str()))
    {
        Some((key, _)) => Err(ApiError::bad_request(format!(
            "unknown parameter `{key}` (known: {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// The id filter of `model` and `name`.
fn ids(params: &[(String, String)]) -> Result<Vec<item::Id>, ApiError> {
    let models: Vec<&str> = values(params, "model").collect();
    let names: Vec<&str> = values(params, "name").collect();
    match (models.as_slice(), names.as_slice()) {
        ([], []) => Ok(Vec::new()),
        ([model], names) if names.len() <= 1 => Ok(vec![item::Id {
            model: (*model).to_owned(),
            name: names.first().map(|n| (*n).to_owned()).unwrap_or_default(),
        }]),
        ([], _) => Err(ApiError::bad_request("`name` needs a `model`")),
        _ => Err(ApiError::bad_request(
            "give one `model`, and at most one `name`",
        )),
    }
}

/// A JSON answer.
fn json<T: serde::Serialize>(value: &T) -> Result<Response, ApiError> {
    let body = serde_json::to_value(value).map_err(|err| {
        ApiError::new(
            cninfra_rpc::axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("the answer cannot be written as JSON: {err}"),
        )
    })?;
    Ok(Json(body).into_response())
}

async fn get_config(
    State(api): State<GenericApi>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    check_known(&params, &["model", "name", "label"])?;
    let mut labels = HashMap::new();
    for label in values(&params, "label") {
        let (key, value) = label.split_once('=').unwrap_or((label, ""));
        if key.is_empty() || key == "!" {
            return Err(ApiError::bad_request(format!(
                "label filter `{label}`: the label key is empty"
            )));
        }
        labels.insert(key.to_owned(), value.to_owned());
    }
    let request = GetConfigRequest {
        ids: ids(&params)?,
        labels,
    };
    json(&api.get_config(&request)?)
}

async fn set_config(
    State(api): State<GenericApi>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    apply(api, params, headers, body, false).await
}

async fn resync(
    State(api): State<GenericApi>,
    Query(params): Params,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    apply(api, params, headers, body, true).await
}

async fn not_a_read() -> ApiError {
    ApiError::new(
        cninfra_rpc::axum::http::StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{RESYNC_PATH} takes PUT or POST with the whole configuration; GET {CONFIG_PATH} reads it"
        ),
    )
}

async fn apply(
    api: GenericApi,
    params: Vec<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
    overwrite_all: bool,
) -> Result<Response, ApiError> {
    check_known(&params, &["wait", "timeout"])?;
    let mut request: SetConfigRequest = cninfra_models::json::decode(&body)
        .map_err(|err| ApiError::bad_request(format!("request body: {err}")))?;
    request.overwrite_all |= overwrite_all;
    let mut options = SetOptions::default();
    if let Some(source) = headers.get(DATASRC_METADATA) {
        let source = source.to_str().map_err(|_| {
            ApiError::bad_request(format!("header `{DATASRC_METADATA}` is not text"))
        })?;
        source.clone_into(&mut options.source);
    }
    let wait = match values(&params, "wait").last() {
        None => false,
        Some(value) => parse_bool(value).ok_or_else(|| {
            ApiError::bad_request(format!("`wait`: `{value}` is not true or false"))
        })?,
    };
    let timeout = match values(&params, "timeout").last() {
        None => DEFAULT_WAIT,
        Some(text) => humantime::parse_duration(text).map_err(|err| {
            ApiError::bad_request(format!("`timeout`: `{text}` is not a duration: {err}"))
        })?,
    };
    if wait {
        options.wait_until =
            Some(tokio::time::Instant::now() + timeout.min(Duration::from_secs(3600)));
    }
    let outcome = api.set_config(request, options).await?;
    let mut response = json(&outcome.response)?;
    if let Some(seq) = outcome.seq {
        response
            .headers_mut()
            .insert(SEQNUM_METADATA, HeaderValue::from(seq));
    }
    Ok(response)
}

async fn dump_state(
    State(api): State<GenericApi>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    check_known(&params, &["model", "name"])?;
    let request = DumpStateRequest { ids: ids(&params)? };
    json(&api.dump_state(&request).await?)
}

async fn known_models(
    State(api): State<GenericApi>,
    Query(params): Params,
) -> Result<Response, ApiError> {
    check_known(&params, &["class"])?;
    let request = KnownModelsRequest {
        class: values(&params, "class")
            .last()
            .unwrap_or_default()
            .to_owned(),
    };
    json(&api.known_models(&request))
}
