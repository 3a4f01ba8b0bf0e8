//! [`ConsulError`]: what can go wrong while configuring and connecting, and how HTTP
//! failures become [`KvError`]s.

use std::time::Duration;

use cninfra_kv::KvError;

/// Why the Consul connector could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConsulError {
    /// A config field holds a value that cannot work.
    #[error("consul config: `{field}` is invalid (`{value}`): {reason}")]
    InvalidConfig {
        /// The field, e.g. `address`.
        field: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The TLS settings cannot be used: a file named in the config cannot be read or holds
    /// no PEM certificate or key, or `tls.cert-file` is set without `tls.key-file` (or the
    /// other way round). The error names the key and the file.
    #[error(transparent)]
    TlsFile(#[from] cninfra_core::tls::TlsConfigError),
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client for consul")]
    Client(#[source] reqwest::Error),
    /// The TLS handshake with the agent failed: its certificate is not signed by the
    /// configured CA or does not name the host, or it refused our client certificate.
    #[error(
        "TLS handshake with consul at {url} failed (check `tls.ca-file`, the agent \
         certificate's names, and `tls.cert-file`/`tls.key-file` if the agent wants a client \
         certificate): {reason}"
    )]
    Tls {
        /// The agent's base URL.
        url: String,
        /// What TLS reported, e.g. `invalid peer certificate: UnknownIssuer`.
        reason: String,
        /// The failed start-up check.
        #[source]
        source: KvError,
    },
    /// The agent did not answer the start-up check (`/v1/status/peers`).
    #[error("cannot reach consul at {url}")]
    Unreachable {
        /// The agent's base URL.
        url: String,
        /// What failed.
        #[source]
        source: KvError,
    },
}

/// The TLS error somewhere in `err`'s chain of causes. rustls' error travels inside I/O
/// errors (sometimes nested), whose own `source` skips the error they wrap, so those are
/// opened with `get_ref`.
pub(crate) fn tls_failure<'a>(
    mut err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a rustls::Error> {
    loop {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        err = match err
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => inner,
            None => err.source()?,
        };
    }
}

/// An HTTP answer that is not a success, with the body Consul sent.
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status}: {body}")]
pub(crate) struct HttpError {
    pub(crate) status: u16,
    pub(crate) body: String,
}

/// Turns a request failure of `op` into a [`KvError`].
pub(crate) fn from_reqwest(
    store: &str,
    op: &'static str,
    limit: Duration,
    err: reqwest::Error,
) -> KvError {
    if err.is_timeout() {
        KvError::Timeout {
            store: store.to_owned(),
            op,
            after: limit,
        }
    } else if err.is_connect() || err.is_request() || err.is_body() {
        KvError::Unavailable {
            store: store.to_owned(),
            source: Box::new(err),
        }
    } else {
        KvError::Backend {
            store: store.to_owned(),
            op,
            source: Box::new(err),
        }
    }
}

/// Turns an unexpected HTTP status into a [`KvError`]: server-side trouble (5xx: no
/// leader, shutting down) is [`KvError::Unavailable`], the rest (403 ACL, 413 too large)
/// [`KvError::Backend`] carrying Consul's message.
pub(crate) fn from_status(store: &str, op: &'static str, status: u16, body: String) -> KvError {
    let source = Box::new(HttpError { status, body });
    if status >= 500 {
        KvError::Unavailable {
            store: store.to_owned(),
            source,
        }
    } else {
        KvError::Backend {
            store: store.to_owned(),
            op,
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_trouble_is_retryable_and_refusals_are_not() {
        let no_leader = from_status("consul", "get", 500, "No cluster leader".into());
        assert!(no_leader.is_retryable(), "{no_leader}");
        let acl = from_status("consul", "put", 403, "ACL not found".into());
        assert!(!acl.is_retryable());
        let text = acl.to_string();
        assert!(text.contains("put"), "{text}");
        let source = std::error::Error::source(&acl).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("HTTP 403: ACL not found"));
    }
}
