//! [`TokenAuth`]: users with bcrypt password hashes, their sessions, permission groups, and
//! the checks the REST server makes with them.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use http::HeaderMap;
use http::header::{AUTHORIZATION, COOKIE};
use parking_lot::Mutex;
use tracing::warn;

use super::PermissionGroup;
use super::password;
use super::token::{Signer, TokenError};
use crate::rest::HttpPlugin;
use crate::rest::config::HttpConfig;
use crate::rest::error::RestError;

/// The user created automatically, with every permission (upstream's).
pub const ADMIN: &str = "admin";
/// The admin's password when `http.conf` does not set one (upstream's).
const ADMIN_DEFAULT_PASSWORD: &str = "ligato123";
/// The cookie that carries the token for browsers (upstream's).
pub const COOKIE_NAME: &str = "ligato-rest-auth";
/// Token lifetime when none is configured (upstream's code).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(60 * 60);

/// Why a request or a login was refused; the text is what the client reads (upstream's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthFailure {
    /// Neither an `Authorization` header nor the cookie.
    #[error("authorization required")]
    Missing,
    /// The token does not verify.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// Unknown user, or a wrong password.
    #[error("auth: invalid username or password")]
    Credentials,
    /// The user logged out after the token was issued.
    #[error("user has logged out")]
    LoggedOut,
    /// The token names a user that does not exist.
    #[error("invalid user: user {0} not found")]
    NoSuchUser(String),
    /// The user's groups do not allow the path and method.
    #[error("auth: permission denied")]
    Denied,
}

#[derive(Debug)]
struct User {
    /// bcrypt hash of the password.
    hash: String,
    permissions: Vec<String>,
}

/// Token authorization: who may log in, which sessions are valid, which groups allow what.
#[derive(Debug)]
pub(crate) struct TokenAuth {
    signer: Signer,
    lifetime: Duration,
    users: HashMap<String, User>,
    /// Each user's current session; a logout moves it on, ending the older tokens.
    sessions: Mutex<HashMap<String, u64>>,
    /// Path and method rules of each group, fixed when the server starts serving.
    groups: OnceLock<HashMap<String, PermissionGroup>>,
}

impl TokenAuth {
    /// The users of `config` and the admin; hashes clear-text passwords (slow: call it on
    /// a blocking thread).
    pub(crate) fn from_config(config: &HttpConfig) -> Result<Self, RestError> {
        let cost = config.password_hash_cost;
        if !(4..=31).contains(&cost) {
            return Err(RestError::InvalidConfig {
                field: "password-hash-cost",
                reason: format!("{cost} is outside 4..=31"),
            });
        }
        let mut users = HashMap::new();
        for (index, user) in config.users.iter().enumerate() {
            if user.name.is_empty() || user.password.is_empty() {
                return Err(RestError::InvalidConfig {
                    field: "users",
                    reason: format!("user {index} needs a name and a password hash"),
                });
            }
            let hash = if password::is_hash(user.password.expose()) {
                user.password.expose().to_owned()
            } else {
                warn!(target: HttpPlugin::NAME, user = %user.name,
                    "the password of this user in http.conf is not a bcrypt hash: taken as clear \
                     text, as upstream did (store `cninfra-agent hash-password` output instead)");
                password::hash(user.password.expose(), cost)?
            };
            // The admin keeps every permission whatever the file says.
            let permissions = if user.name == ADMIN {
                vec![ADMIN.to_owned()]
            } else {
                user.permissions.clone()
            };
            if users
                .insert(user.name.clone(), User { hash, permissions })
                .is_some()
            {
                return Err(RestError::InvalidConfig {
                    field: "users",
                    reason: format!("user `{}` is listed twice", user.name),
                });
            }
        }
        if !users.contains_key(ADMIN) {
            warn!(target: HttpPlugin::NAME,
                "token authorization: user `admin` has upstream's default password; set its \
                 hash with a user `admin` in http.conf");
            users.insert(
                ADMIN.to_owned(),
                User {
                    hash: password::hash(ADMIN_DEFAULT_PASSWORD, cost)?,
                    permissions: vec![ADMIN.to_owned()],
                },
            );
        }
        let key = if config.sign_key.is_empty() {
            password::random_key()?
        } else {
            config.sign_key.expose().as_bytes().to_vec()
        };
        let lifetime = if config.token_expiration.is_zero() {
            DEFAULT_LIFETIME
        } else {
            config.token_expiration
        };
        Ok(Self {
            signer: Signer::new(&key),
            lifetime,
            users,
            sessions: Mutex::new(HashMap::new()),
            groups: OnceLock::new(),
        })
    }

