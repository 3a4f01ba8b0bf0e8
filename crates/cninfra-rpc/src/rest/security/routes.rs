//! Upstream's `/auth` routes: the login form, login by JSON (token as text), login by form
//! (token in a cookie, for browsers) and logout.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use tracing::{info, warn};

use super::users::{AuthFailure, COOKIE_NAME, TokenAuth};
use crate::rest::HttpPlugin;

/// Where the routes sit; they need no token.
pub(crate) const AUTH_PREFIX: &str = "/auth/";

/// A login (`POST /auth/login` as JSON, `/auth/authenticate` as a form) or logout
/// (`username` only).
#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// The routes, on `auth`.
pub(crate) fn router(auth: Arc<TokenAuth>) -> Router {
    Router::new()
        .route("/auth/login", get(form).post(login))
        .route("/auth/authenticate", post(authenticate))
        .route("/auth/logout", post(logout))
        .with_state(auth)
}

fn text(status: StatusCode, body: impl Into<String>) -> Response {
    (status, body.into()).into_response()
}

/// Checks the password on a blocking thread (bcrypt is slow by design).
async fn token_for(auth: Arc<TokenAuth>, credentials: Credentials) -> Result<String, Response> {
    let user = credentials.username.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        auth.login(&credentials.username, &credentials.password)
    })
    .await;
    match outcome {
        Ok(Ok(token)) => {
            info!(target: HttpPlugin::NAME, %user, "user logged in");
            Ok(token)
        }
        Ok(Err(failure)) => {
            warn!(target: HttpPlugin::NAME, %user, "authentication failed");
            Err(text(StatusCode::UNAUTHORIZED, failure.to_string()))
        }
        Err(_) => Err(text(StatusCode::INTERNAL_SERVER_ERROR, "login failed")),
    }
}

async fn form() -> Html<&'static str> {
    Html(LOGIN_FORM)
}

async fn login(
    State(auth): State<Arc<TokenAuth>>,
    body: Result<Json<Credentials>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(credentials)) = body else {
        return text(StatusCode::BAD_REQUEST, "decoding credentials failed");
    };
    match token_for(auth, credentials).await {
        Ok(token) => text(StatusCode::OK, token),
        Err(response) => response,
    }
}

async fn authenticate(
    State(auth): State<Arc<TokenAuth>>,
    Form(credentials): Form<Credentials>,
) -> Response {
    let max_age = auth.lifetime().as_secs();
    match token_for(auth, credentials).await {
        Ok(token) => (
            StatusCode::MOVED_PERMANENTLY,
            [
                (
                    header::SET_COOKIE,
                    format!(
                        "{COOKIE_NAME}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict"
                    ),
                ),
                (header::LOCATION, "/".to_owned()),
            ],
        )
            .into_response(),
        Err(response) => response,
    }
}

async fn logout(
    State(auth): State<Arc<TokenAuth>>,
    body: Result<Json<Credentials>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(credentials)) = body else {
        return text(StatusCode::BAD_REQUEST, "failed to decode json");
    };
    auth.logout(&credentials.username);
    info!(target: HttpPlugin::NAME, user = %credentials.username, "user logged out");
    StatusCode::OK.into_response()
}

impl AuthFailure {
    /// The status code upstream answers this failure with.
    pub(crate) fn status(&self) -> StatusCode {
        match self {
            AuthFailure::Denied => StatusCode::FORBIDDEN,
            _ => StatusCode::UNAUTHORIZED,
        }
    }
}

const LOGIN_FORM: &str = r#"<!DOCTYPE html>
<html lang="en">
<head>
    <title>Login</title>
</head>
<body>
<div class="form">
    <h2>Login</h2>
    <form method="post" action="authenticate">
        <label for="username">Username</label>
        <input type="text" id="username" name="username"> <br/>
        <label for="password">Password</label>
        <input type="password" id="password" name="password">  <br/>
        <button type="submit">Login</button>
     </form>
</div>
</body>
</html>
"#;
