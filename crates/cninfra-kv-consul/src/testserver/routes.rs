//! The HTTP routes of the test server.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};

use super::Shared;
use super::state::Kv;
use super::txn::{self, EntryOut, Refused, TxnOpIn};

type Params = Query<HashMap<String, String>>;

/// Consul's default and longest blocking wait.
const DEFAULT_WAIT: Duration = Duration::from_secs(300);
const MAX_WAIT: Duration = Duration::from_secs(600);
/// Consul's limit of operations per transaction.
const MAX_TXN_OPS: usize = 128;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    // Large enough that the handlers see oversized bodies and answer as Consul does.
    let body_limit = shared
        .options
        .kv_max_value_size
        .max(shared.options.txn_max_req_len)
        .saturating_mul(4)
        .saturating_add(4096);
    Router::new()
        .route(
            "/v1/kv/",
            get(kv_get_root).put(kv_put_root).delete(kv_delete_root),
        )
        .route("/v1/kv/{*key}", get(kv_get).put(kv_put).delete(kv_delete))
        .route("/v1/txn", put(txn_put))
        .route(
            "/v1/status/peers",
            get(|| async { json(&["127.0.0.1:8300"]) }),
        )
        .route(
            "/v1/status/leader",
            get(|| async { json(&"127.0.0.1:8300") }),
        )
        .layer(middleware::from_fn_with_state(
            Arc::clone(&shared),
            check_acl_and_dc,
        ))
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(shared)
}

/// `403` without the configured token, `500` for another datacenter.
async fn check_acl_and_dc(
    State(shared): State<Arc<Shared>>,
    Query(params): Params,
    request: Request,
    next: Next,
) -> Response {
    if let Some(token) = &shared.options.token {
        let given = request
            .headers()
            .get("x-consul-token")
            .and_then(|v| v.to_str().ok())
            .or(params.get("token").map(String::as_str));
        if given != Some(token.as_str()) {
            return (StatusCode::FORBIDDEN, "ACL not found").into_response();
        }
    }
    if params
        .get("dc")
        .is_some_and(|dc| *dc != shared.options.datacenter)
    {
        return (StatusCode::INTERNAL_SERVER_ERROR, "No path to datacenter").into_response();
    }
    next.run(request).await
}

fn json<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => ([(header::CONTENT_TYPE, "application/json")], body).into_response(),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err.to_string()).into_response(),
    }
}

fn with_index(mut response: Response, index: u64) -> Response {
    let headers = response.headers_mut();
    headers.insert("x-consul-index", HeaderValue::from(index));
    headers.insert("x-consul-knownleader", HeaderValue::from_static("true"));
    headers.insert("x-consul-lastcontact", HeaderValue::from_static("0"));
    response
}

fn bad_request(text: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, text.into()).into_response()
}

/// Go-style durations as Consul reads `wait`: `10s`, `250ms`, `5m`, `1h`.
fn parse_wait(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let unit_nanos: u64 = match unit {
        "ns" => 1,
        "us" | "µs" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    };
    Some(Duration::from_nanos(number.checked_mul(unit_nanos)?))
}

/// A refusal: status and text (small, unlike a whole [`Response`]).
struct Reject(StatusCode, String);

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        (self.0, self.1).into_response()
    }
}

fn number(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>, Reject> {
    params
        .get(name)
        .map(|v| v.parse::<u64>())
        .transpose()
        .map_err(|_| Reject(StatusCode::BAD_REQUEST, format!("Invalid {name} parameter")))
}

/// Waits (for a blocking query) until `index_of` passes `min` or the wait ends.
async fn block(
    shared: &Shared,
    params: &HashMap<String, String>,
    index_of: impl Fn(&Kv) -> u64,
) -> Result<(), Reject> {
    let Some(min) = number(params, "index")? else {
        return Ok(());
    };
    let wait = match params.get("wait") {
        Some(text) => parse_wait(text)
            .ok_or_else(|| Reject(StatusCode::BAD_REQUEST, "Invalid wait time".into()))?,
        None => DEFAULT_WAIT,
    }
    .min(MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    let serving = shared.serving.lock().clone();
    let mut changes = shared.changes.subscribe();
    let _blocked = Blocked::enter(shared);
    let generation = shared.kv.lock().generation;
    loop {
        {
            let kv = shared.kv.lock();
            if index_of(&kv) > min || kv.generation != generation {
                return Ok(());
            }
        }
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { return Ok(()) },
            () = tokio::time::sleep_until(deadline) => return Ok(()),
            () = serving.cancelled() => {
                return Err(Reject(StatusCode::SERVICE_UNAVAILABLE, "server shutting down".into()));
            }
        }
    }
}

/// Counts a waiting blocking query while it lives.
struct Blocked<'a>(&'a AtomicUsize);

impl<'a> Blocked<'a> {
    fn enter(shared: &'a Shared) -> Self {
        shared.blocked.fetch_add(1, Ordering::SeqCst);
        Self(&shared.blocked)
    }
}

impl Drop for Blocked<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn kv_get_root(state: State<Arc<Shared>>, params: Params) -> Response {
    kv_get(state, Path(String::new()), params).await
}

