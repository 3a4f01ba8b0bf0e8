//! Authentication: basic, bearer token, or a client certificate naming the user.

use std::sync::Arc;
use std::task::{Context, Poll};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::future::{Either, Ready, ready};
use http::{Request, Response, header};
use tonic::Status;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo, UdsConnectInfo};
use tower::{Layer, Service};

use super::is_health;
use crate::config::AuthConfig;

/// The caller a call was authenticated as. Services read it from the request:
/// `request.extensions().get::<AuthenticatedUser>()` (`None` when the server has no
/// authentication configured).
///
/// # Examples
/// ```
/// use cninfra_grpc::AuthenticatedUser;
///
/// fn caller<T>(request: &tonic::Request<T>) -> &str {
///     request.extensions().get::<AuthenticatedUser>().map_or("", AuthenticatedUser::name)
/// }
/// # let _ = caller::<()>;
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuthenticatedUser(Arc<str>);

impl AuthenticatedUser {
    /// The user's name: the configured `username` (also for bearer tokens, `bearer` when
    /// no username is configured).
    pub fn name(&self) -> &str {
        &self.0
    }
}

/// The configured credentials.
#[derive(Debug)]
pub(crate) struct Credentials {
    /// `username` and `password`, when both are set.
    basic: Option<(String, String)>,
    /// The token, when set.
    token: Option<String>,
    /// The user a basic or certificate caller is.
    user: AuthenticatedUser,
    /// The user a token caller is.
    token_user: AuthenticatedUser,
}

impl Credentials {
    /// The credentials of `config`, `None` when authentication is off.
    pub(crate) fn from_config(config: &AuthConfig) -> Option<Arc<Self>> {
        if !config.is_on() {
            return None;
        }
        let user = AuthenticatedUser(Arc::from(config.username.as_str()));
        let token_user = if config.username.is_empty() {
            AuthenticatedUser(Arc::from("bearer"))
        } else {
            user.clone()
        };
        Some(Arc::new(Self {
            basic: (!config.username.is_empty() && !config.password.is_empty())
                .then(|| (config.username.clone(), config.password.clone())),
            token: (!config.token.is_empty()).then(|| config.token.clone()),
            user,
            token_user,
        }))
    }

    /// The caller of `request`, whose `authorization` header is removed once checked.
    fn check<B>(&self, request: &mut Request<B>) -> Result<AuthenticatedUser, Status> {
        let Some(value) = request.headers_mut().remove(header::AUTHORIZATION) else {
            return self.client_certificate(request).ok_or_else(|| {
                Status::unauthenticated(
                    "missing credentials: send `authorization: Basic …` or `Bearer …`",
                )
            });
        };
        let invalid = || Status::unauthenticated("invalid credentials");
        let value = value.to_str().map_err(|_| invalid())?;
        let (scheme, rest) = value.split_once(' ').ok_or_else(invalid)?;
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("bearer") {
            match &self.token {
                Some(token) if same_bytes(token.as_bytes(), rest.as_bytes()) => {
                    Ok(self.token_user.clone())
                }
                _ => Err(invalid()),
            }
        } else if scheme.eq_ignore_ascii_case("basic") {
            let (user, password) = self.basic.as_ref().ok_or_else(invalid)?;
            let decoded = STANDARD.decode(rest).map_err(|_| invalid())?;
            let (given_user, given_password) = std::str::from_utf8(&decoded)
                .ok()
                .and_then(|pair| pair.split_once(':'))
                .ok_or_else(invalid)?;
            let user_ok = same_bytes(user.as_bytes(), given_user.as_bytes());
            let password_ok = same_bytes(password.as_bytes(), given_password.as_bytes());
            if user_ok && password_ok {
                Ok(self.user.clone())
            } else {
                Err(invalid())
            }
        } else {
            Err(invalid())
        }
    }

