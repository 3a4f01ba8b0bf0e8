//! [`GrpcError`], the error of the gRPC plugin.

use std::path::PathBuf;

/// An error of the gRPC server plugin.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GrpcError {
    /// The endpoint does not fit the network.
    #[error("invalid gRPC endpoint {endpoint:?} for network `{network}`: {reason}")]
    InvalidEndpoint {
        /// The endpoint as configured.
        endpoint: String,
        /// The network as configured.
        network: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A field of `grpc.conf` has a value that cannot work.
    #[error("invalid grpc.conf field `{field}`: {reason}")]
    InvalidConfig {
        /// The field, as spelt in `grpc.conf`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// A certificate or key could not be used.
    #[error("cannot use `{field}` file {path:?}: {reason}")]
    Tls {
        /// The field of `grpc.conf` that named the file.
        field: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The endpoint could not be bound (port in use, socket file in the way, no permission).
    #[error(
        "cannot listen for gRPC on {network} {endpoint} (change `endpoint` in grpc.conf{hint})"
    )]
    Bind {
        /// The endpoint.
        endpoint: String,
        /// The network.
        network: String,
        /// A hint for unix sockets (`force-socket-removal`), else empty.
        hint: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A descriptor set given for reflection could not be used.
    #[error("invalid file descriptor set for reflection: {reason}")]
    Reflection {
        /// What is wrong with it.
        reason: String,
    },
    /// A service was added after the server started serving.
    #[error(
        "cannot add gRPC service `{service}`: the server already serves; add services in `init`"
    )]
    AlreadyServing {
        /// The service's full name, or `<descriptors>` for a descriptor set.
        service: String,
    },
}

impl From<cninfra_core::tls::server::TlsFileError> for GrpcError {
    fn from(err: cninfra_core::tls::server::TlsFileError) -> Self {
        Self::Tls {
            field: err.field,
            path: err.path,
            reason: err.reason,
        }
    }
}

impl From<cninfra_core::tls::server::TlsPairError> for GrpcError {
    fn from(err: cninfra_core::tls::server::TlsPairError) -> Self {
        Self::InvalidConfig {
            field: err.field,
            reason: err.reason,
        }
    }
}
