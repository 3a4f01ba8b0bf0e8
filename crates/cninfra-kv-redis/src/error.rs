//! [`RedisError`]: what can go wrong while configuring and connecting, and how client
//! errors become [`KvError`]s.

use std::time::Duration;

use cninfra_kv::KvError;

/// Why the Redis connector could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedisError {
    /// A config field holds a value that cannot work.
    #[error("redis config: `{field}` is invalid (`{value}`): {reason}")]
    InvalidConfig {
        /// The field, e.g. `endpoint`.
        field: &'static str,
        /// Its value.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// The config says nowhere where the server is.
    #[error(
        "redis config names no server: set `endpoint` (single node), `master-name` with \
         `endpoints` (sentinel) or `endpoints` (cluster)"
    )]
    NoEndpoint,
    /// The TLS settings cannot be used: a file named in the config cannot be read or holds
    /// no PEM certificate or key, or `tls.cert-file` is set without `tls.key-file` (or the
    /// other way round). The error names the key and the file.
    #[error(transparent)]
    TlsFile(#[from] cninfra_core::tls::TlsConfigError),
    /// Connecting took longer than the dial timeout.
    #[error(
        "cannot connect to redis at {endpoint}: no answer within the dial timeout ({timeout:?})"
    )]
    DialTimeout {
        /// `host:port`.
        endpoint: String,
        /// The dial timeout that passed.
        timeout: Duration,
    },
    /// The server refused the password (or asked for one).
    #[error("redis at {endpoint} refused to authenticate (check `password`)")]
    Auth {
        /// `host:port`.
        endpoint: String,
        /// What the server said.
        #[source]
        source: redis::RedisError,
    },
    /// The TLS handshake failed: the server's certificate is not signed by the configured
    /// CA or does not name the host, or the server refused our client certificate.
    #[error(
        "TLS handshake with redis at {endpoint} failed (check `tls.ca-file`, the server \
         certificate's names, and `tls.cert-file`/`tls.key-file` if the server wants a client \
         certificate)"
    )]
    Tls {
        /// `host:port`.
        endpoint: String,
        /// What the client reported.
        #[source]
        source: redis::RedisError,
    },
    /// Sentinel mode: no sentinel named a master that answers as one.
    #[error(
        "no redis master `{master_name}` found through the sentinels (check `master-name` and \
         `endpoints`): {reasons}"
    )]
    NoMaster {
        /// The configured `master-name`.
        master_name: String,
        /// What each sentinel answered.
        reasons: String,
    },
    /// Connecting failed otherwise (refused, bad database number).
    #[error("cannot connect to redis at {endpoint}")]
    Connect {
        /// `host:port`.
        endpoint: String,
        /// What the client reported.
        #[source]
        source: redis::RedisError,
    },
    /// Keyspace notifications, which watches need, are off on the server.
    #[error(
        "keyspace notifications are off on redis at {endpoint}: `notify-keyspace-events` is \
         `{current}`, watches need `K` with `g`, `$` and `x` (or `KA`); set it on the server or \
         set `enable-keyspace-events: true` in the redis config"
    )]
    KeyspaceEventsOff {
        /// `host:port`.
        endpoint: String,
        /// The server's current setting.
        current: String,
    },
    /// Sentinel mode: the master's connection was lost and the sentinels have not named
    /// a master that answers as one since.
    #[error("lost the redis master; waiting for the sentinels to name one that answers")]
    MasterUnconfirmed,
    /// `wait-for-replicas`: fewer replicas than configured confirmed a write in time. The
    /// master applied it; whether it survives a failover is unknown.
    #[error(
        "{confirmed} of the {wanted} replicas of `wait-for-replicas` confirmed the write within \
         {timeout:?}"
    )]
    NotReplicated {
        /// The configured `wait-for-replicas`.
        wanted: u32,
        /// How many confirmed it (`WAIT`'s answer; in a cluster the fewest of any master).
        confirmed: u32,
        /// How long the write waited (`read-timeout`).
        timeout: Duration,
    },
    /// Reading or changing `notify-keyspace-events` failed (e.g. `CONFIG` is disabled).
    #[error("cannot {action} `notify-keyspace-events` on redis at {endpoint}")]
    KeyspaceEventsConfig {
        /// `read` or `set`.
        action: &'static str,
        /// `host:port`.
        endpoint: String,
        /// What the server said.
        #[source]
        source: redis::RedisError,
    },
}

/// Turns a client error of `op` on `store` into a [`KvError`]: lost or refused connections
/// become [`KvError::Unavailable`], time-outs [`KvError::Timeout`], the rest
/// [`KvError::Backend`].
pub(crate) fn kv_error(
    store: &str,
    op: &'static str,
    timeout: Duration,
    err: redis::RedisError,
) -> KvError {
    if err.is_timeout() {
        KvError::Timeout {
            store: store.to_owned(),
            op,
            after: timeout,
        }
    } else if is_connection_error(&err) {
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

/// True for errors that mean the server cannot be reached now.
pub(crate) fn is_connection_error(err: &redis::RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_unrecoverable_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_are_retryable_and_server_errors_are_not() {
        let refused =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        let err = kv_error("redis a:1", "get", Duration::from_secs(1), refused);
        assert!(err.is_unavailable() && err.is_retryable(), "{err:?}");
        let wrong_type = redis::RedisError::from((
            redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError),
            "WRONGTYPE",
        ));
        let err = kv_error("redis a:1", "get", Duration::from_secs(1), wrong_type);
        assert!(!err.is_retryable(), "{err:?}");
        assert!(err.to_string().contains("`get`"), "{err}");
    }

    #[test]
    fn keyspace_error_names_the_setting_and_the_option() {
        let err = RedisError::KeyspaceEventsOff {
            endpoint: "127.0.0.1:6379".into(),
            current: String::new(),
        };
        let text = err.to_string();
        assert!(text.contains("notify-keyspace-events"), "{text}");
        assert!(text.contains("enable-keyspace-events"), "{text}");
    }
}
