//! [`EtcdError`] (config and connection failures) and the mapping of client errors to
//! [`KvError`].

use std::time::Duration;

use cninfra_kv::KvError;
use tonic::Code;

/// Why the connector could not be set up or connect.
///
/// Request failures after that are [`KvError`]s.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EtcdError {
    /// The plugin's config file could not be read or parsed.
    #[error(transparent)]
    ConfigFile(#[from] cninfra_core::config::ConfigError),
    /// A setting is not acceptable.
    #[error("etcd config: `{field}` {reason}")]
    Config {
        /// The config key at fault (`password`, `insecure-skip-tls-verify`).
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The TLS settings cannot be used: a file named in the config cannot be read or holds
    /// no PEM certificate or key, or `cert-file` is set without `key-file` (or the other
    /// way round). The error names the key and the file.
    #[error(transparent)]
    TlsFile(#[from] cninfra_core::tls::TlsConfigError),
    /// No endpoint answered within the dial timeout.
    #[error(
        "etcd at {endpoints} did not answer within {after:?} (dial-timeout){}",
        last_error.as_ref().map(|e| format!(": {e}")).unwrap_or_default()
    )]
    Unreachable {
        /// The endpoints tried, comma-separated.
        endpoints: String,
        /// The dial timeout.
        after: Duration,
        /// The last error seen while trying, if any.
        last_error: Option<String>,
    },
    /// etcd refused the user name or password.
    #[error("etcd at {endpoints} refused the login of user `{user}`")]
    Auth {
        /// The endpoints, comma-separated.
        endpoints: String,
        /// The configured user name.
        user: String,
        /// What etcd answered.
        #[source]
        source: ClientError,
    },
    /// The client could not be set up or etcd answered with an error.
    #[error("cannot connect to etcd at {endpoints}")]
    Connect {
        /// The endpoints, comma-separated.
        endpoints: String,
        /// What the client reported.
        #[source]
        source: ClientError,
    },
}

impl EtcdError {
    pub(crate) fn config(field: &'static str, reason: &'static str) -> Self {
        Self::Config { field, reason }
    }

    /// True when trying again later may succeed (etcd unreachable or unavailable).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Unreachable { .. } => true,
            Self::Connect { source, .. } => is_unavailable(source.get_ref()),
            _ => false,
        }
    }
}

/// Whether a client error means "etcd cannot be reached right now".
pub(crate) fn is_unavailable(err: &etcd_client::Error) -> bool {
    match err {
        etcd_client::Error::TransportError(_) | etcd_client::Error::IoError(_) => true,
        etcd_client::Error::GRpcStatus(status) => matches!(
            status.code(),
            Code::Unavailable | Code::Cancelled | Code::Unknown | Code::Aborted
        ),
        _ => false,
    }
}

/// Maps a client error of operation `op` on `store` to the broker's error.
pub(crate) fn kv_error(store: &str, op: &'static str, err: etcd_client::Error) -> KvError {
    let unavailable = is_unavailable(&err);
    let source = Box::new(ClientError::from(err));
    if unavailable {
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

/// An etcd client error shown by its gist (`tcp connect error: Connection refused (os error
/// 111)`, `etcdserver: duplicate key given in txn request`).
///
/// It ends the chain of causes: the client's own error repeats the gist in longer words and
/// has no causes of its own; [`get_ref`](Self::get_ref) gives it.
#[derive(Debug)]
pub struct ClientError {
    gist: String,
    error: etcd_client::Error,
}

impl ClientError {
    /// The client's error.
    pub fn get_ref(&self) -> &etcd_client::Error {
        &self.error
    }
}

impl From<etcd_client::Error> for ClientError {
    fn from(error: etcd_client::Error) -> Self {
        Self {
            gist: gist(&error),
            error,
        }
    }
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.gist)
    }
}

impl std::error::Error for ClientError {}

/// What went wrong, in a few words: the status message and the deepest cause.
pub(crate) fn gist(err: &etcd_client::Error) -> String {
    let (mut text, mut cause): (String, Option<&(dyn std::error::Error + 'static)>) = match err {
        etcd_client::Error::GRpcStatus(status) => (
            status.message().to_owned(),
            std::error::Error::source(status),
        ),
        etcd_client::Error::TransportError(transport) => {
            (transport.to_string(), std::error::Error::source(transport))
        }
        other => return other.to_string(),
    };
    let mut deepest = None;
    while let Some(next) = cause {
        deepest = Some(next);
        cause = next.source();
    }
    if let Some(root) = deepest {
        let root = root.to_string();
        if !text.contains(&root) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&root);
        }
    }
    if text.is_empty() {
        text = err.to_string();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_statuses_are_retryable_kv_errors() {
        let err = etcd_client::Error::GRpcStatus(tonic::Status::unavailable("connection refused"));
        let kv = kv_error("etcd a:1", "get", err);
        assert!(kv.is_retryable(), "{kv}");
        let err = etcd_client::Error::GRpcStatus(tonic::Status::invalid_argument(
            "etcdserver: duplicate key given in txn request",
        ));
        let kv = kv_error("etcd a:1", "txn", err);
        assert!(!kv.is_retryable());
        assert_eq!(kv.to_string(), "store `etcd a:1` failed `txn`");
        assert_eq!(
            cninfra_testsupport::error_chain(&kv),
            "store `etcd a:1` failed `txn`: etcdserver: duplicate key given in txn request"
        );
    }

    #[test]
    fn unreachable_names_endpoints_and_timeout() {
        let err = EtcdError::Unreachable {
            endpoints: "127.0.0.1:1".into(),
            after: Duration::from_secs(1),
            last_error: Some("connection refused".into()),
        };
        let text = err.to_string();
        assert!(text.contains("127.0.0.1:1") && text.contains("1s") && text.contains("refused"));
        assert!(err.is_retryable());
    }
}