    /// How long tokens are valid.
    pub(crate) fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// Fixes the permission groups (once, when serving starts); a group named twice keeps
    /// its first rules (upstream's).
    pub(crate) fn set_groups(&self, groups: Vec<PermissionGroup>) {
        let mut by_name = HashMap::new();
        by_name.insert(ADMIN.to_owned(), PermissionGroup::new(ADMIN));
        for group in groups {
            if by_name.contains_key(&group.name) {
                warn!(target: HttpPlugin::NAME, group = %group.name, "permission group already exists");
                continue;
            }
            by_name.insert(group.name.clone(), group);
        }
        // Called once, from the HTTP plugin's `after_init`.
        let _ = self.groups.set(by_name);
    }

    /// Checks the password (slow: call it on a blocking thread) and issues a token in the
    /// user's current session.
    pub(crate) fn login(&self, name: &str, password: &str) -> Result<String, AuthFailure> {
        let Some(user) = self.users.get(name) else {
            // As long as a real check, so that timing does not tell which users exist.
            let _ = password::verify(password, &self.users[ADMIN].hash);
            return Err(AuthFailure::Credentials);
        };
        if !password::verify(password, &user.hash) {
            return Err(AuthFailure::Credentials);
        }
        let sid = *self.sessions.lock().entry(name.to_owned()).or_insert(0);
        Ok(self
            .signer
            .issue(name, sid, self.lifetime, SystemTime::now()))
    }

    /// Ends the tokens issued to `name` so far.
    pub(crate) fn logout(&self, name: &str) {
        if self.users.contains_key(name) {
            *self.sessions.lock().entry(name.to_owned()).or_insert(0) += 1;
        }
    }

    /// The user a request's token (`Authorization: Bearer …`, else the cookie) names.
    pub(crate) fn authorize(&self, headers: &HeaderMap) -> Result<String, AuthFailure> {
        let token = token_of(headers)?;
        let claims = self.signer.verify(&token, SystemTime::now())?;
        if !self.users.contains_key(&claims.aud) {
            return Err(AuthFailure::NoSuchUser(claims.aud));
        }
        let current = self.sessions.lock().get(&claims.aud).copied().unwrap_or(0);
        if claims.sid != current {
            return Err(AuthFailure::LoggedOut);
        }
        Ok(claims.aud)
    }

    /// Whether `user` may call `method` on `path`: the admin always, others when one of
    /// their groups has a rule for exactly this path and method.
    pub(crate) fn permit(&self, user: &str, path: &str, method: &str) -> Result<(), AuthFailure> {
        let Some(user) = self.users.get(user) else {
            return Err(AuthFailure::NoSuchUser(user.to_owned()));
        };
        if user.permissions.iter().any(|p| p == ADMIN) {
            return Ok(());
        }
        let groups = self.groups.get();
        let allowed = user.permissions.iter().any(|name| {
            groups
                .and_then(|groups| groups.get(name))
                .is_some_and(|group| group.allows(path, method))
        });
        if allowed {
            Ok(())
        } else {
            Err(AuthFailure::Denied)
        }
    }
}

