//! [`Secret`]: a config string that never shows in logs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A password, token or key in a config struct: read and written as a plain string
/// (`#[serde(transparent)]`), shown as `<redacted>` by `Debug` and `Display` (an empty one
/// as `""`, so that "not set" stays visible), and read only through
/// [`expose`](Self::expose), so that a config printed with `{:?}` leaks nothing.
///
/// # Examples
/// ```
/// use cninfra_core::Secret;
///
/// #[derive(Debug, serde::Deserialize)]
/// struct Conf { user: String, password: Secret }
///
/// let conf: Conf = serde_json::from_str(r#"{"user":"u","password":"s3cret"}"#).unwrap();
/// assert_eq!(conf.password.expose(), "s3cret");
/// assert_eq!(format!("{conf:?}"), r#"Conf { user: "u", password: <redacted> }"#);
/// assert_eq!(conf.password.to_string(), "<redacted>");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// What a non-empty secret is shown as.
    pub const REDACTED: &'static str = "<redacted>";

    /// Wraps `text`.
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The secret itself, for the one place that uses it (a connection, a check).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether it is empty (not set).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(text: &str) -> Self {
        Self::new(text)
    }
}

impl From<String> for Secret {
    fn from(text: String) -> Self {
        Self(text)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            Self::REDACTED
        })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            ""
        } else {
            Self::REDACTED
        })
    }
}
