use std::net::SocketAddr;

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
    /// The port could not be bound (in use, or not allowed).
    #[error(
        "cannot listen for HTTP on {addr}: {source}; choose another port with --http-port \
         (HTTP_PORT) or `endpoint` in http.conf"
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
