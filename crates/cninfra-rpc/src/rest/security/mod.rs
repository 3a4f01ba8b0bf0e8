//! Token authorization as upstream's REST plugin: users with bcrypt password hashes,
//! permission groups, `/auth/login`, `/auth/authenticate` and `/auth/logout`, signed tokens
//! with an expiry, sent as `Authorization: Bearer` or in a cookie.

mod password;
mod routes;
mod token;
mod users;

use serde::{Deserialize, Serialize};

pub use password::HASH_PASSWORD;
pub(crate) use password::subcommand;
pub(crate) use routes::{AUTH_PREFIX, router};
pub(crate) use users::TokenAuth;
pub use users::{ADMIN, COOKIE_NAME};

/// A permission group: the paths and methods its users may call (upstream's
/// `access_security.PermissionGroup`). Users name their groups in `http.conf`
/// (`users[].permissions`); plugins register groups with
/// [`HttpPlugin::register_permission_group`](crate::rest::HttpPlugin::register_permission_group).
/// The group `admin` allows everything.
///
/// # Examples
/// ```
/// use cninfra_rpc::rest::{Permission, PermissionGroup};
///
/// let readers = PermissionGroup::new("readers")
///     .with_permission(Permission::new("/example/v1/items", ["GET"]));
/// assert!(readers.allows("/example/v1/items", "GET"));
/// assert!(!readers.allows("/example/v1/items", "PUT"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionGroup {
    /// The group's name.
    pub name: String,
    /// What it allows.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

/// One path and the methods allowed on it (matched exactly, as upstream).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// The request path.
    pub url: String,
    /// The HTTP methods, upper case (`GET`, `PUT`).
    #[serde(default)]
    pub allowed_methods: Vec<String>,
}

impl PermissionGroup {
    /// A group that allows nothing yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            permissions: Vec::new(),
        }
    }

    /// Adds a permission.
    #[must_use]
    pub fn with_permission(mut self, permission: Permission) -> Self {
        self.permissions.push(permission);
        self
    }

    /// Whether the group allows `method` on `path`.
    pub fn allows(&self, path: &str, method: &str) -> bool {
        self.permissions
            .iter()
            .any(|p| p.url == path && p.allowed_methods.iter().any(|m| m == method))
    }
}

impl Permission {
    /// `methods` allowed on `url`.
    pub fn new<I, S>(url: impl Into<String>, methods: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            url: url.into(),
            allowed_methods: methods.into_iter().map(Into::into).collect(),
        }
    }
}