    /// The user, when the client presented a (verified) certificate whose subject common
    /// name is the configured username.
    fn client_certificate<B>(&self, request: &Request<B>) -> Option<AuthenticatedUser> {
        if self.user.name().is_empty() {
            return None;
        }
        let extensions = request.extensions();
        let certs = extensions
            .get::<TlsConnectInfo<TcpConnectInfo>>()
            .and_then(TlsConnectInfo::peer_certs)
            .or_else(|| {
                extensions
                    .get::<TlsConnectInfo<UdsConnectInfo>>()
                    .and_then(TlsConnectInfo::peer_certs)
            })?;
        let leaf = certs.first()?;
        let (_, parsed) = x509_parser::parse_x509_certificate(leaf.as_ref()).ok()?;
        let common_name = parsed.subject().iter_common_name().next()?.as_str().ok()?;
        (common_name == self.user.name()).then(|| self.user.clone())
    }
}

/// Compares without stopping at the first difference, so timing tells little.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Refuses calls without valid credentials with `UNAUTHENTICATED`.
#[derive(Debug, Clone)]
pub(crate) struct AuthLayer {
    credentials: Option<Arc<Credentials>>,
}

impl AuthLayer {
    /// The layer; `None` lets every call through.
    pub(crate) fn new(credentials: Option<Arc<Credentials>>) -> Self {
        Self { credentials }
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = AuthService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AuthService {
            inner,
            credentials: self.credentials.clone(),
        }
    }
}

/// The service made by [`AuthLayer`].
#[derive(Debug, Clone)]
pub(crate) struct AuthService<S> {
    inner: S,
    credentials: Option<Arc<Credentials>>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for AuthService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<Ready<Result<S::Response, S::Error>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let Some(credentials) = &self.credentials else {
            return Either::Right(self.inner.call(request));
        };
        if is_health(&request) {
            return Either::Right(self.inner.call(request));
        }
        match credentials.check(&mut request) {
            Ok(user) => {
                request.extensions_mut().insert(user);
                Either::Right(self.inner.call(request))
            }
            Err(status) => Either::Left(ready(Ok(status.into_http()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(username: &str, password: &str, token: &str) -> Arc<Credentials> {
        Credentials::from_config(&AuthConfig {
            username: username.into(),
            password: password.into(),
            token: token.into(),
        })
        .expect("auth on")
    }

    fn check(
        credentials: &Credentials,
        authorization: Option<&str>,
    ) -> Result<String, tonic::Code> {
        let mut builder = Request::builder().uri("/a.B/C");
        if let Some(value) = authorization {
            builder = builder.header(header::AUTHORIZATION, value);
        }
        let mut request = builder.body(()).unwrap();
        let outcome = credentials
            .check(&mut request)
            .map(|user| user.name().to_owned())
            .map_err(|status| status.code());
        assert!(
            request.headers().get(header::AUTHORIZATION).is_none(),
            "header stripped"
        );
        outcome
    }

    #[test]
    fn basic_and_bearer_are_checked() {
        let both = credentials("admin", "pa:ss", "t0ken");
        let basic = |pair: &str| format!("Basic {}", STANDARD.encode(pair));
        assert_eq!(
            check(&both, Some(&basic("admin:pa:ss"))),
            Ok("admin".into())
        );
        assert_eq!(check(&both, Some("Bearer t0ken")), Ok("admin".into()));
        assert_eq!(check(&both, Some("bearer  t0ken ")), Ok("admin".into()));
        let refused = Err(tonic::Code::Unauthenticated);
        assert_eq!(check(&both, Some(&basic("admin:pa:sS"))), refused);
        assert_eq!(check(&both, Some(&basic("root:pa:ss"))), refused);
        assert_eq!(check(&both, Some("Bearer t0ke")), refused);
        assert_eq!(check(&both, Some("Basic !!!")), refused);
        assert_eq!(check(&both, Some("Digest x")), refused);
        assert_eq!(check(&both, None), refused);
    }

    #[test]
    fn token_only_callers_are_named_bearer_and_basic_is_refused() {
        let token_only = credentials("", "", "t0ken");
        assert_eq!(
            check(&token_only, Some("Bearer t0ken")),
            Ok("bearer".into())
        );
        let basic = format!("Basic {}", STANDARD.encode(":"));
        assert_eq!(
            check(&token_only, Some(&basic)),
            Err(tonic::Code::Unauthenticated)
        );
        assert!(Credentials::from_config(&AuthConfig::default()).is_none());
    }
}