async fn kv_get(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Query(params): Params,
) -> Response {
    let tree = params.contains_key("recurse") || params.contains_key("keys");
    let index_of = |kv: &Kv| {
        if tree {
            kv.list_index(&key)
        } else {
            kv.table_index
        }
    };
    if let Err(reject) = block(&shared, &params, index_of).await {
        return reject.into_response();
    }
    let kv = shared.kv.lock();
    let index = index_of(&kv);
    let response = if params.contains_key("keys") {
        let separator = params.get("separator").filter(|s| !s.is_empty());
        let mut keys: Vec<String> = Vec::new();
        for (found, _) in kv.under(&key) {
            let rolled = match separator {
                Some(sep) => match found[key.len()..].find(sep.as_str()) {
                    Some(at) => found[..key.len() + at + sep.len()].to_owned(),
                    None => found.clone(),
                },
                None => found.clone(),
            };
            if keys.last() != Some(&rolled) {
                keys.push(rolled);
            }
        }
        if keys.is_empty() {
            StatusCode::NOT_FOUND.into_response()
        } else {
            json(&keys)
        }
    } else if params.contains_key("recurse") {
        let entries: Vec<EntryOut> = kv
            .under(&key)
            .map(|(k, e)| EntryOut::new(k, e, true))
            .collect();
        if entries.is_empty() {
            StatusCode::NOT_FOUND.into_response()
        } else {
            json(&entries)
        }
    } else {
        match kv.entries.get(&key) {
            Some(entry) => json(&[EntryOut::new(&key, entry, true)]),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    };
    with_index(response, index)
}

async fn kv_put_root(state: State<Arc<Shared>>, params: Params, body: Bytes) -> Response {
    kv_put(state, Path(String::new()), params, body).await
}

async fn kv_put(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Query(params): Params,
    body: Bytes,
) -> Response {
    if key.is_empty() {
        return bad_request("Missing key name");
    }
    let limit = shared.options.kv_max_value_size;
    if body.len() > limit {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Value exceeds {limit} byte limit"),
        )
            .into_response();
    }
    let (cas, flags) = match (number(&params, "cas"), number(&params, "flags")) {
        (Ok(cas), Ok(flags)) => (cas, flags.unwrap_or(0)),
        (Err(reject), _) | (_, Err(reject)) => return reject.into_response(),
    };
    let mut kv = shared.kv.lock();
    if let Some(cas) = cas {
        let current = kv.entries.get(&key).map(|e| e.modify_index);
        if current.unwrap_or(0) != cas {
            return json(&false);
        }
    }
    let index = kv.next_index();
    kv.set(&key, body.to_vec(), flags, index);
    kv.commit(index);
    drop(kv);
    shared.changes.send_replace(index);
    json(&true)
}

async fn kv_delete_root(state: State<Arc<Shared>>, params: Params) -> Response {
    kv_delete(state, Path(String::new()), params).await
}

async fn kv_delete(
    State(shared): State<Arc<Shared>>,
    Path(key): Path<String>,
    Query(params): Params,
) -> Response {
    let recurse = params.contains_key("recurse");
    if key.is_empty() && !recurse {
        return bad_request("Missing key name");
    }
    let cas = match number(&params, "cas") {
        Ok(cas) => cas,
        Err(reject) => return reject.into_response(),
    };
    let mut kv = shared.kv.lock();
    if let Some(cas) = cas {
        if recurse {
            return bad_request("Conflicting flags: cas and recurse");
        }
        let current = kv.entries.get(&key).map(|e| e.modify_index);
        if current != Some(cas) {
            return json(&false);
        }
    }
    let index = kv.next_index();
    if recurse {
        kv.delete_tree(&key, index);
    } else {
        kv.delete(&key, index);
    }
    kv.commit(index);
    drop(kv);
    shared.changes.send_replace(index);
    json(&true)
}

async fn txn_put(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let max = shared.options.txn_max_req_len;
    if body.len() > max {
        let text = format!(
            "Request body({} bytes) too large, max size: {max} bytes",
            body.len()
        );
        return (StatusCode::PAYLOAD_TOO_LARGE, text).into_response();
    }
    let ops: Vec<TxnOpIn> = match serde_json::from_slice(&body) {
        Ok(ops) => ops,
        Err(err) => return bad_request(format!("Failed to parse body: {err}")),
    };
    if ops.len() > MAX_TXN_OPS {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "Transaction contains too many operations ({} > {MAX_TXN_OPS})",
                ops.len()
            ),
        )
            .into_response();
    }
    let mut kv = shared.kv.lock();
    let outcome = txn::run(&mut kv, &ops, shared.options.kv_max_value_size);
    let index = kv.last_index;
    drop(kv);
    match outcome {
        Err(Refused::BadRequest(text)) => bad_request(text),
        Err(Refused::TooLarge(text)) => (StatusCode::PAYLOAD_TOO_LARGE, text).into_response(),
        Ok((Ok(results), wrote)) => {
            if wrote {
                shared.changes.send_replace(index);
            }
            json(&serde_json::json!({ "Results": results, "Errors": null }))
        }
        Ok((Err(errors), _)) => {
            let mut response = json(&serde_json::json!({ "Results": null, "Errors": errors }));
            *response.status_mut() = StatusCode::CONFLICT;
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_parse_like_go_durations() {
        assert_eq!(parse_wait("10s"), Some(Duration::from_secs(10)));
        assert_eq!(parse_wait("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_wait("5m"), Some(Duration::from_secs(300)));
        assert_eq!(parse_wait("5"), None);
        assert_eq!(parse_wait("s"), None);
    }
}
