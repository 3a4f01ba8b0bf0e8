use std::net::SocketAddr;
use std::path::PathBuf;

/// An error of the REST server plugin.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestError {
    /// The configured endpoint is not a `host:port` address.
    #[error("invalid HTTP endpoint {endpoint:?}: expected host:port such as 0.0.0.0:9191")]
    InvalidEndpoint {
        /// The endpoint as configured.
        endpoint: String,
    },
    /// A field of `http.conf` has a value that cannot work.
    #[error("invalid http.conf field `{field}`: {reason}")]
    InvalidConfig {
        /// The field, as spelt in `http.conf`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A certificate or key file could not be used.
    #[error("cannot use `{field}` file {path:?}: {reason}")]
    Tls {
        /// The field of `http.conf` that named the file.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The port could not be bound (in use, or not allowed).
    #[error(
        "cannot listen for HTTP on {addr} (choose another port with --http-port (HTTP_PORT) \
         or `endpoint` in http.conf)"
    )]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Routes were added after the server started serving.
    #[error("cannot add route {path:?}: the HTTP server already serves; add routes in `init`")]
    AlreadyServing {
        /// The route's path, or `<router>` for a merged router.
        path: String,
    },
    /// The plugin was used before its `init` ran or after it closed.
    #[error("the HTTP plugin is not initialised")]
    NotReady,
}

impl From<cninfra_core::tls::server::TlsFileError> for RestError {
    fn from(err: cninfra_core::tls::server::TlsFileError) -> Self {
        Self::Tls {
            field: err.field,
            path: err.path,
            reason: err.reason,
        }
    }
}

impl From<cninfra_core::tls::server::TlsPairError> for RestError {
    fn from(err: cninfra_core::tls::server::TlsPairError) -> Self {
        Self::InvalidConfig {
            field: err.field,
            reason: err.reason,
        }
    }
}
