//! The request guard, in upstream's order: authentication (token or basic) → permission
//! check (token mode) → rate limiter keyed by user or address. Public routes (the probes)
//! and upstream's `/auth/` routes skip what does not apply to them.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::warn;

use super::HttpPlugin;
use super::auth::{AuthenticatedUser, BasicAuth};
use super::limit::RateLimiter;
use super::security::{AUTH_PREFIX, TokenAuth};

/// Upstream's header naming the authenticated user.
pub const HEADER_USERNAME: &str = "X-Ligato-Auth-Username";

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub(super) enum Auth {
    /// Not at all.
    None,
    /// Static basic authentication.
    Basic(BasicAuth),
    /// Tokens and permission groups.
    Token(Arc<TokenAuth>),
}

/// What the guard checks; built in `init`, completed with the public paths when serving
/// starts.
#[derive(Debug, Clone)]
pub(super) struct Guard {
    auth: Auth,
    limiter: Option<Arc<RateLimiter>>,
    public: Arc<HashSet<String>>,
}

impl Guard {
    pub(super) fn new(auth: Auth, limiter: Option<RateLimiter>) -> Self {
        Self {
            auth,
            limiter: limiter.map(Arc::new),
            public: Arc::default(),
        }
    }

    /// Paths that need no credentials and are not limited.
    pub(super) fn with_public(mut self, paths: impl IntoIterator<Item = String>) -> Self {
        self.public = Arc::new(paths.into_iter().collect());
        self
    }

    /// Whether the guard checks anything.
    pub(super) fn is_active(&self) -> bool {
        !matches!(self.auth, Auth::None) || self.limiter.is_some()
    }

    pub(super) fn token_auth(&self) -> Option<&Arc<TokenAuth>> {
        match &self.auth {
            Auth::Token(auth) => Some(auth),
            _ => None,
        }
    }

    /// The user of the request, or the answer that refuses it.
    fn authenticate(&self, request: &Request) -> Result<Option<String>, Box<Response>> {
        let path = request.uri().path();
        match &self.auth {
            Auth::None => Ok(None),
            Auth::Basic(basic) => basic.check(request).map(Some).ok_or_else(|| {
                Box::new(
                    (
                        StatusCode::UNAUTHORIZED,
                        [(header::WWW_AUTHENTICATE, "Basic realm=\"cninfra\"")],
                        "authentication required\n",
                    )
                        .into_response(),
                )
            }),
            Auth::Token(_) if path.starts_with(AUTH_PREFIX) => Ok(None),
            Auth::Token(auth) => {
                let user = auth.authorize(request.headers()).map_err(|failure| {
                    warn!(target: HttpPlugin::NAME, %path, reason = %failure, "authorization failed");
                    Box::new((failure.status(), format!("{failure}\n")).into_response())
                })?;
                auth.permit(&user, path, request.method().as_str())
                    .map_err(|failure| {
                        warn!(target: HttpPlugin::NAME, %user, %path, "permission denied");
                        Box::new((failure.status(), format!("{failure}\n")).into_response())
                    })?;
                Ok(Some(user))
            }
        }
    }
}

/// The middleware.
pub(super) async fn check(
    State(guard): State<Guard>,
    mut request: Request,
    next: Next,
) -> Response {
    if guard.public.contains(request.uri().path()) {
        return next.run(request).await;
    }
    let user = match guard.authenticate(&request) {
        Ok(user) => user,
        Err(refusal) => return *refusal,
    };
    if let Some(limiter) = &guard.limiter {
        let client = user.clone().unwrap_or_else(|| {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(String::new, |ConnectInfo(addr)| addr.ip().to_string())
        });
        if let Err(refusal) = limiter.check(&client) {
            return *refusal;
        }
    }
    if let Some(user) = &user {
        request
            .extensions_mut()
            .insert(AuthenticatedUser(user.clone()));
    }
    let mut response = next.run(request).await;
    if let Some(user) = user
        && let Ok(value) = HeaderValue::try_from(user)
    {
        response.headers_mut().insert(HEADER_USERNAME, value);
    }
    if let Some(limiter) = &guard.limiter {
        response.headers_mut().extend(limiter.headers().clone());
    }
    response
}