/// The raw token of a request.
fn token_of(headers: &HeaderMap) -> Result<String, AuthFailure> {
    if let Some(value) = headers.get(AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| AuthFailure::Token(TokenError::Malformed))?;
        return match value.split(' ').collect::<Vec<_>>()[..] {
            ["Bearer", token] => Ok(token.to_owned()),
            _ => Err(AuthFailure::Token(TokenError::Malformed)),
        };
    }
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE_NAME).then(|| value.to_owned())
        })
        .ok_or(AuthFailure::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest::config::UserConfig;
    use crate::rest::security::Permission;

    fn auth() -> TokenAuth {
        let config = HttpConfig {
            enable_token_auth: true,
            password_hash_cost: 4,
            users: vec![UserConfig {
                name: "reader".into(),
                password: password::hash("pw", 4).unwrap().as_str().into(),
                permissions: vec!["readers".into()],
            }],
            ..HttpConfig::default()
        };
        let auth = TokenAuth::from_config(&config).unwrap();
        auth.set_groups(vec![
            PermissionGroup::new("readers").with_permission(Permission::new("/items", ["GET"])),
        ]);
        auth
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
        headers
    }

    #[test]
    fn login_token_permissions_and_logout() {
        let auth = auth();
        assert_eq!(auth.login("reader", "bad"), Err(AuthFailure::Credentials));
        assert_eq!(auth.login("nobody", "pw"), Err(AuthFailure::Credentials));
        let token = auth.login("reader", "pw").unwrap();
        assert_eq!(auth.authorize(&bearer(&token)), Ok("reader".into()));
        assert_eq!(auth.permit("reader", "/items", "GET"), Ok(()));
        assert_eq!(
            auth.permit("reader", "/items", "PUT"),
            Err(AuthFailure::Denied)
        );
        assert_eq!(
            auth.permit("reader", "/other", "GET"),
            Err(AuthFailure::Denied)
        );
        let admin = auth.login(ADMIN, ADMIN_DEFAULT_PASSWORD).unwrap();
        assert_eq!(auth.authorize(&bearer(&admin)), Ok(ADMIN.into()));
        assert_eq!(auth.permit(ADMIN, "/anything", "DELETE"), Ok(()));

        auth.logout("reader");
        assert_eq!(auth.authorize(&bearer(&token)), Err(AuthFailure::LoggedOut));
        let again = auth.login("reader", "pw").unwrap();
        assert_eq!(auth.authorize(&bearer(&again)), Ok("reader".into()));
        // A new login does not bring the old tokens back (upstream's did).
        assert_eq!(auth.authorize(&bearer(&token)), Err(AuthFailure::LoggedOut));
    }

    #[test]
    fn tokens_come_from_the_header_or_the_cookie() {
        let auth = auth();
        let token = auth.login("reader", "pw").unwrap();
        let mut headers = HeaderMap::new();
        assert_eq!(auth.authorize(&headers), Err(AuthFailure::Missing));
        headers.insert(
            COOKIE,
            format!("a=b; {COOKIE_NAME}={token}").parse().unwrap(),
        );
        assert_eq!(auth.authorize(&headers), Ok("reader".into()));
        headers.insert(AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(
            auth.authorize(&headers),
            Err(AuthFailure::Token(TokenError::Malformed))
        );
    }

    #[test]
    fn a_bad_cost_or_user_is_named() {
        let config = HttpConfig {
            password_hash_cost: 3,
            ..HttpConfig::default()
        };
        let err = TokenAuth::from_config(&config).unwrap_err().to_string();
        assert!(err.contains("password-hash-cost"), "{err}");
        let config = HttpConfig {
            password_hash_cost: 4,
            users: vec![UserConfig::default()],
            ..HttpConfig::default()
        };
        let err = TokenAuth::from_config(&config).unwrap_err().to_string();
        assert!(err.contains("users") && err.contains("user 0"), "{err}");
    }
}
