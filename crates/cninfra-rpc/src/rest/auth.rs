//! Static HTTP basic authentication (`client-basic-auth` in `http.conf`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::Request;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header;

use super::config::Secret;
use super::error::RestError;

const FIELD: &str = "client-basic-auth";

/// The user a request was authenticated as; handlers read it with
/// `axum::Extension<AuthenticatedUser>` when `client-basic-auth` or token authorization is
/// configured (upstream's `rest.UserName`).
///
/// # Examples
/// ```
/// use axum::Extension;
/// use cninfra_rpc::rest::AuthenticatedUser;
///
/// async fn whoami(Extension(user): Extension<AuthenticatedUser>) -> String {
///     user.0
/// }
/// let route: axum::routing::MethodRouter = axum::routing::get(whoami);
/// # let _ = route;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedUser(pub String);

/// The allowed `user:password` pairs.
#[derive(Debug, Clone)]
pub(super) struct BasicAuth {
    users: Arc<HashMap<String, String>>,
}

impl BasicAuth {
    /// Parses the configured pairs; `None` when there are none.
    pub(super) fn from_config(entries: &[Secret]) -> Result<Option<Self>, RestError> {
        if entries.is_empty() {
            return Ok(None);
        }
        let mut users = HashMap::new();
        for (index, entry) in entries.iter().enumerate() {
            // The entry holds a password: name it by position, never by value.
            let (user, password) = entry
                .expose()
                .split_once(':')
                .filter(|(user, _)| !user.is_empty())
                .ok_or_else(|| RestError::InvalidConfig {
                    field: FIELD,
                    reason: format!("entry {index} is not of the form `user:password`"),
                })?;
            users.insert(user.to_owned(), password.to_owned());
        }
        Ok(Some(Self {
            users: Arc::new(users),
        }))
    }

    /// The user named by a valid `Authorization: Basic` header, if any.
    pub(super) fn check(&self, request: &Request) -> Option<String> {
        let value = request
            .headers()
            .get(header::AUTHORIZATION)?
            .to_str()
            .ok()?;
        let (scheme, encoded) = value.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = STANDARD.decode(encoded.trim()).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, password) = decoded.split_once(':')?;
        let expected = self.users.get(user)?;
        same_bytes(expected.as_bytes(), password.as_bytes()).then(|| user.to_owned())
    }
}

/// Compares without stopping at the first difference, so timing tells little.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(authorization: &str) -> Request {
        Request::builder()
            .header(header::AUTHORIZATION, authorization)
            .body(axum::body::Body::empty())
            .unwrap()
    }

    #[test]
    fn accepts_only_configured_pairs() {
        let auth = BasicAuth::from_config(&["admin:s3cr:et".into(), "ops:pw".into()])
            .unwrap()
            .unwrap();
        let basic = |pair: &str| request(&format!("Basic {}", STANDARD.encode(pair)));
        assert_eq!(auth.check(&basic("admin:s3cr:et")), Some("admin".into()));
        assert_eq!(auth.check(&basic("ops:pw")), Some("ops".into()));
        assert_eq!(auth.check(&basic("ops:pW")), None);
        assert_eq!(auth.check(&basic("nobody:pw")), None);
        assert_eq!(auth.check(&request("Bearer abc")), None);
        assert_eq!(auth.check(&request("Basic !!!")), None);
    }

    #[test]
    fn a_bad_entry_is_named_by_position_not_value() {
        let err = BasicAuth::from_config(&["a:b".into(), "secretvalue".into()])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("client-basic-auth") && err.contains("entry 1"),
            "{err}"
        );
        assert!(!err.contains("secretvalue"), "{err}");
        assert!(BasicAuth::from_config(&[]).unwrap().is_none());
    }
}
