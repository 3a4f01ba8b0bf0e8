//! The tower layers every call passes, outermost first:
//! [`observe`] (metrics and call logs) → [`auth`] → [`rate_limit`] → [`frame`] (message
//! sizes) → the services.
//!
//! Observation is outermost so that calls refused by the others are counted and logged
//! with their codes; authentication comes before the rate limit so that the limit can be
//! kept per authenticated user. Each layer is always installed and passes calls straight
//! through when its setting is off.

pub(crate) mod auth;
pub(crate) mod frame;
pub(crate) mod observe;
pub(crate) mod rate_limit;

use std::fmt;
use std::net::SocketAddr;

use http::Request;
use tonic::transport::server::{TcpConnectInfo, TlsConnectInfo, UdsConnectInfo};

/// Path prefix of the health service, which needs neither credentials nor rate budget
/// (a Kubernetes gRPC probe cannot send credentials).
const HEALTH_PREFIX: &str = "/grpc.health.v1.Health/";

/// Whether the call goes to the health service.
fn is_health<B>(request: &Request<B>) -> bool {
    request.uri().path().starts_with(HEALTH_PREFIX)
}

/// Who is at the other end of a call's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Peer {
    /// A TCP client.
    Tcp(SocketAddr),
    /// A unix socket client, with its user id when the kernel told it.
    Unix(Option<u32>),
    /// Not known (a server driven by something else than a listener).
    Unknown,
}

impl Peer {
    /// The peer of `request`, from the connection information tonic attaches to it.
    pub(crate) fn of<B>(request: &Request<B>) -> Peer {
        let extensions = request.extensions();
        let tcp = extensions.get::<TcpConnectInfo>().or_else(|| {
            extensions
                .get::<TlsConnectInfo<TcpConnectInfo>>()
                .map(TlsConnectInfo::get_ref)
        });
        if let Some(addr) = tcp.and_then(TcpConnectInfo::remote_addr) {
            return Peer::Tcp(addr);
        }
        let unix = extensions.get::<UdsConnectInfo>().or_else(|| {
            extensions
                .get::<TlsConnectInfo<UdsConnectInfo>>()
                .map(TlsConnectInfo::get_ref)
        });
        match unix {
            Some(info) => Peer::Unix(info.peer_cred.map(|cred| cred.uid())),
            None => Peer::Unknown,
        }
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Peer::Tcp(addr) => write!(f, "{addr}"),
            Peer::Unix(Some(uid)) => write!(f, "unix(uid={uid})"),
            Peer::Unix(None) => f.write_str("unix"),
            Peer::Unknown => f.write_str("unknown"),
        }
    }
}
