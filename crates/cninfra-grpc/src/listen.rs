//! Binding the endpoint: a TCP port or a unix socket file, checked in `init`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::net::{TcpListener, UnixListener};
use tracing::{info, warn};

use crate::GrpcPlugin;
use crate::config::{GrpcConfig, Network};
use crate::error::GrpcError;

/// Time limit for resolving a host name in the endpoint.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// A bound endpoint, ready to accept.
#[derive(Debug)]
pub(crate) enum Listener {
    /// A TCP port.
    Tcp(TcpListener),
    /// A unix socket; the file is removed when the server stops.
    Unix {
        /// The listener.
        listener: UnixListener,
        /// Its file.
        path: PathBuf,
    },
}

impl Listener {
    /// Binds the endpoint of `config`.
    pub(crate) async fn bind(config: &GrpcConfig) -> Result<Self, GrpcError> {
        match config.network {
            Network::Tcp | Network::Tcp4 | Network::Tcp6 => {
                let addr = tcp_addr(&config.endpoint, config.network).await?;
                let listener = TcpListener::bind(addr)
                    .await
                    .map_err(|source| bind_error(config, "", source))?;
                Ok(Listener::Tcp(listener))
            }
            Network::Unix => bind_unix(config),
            Network::Unixpacket => Err(invalid(
                config,
                "`unixpacket` sockets cannot carry HTTP/2; use `unix`",
            )),
        }
    }

    /// The TCP address, if a TCP port.
    pub(crate) fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Listener::Tcp(listener) => listener.local_addr().ok(),
            Listener::Unix { .. } => None,
        }
    }

    /// The socket file, if a unix socket.
    pub(crate) fn socket_path(&self) -> Option<&Path> {
        match self {
            Listener::Tcp(_) => None,
            Listener::Unix { path, .. } => Some(path),
        }
    }
}

/// Removes the socket file of a stopped server (a later start would trip over it).
pub(crate) fn remove_socket(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => info!(target: GrpcPlugin::NAME, path = %path.display(), "unix socket removed"),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => {
            warn!(target: GrpcPlugin::NAME, path = %path.display(), error = %err, "cannot remove unix socket");
        }
    }
}

fn bind_unix(config: &GrpcConfig) -> Result<Listener, GrpcError> {
    if config.endpoint.is_empty() {
        return Err(invalid(config, "a unix socket needs a file path"));
    }
    let mode = socket_mode(config.permission)?;
    let path = PathBuf::from(&config.endpoint);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| bind_error(config, "", source))?;
    }
    if config.force_socket_removal && std::fs::symlink_metadata(&path).is_ok() {
        std::fs::remove_file(&path).map_err(|source| bind_error(config, "", source))?;
        info!(target: GrpcPlugin::NAME, path = %path.display(), "old unix socket removed (force-socket-removal)");
    }
    let hint = " or set `force-socket-removal: true` to replace a stale socket file";
    let listener = UnixListener::bind(&path).map_err(|source| bind_error(config, hint, source))?;
    if let Err(source) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)) {
        remove_socket(&path);
        return Err(bind_error(config, "", source));
    }
    Ok(Listener::Unix { listener, path })
}

/// The file mode from `permission`'s octal digits: `660` → `0o660`, `0` → `0o777`.
fn socket_mode(permission: u32) -> Result<u32, GrpcError> {
    if permission == 0 {
        return Ok(0o777);
    }
    let bad = |reason: String| GrpcError::InvalidConfig {
        field: "permission",
        reason,
    };
    if permission > 7777 {
        return Err(bad(format!("{permission} is above 7777")));
    }
    u32::from_str_radix(&permission.to_string(), 8)
        .map_err(|_| bad(format!("{permission} has a digit that is not octal (0-7)")))
}

/// The address to bind for a TCP endpoint: `host:port`, `[v6]:port` or `:port`.
async fn tcp_addr(endpoint: &str, network: Network) -> Result<SocketAddr, GrpcError> {
    let fail = |reason: String| GrpcError::InvalidEndpoint {
        endpoint: endpoint.to_owned(),
        network: network.to_string(),
        reason,
    };
    let candidates: Vec<SocketAddr> = if let Some(port) = endpoint.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| fail(format!("{port:?} is not a port number")))?;
        let any = match network {
            Network::Tcp6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        };
        vec![SocketAddr::new(any, port)]
    } else if let Ok(addr) = endpoint.parse::<SocketAddr>() {
        vec![addr]
    } else {
        let found = tokio::time::timeout(RESOLVE_TIMEOUT, tokio::net::lookup_host(endpoint))
            .await
            .map_err(|_| {
                fail(format!(
                    "resolving the host took more than {RESOLVE_TIMEOUT:?}"
                ))
            })?
            .map_err(|err| fail(format!("expected host:port ({err})")))?;
        found.collect()
    };
    candidates
        .into_iter()
        .find(|addr| match network {
            Network::Tcp4 => addr.is_ipv4(),
            Network::Tcp6 => addr.is_ipv6(),
            _ => true,
        })
        .ok_or_else(|| fail(format!("no address of the {network} family")))
}

fn invalid(config: &GrpcConfig, reason: &str) -> GrpcError {
    GrpcError::InvalidEndpoint {
        endpoint: config.endpoint.clone(),
        network: config.network.to_string(),
        reason: reason.to_owned(),
    }
}

fn bind_error(config: &GrpcConfig, hint: &'static str, source: std::io::Error) -> GrpcError {
    GrpcError::Bind {
        endpoint: config.endpoint.clone(),
        network: config.network.to_string(),
        hint,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_digits_are_octal() {
        assert_eq!(socket_mode(0).unwrap(), 0o777);
        assert_eq!(socket_mode(660).unwrap(), 0o660);
        assert_eq!(socket_mode(7777).unwrap(), 0o7777);
        let err = socket_mode(680).unwrap_err().to_string();
        assert!(err.contains("`permission`") && err.contains("680"), "{err}");
        assert!(socket_mode(17777).is_err());
    }

    #[tokio::test]
    async fn endpoints_resolve_by_network() {
        let v4 = tcp_addr(":9111", Network::Tcp).await.unwrap();
        assert_eq!(v4, "0.0.0.0:9111".parse().unwrap());
        let v6 = tcp_addr(":9111", Network::Tcp6).await.unwrap();
        assert_eq!(v6, "[::]:9111".parse().unwrap());
        let err = tcp_addr("127.0.0.1:1", Network::Tcp6)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("127.0.0.1:1") && err.contains("tcp6"), "{err}");
        let err = tcp_addr(":http", Network::Tcp)
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a port number"), "{err}");
        let named = tcp_addr("localhost:9111", Network::Tcp4).await.unwrap();
        assert!(named.ip().is_loopback());
    }
}
