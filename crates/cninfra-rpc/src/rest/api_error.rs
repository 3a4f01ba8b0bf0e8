//! [`ApiError`]: how every REST endpoint answers a failure.

use std::fmt;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cninfra_core::ErrorChain;
use serde_json::{Map, Value};

/// A failed REST call: a status code and the JSON body `{"error": "<message>"}`, with any
/// fields that help the caller fix the request (`"levels": [...]`) next to `error`.
///
/// Handlers return `Result<_, ApiError>`; an error type of a crate becomes one through
/// [`from_error`](Self::from_error), which picks the status and keeps the whole chain of
/// causes in the message.
///
/// # Examples
/// ```
/// use cninfra_rpc::axum::http::StatusCode;
/// use cninfra_rpc::rest::ApiError;
///
/// let err = ApiError::not_found("no item `a`").with_field("items", vec!["b", "c"]);
/// assert_eq!(err.status(), StatusCode::NOT_FOUND);
/// assert_eq!(err.message(), "no item `a`");
/// ```
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    fields: Map<String, Value>,
}

impl ApiError {
    /// An answer of `status` saying `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            fields: Map::new(),
        }
    }

    /// An answer of `status` saying what `err` says, followed by its causes
    /// (`message: cause: deeper cause`).
    pub fn from_error(status: StatusCode, err: &(dyn std::error::Error + 'static)) -> Self {
        Self::new(status, ErrorChain(err).to_string())
    }

    /// `400 Bad Request`: the request itself is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// `404 Not Found`: the thing asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// Adds `name` next to `error` in the body (a later `name` replaces an earlier one;
    /// `error` itself cannot be replaced).
    pub fn with_field(mut self, name: &str, value: impl Into<Value>) -> Self {
        if name != "error" {
            self.fields.insert(name.to_owned(), value.into());
        }
        self
    }

    /// The status code of the answer.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `error` text of the answer.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Map::with_capacity(self.fields.len() + 1);
        body.insert("error".to_owned(), Value::String(self.message));
        body.extend(self.fields);
        (self.status, Json(Value::Object(body))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(err: ApiError) -> (StatusCode, Value) {
        let response = err.into_response();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read `a.conf`")]
    struct ReadFailed(#[source] std::io::Error);

    #[tokio::test]
    async fn the_body_holds_the_error_chain_and_the_extra_fields() {
        let err = ReadFailed(std::io::Error::other("disk full"));
        let answer = ApiError::from_error(StatusCode::SERVICE_UNAVAILABLE, &err)
            .with_field("retry", true)
            .with_field("error", "replaced?");
        assert_eq!(
            body(answer).await,
            (
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({"error": "cannot read `a.conf`: disk full", "retry": true})
            )
        );
    }
}
