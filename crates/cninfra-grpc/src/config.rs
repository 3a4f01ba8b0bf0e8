//! `grpc.conf`: the settings of the gRPC server.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Settings of the gRPC server, read from `grpc.conf` (`--grpc-config` / `GRPC_CONFIG`).
///
/// Without a config file the plugin is disabled, as upstream. Key names are upstream's;
/// `max-send-msg-size`, `keepalive`, `rate-limit`, `auth`, `reflection` and `health` are
/// new here (upstream set the last ones through code options only).
///
/// # Examples
/// ```
/// use cninfra_grpc::{GrpcConfig, Network};
///
/// let text = "
/// endpoint: /run/agent/grpc.sock
/// network: unix
/// permission: 660
/// force-socket-removal: true
/// max-msg-size: 8388608
/// prometheus-metrics: true
/// rate-limit: { limit: 100, burst: 20 }
/// auth: { token: s3cret }
/// ";
/// let config: GrpcConfig = cninfra_core::config::parse_str(text, "grpc.conf".as_ref())?;
/// assert_eq!(config.network, Network::Unix);
/// assert_eq!(config.rate_limit.burst, 20);
/// assert!(config.reflection && config.health);   // on unless turned off
/// # Ok::<(), cninfra_core::config::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct GrpcConfig {
    /// Where to listen: `host:port` for the TCP networks (`:port` means every IPv4
    /// interface, or every IPv6 one for `tcp6`), a file path for `unix`.
    /// Default `0.0.0.0:9111` (upstream's sample; upstream had no default).
    pub endpoint: String,
    /// `tcp` (default), `tcp4`, `tcp6` or `unix`. Upstream's `unixpacket` is refused.
    pub network: Network,
    /// Mode of the unix socket file, written as octal digits (`700`, `660`); at most
    /// `7777`. Default `0`, which means `777`. Digits with leading zeros (`000`, `0660`,
    /// as in upstream's sample; YAML 1.2 reads them as text) are accepted too.
    #[serde(deserialize_with = "octal_digits")]
    pub permission: u32,
    /// Remove a file already at the unix socket path before listening (a socket left by
    /// a crashed agent). Default `false`: an existing file fails the start.
    pub force_socket_removal: bool,
    /// Largest message a client may send, in bytes; larger ones are refused with
    /// `RESOURCE_EXHAUSTED`. Default `0`: the gRPC default of 4 MiB. Services built by
    /// tonic also check their own limit (4 MiB unless raised with
    /// `max_decoding_message_size`, see [`GrpcPlugin::max_recv_msg_size`](crate::GrpcPlugin::max_recv_msg_size)).
    pub max_msg_size: usize,
    /// Largest message the server sends, in bytes; a larger one ends the call with
    /// `RESOURCE_EXHAUSTED`. Default `0`: no limit (as gRPC).
    pub max_send_msg_size: usize,
    /// Most calls open at once on one connection (HTTP/2 streams). Default `0`: the
    /// library's default.
    pub max_concurrent_streams: u32,
    /// Serve plain text even when certificate files are set. Default `false`.
    pub insecure_transport: bool,
    /// PEM file with the server's certificate chain; with `key-file` it turns on TLS
    /// (1.2 or 1.3). Default empty.
    pub cert_file: PathBuf,
    /// PEM file with the server's private key. Default empty.
    pub key_file: PathBuf,
    /// PEM files of the certificate authorities of client certificates. When set, every
    /// client must present a certificate signed by one of them (mutual TLS; needs TLS).
    /// Default empty.
    pub ca_files: Vec<PathBuf>,
    /// Log every call (method, peer, status code, duration) at `info` on the `grpc`
    /// target. Default `false`.
    pub extended_logging: bool,
    /// Count calls and time them on the Prometheus plugin's `/metrics`
    /// (`grpc_server_started_total`, `grpc_server_handled_total`,
    /// `grpc_server_handling_seconds`). Default `false`, as upstream.
    pub prometheus_metrics: bool,
    /// HTTP/2 keep-alive pings.
    pub keepalive: KeepaliveConfig,
    /// Calls allowed per client (the authenticated user, else the peer's IP address or
    /// unix user id). Default off.
    pub rate_limit: RateLimitConfig,
    /// Credentials every call must carry. Default none.
    pub auth: AuthConfig,
    /// Serve the server reflection service (`grpc.reflection.v1` and `v1alpha`), so that
    /// tools like `grpcurl` can list and describe the services. Default `true`.
    pub reflection: bool,
    /// Serve the standard health service `grpc.health.v1.Health`, answering from the
    /// status check (SERVING only while the agent is OK). Default `true`.
    pub health: bool,
}

/// A number, or text of decimal digits (`"000"`, `"0660"`), as the number they spell.
fn octal_digits<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Digits {
        Number(u32),
        Text(String),
    }
    match Digits::deserialize(deserializer)? {
        Digits::Number(n) => Ok(n),
        Digits::Text(text) => text.trim().parse().map_err(|_| {
            serde::de::Error::custom(format_args!(
                "invalid permission {text:?}: octal digits such as 660"
            ))
        }),
    }
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            endpoint: "0.0.0.0:9111".to_owned(),
            network: Network::Tcp,
            permission: 0,
            force_socket_removal: false,
            max_msg_size: 0,
            max_send_msg_size: 0,
            max_concurrent_streams: 0,
            insecure_transport: false,
            cert_file: PathBuf::new(),
            key_file: PathBuf::new(),
            ca_files: Vec::new(),
            extended_logging: false,
            prometheus_metrics: false,
            keepalive: KeepaliveConfig::default(),
            rate_limit: RateLimitConfig::default(),
            auth: AuthConfig::default(),
            reflection: true,
            health: true,
        }
    }
}

impl GrpcConfig {
    /// A config listening on a free loopback TCP port, for tests and examples; read the
    /// port back with [`GrpcPlugin::local_addr`](crate::GrpcPlugin::local_addr).
    pub fn loopback() -> Self {
        Self {
            endpoint: "127.0.0.1:0".to_owned(),
            ..Self::default()
        }
    }

    /// Whether the server speaks TLS: both certificate files set and
    /// `insecure-transport` off.
    pub fn is_tls(&self) -> bool {
        !self.insecure_transport
            && !self.cert_file.as_os_str().is_empty()
            && !self.key_file.as_os_str().is_empty()
    }
}

/// The kind of socket the server listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// TCP over IPv4 or IPv6, as the endpoint's address says.
    #[default]
    Tcp,
    /// TCP over IPv4 only.
    Tcp4,
    /// TCP over IPv6 only.
    Tcp6,
    /// A unix domain stream socket at the endpoint path.
    Unix,
    /// Upstream's sequenced-packet unix socket; refused here (HTTP/2 needs a stream).
    Unixpacket,
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Network::Tcp => "tcp",
            Network::Tcp4 => "tcp4",
            Network::Tcp6 => "tcp6",
            Network::Unix => "unix",
            Network::Unixpacket => "unixpacket",
        })
    }
}

/// HTTP/2 keep-alive: the server pings an idle client and closes the connection when the
/// answer does not come in time (gRPC's server keepalive `Time` and `Timeout`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeepaliveConfig {
    /// How long a connection may be silent before the server pings it; `0s` turns pings
    /// off. Default 2 h (gRPC's default). Also accepted as `time`.
    #[serde(alias = "time", with = "cninfra_core::config::duration")]
    pub interval: Duration,
    /// How long to wait for the answer to a ping. Default 20 s (gRPC's default).
    #[serde(with = "cninfra_core::config::duration")]
    pub timeout: Duration,
}

impl Default for KeepaliveConfig {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(2 * 60 * 60),
            timeout: Duration::from_secs(20),
        }
    }
}

/// A token bucket per client: `burst` calls at once, refilled at `limit` calls per second.
/// A call beyond it fails at once with `RESOURCE_EXHAUSTED`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RateLimitConfig {
    /// Calls per second each client may make; `0` turns the limit off. Default `0`.
    pub limit: f64,
    /// Calls a client may make at once after being idle; at least 1 is used. Default `1`.
    pub burst: u32,
}

impl RateLimitConfig {
    /// Whether the limit is on.
    pub fn is_on(&self) -> bool {
        self.limit > 0.0
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            limit: 0.0,
            burst: 1,
        }
    }
}

/// Credentials every call must carry (upstream's `UseAuth` option): HTTP basic
/// (`authorization: Basic base64(user:password)`) when `username` and `password` are set,
/// a bearer token (`authorization: Bearer <token>`) when `token` is set, or, with mutual
/// TLS, a client certificate whose subject common name is `username`. A call without valid
/// credentials fails with `UNAUTHENTICATED`. The health service needs none.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct AuthConfig {
    /// The user name for basic authentication and client certificates; also the name a
    /// bearer-token caller gets (`bearer` when empty). Default empty.
    pub username: String,
    /// The password for basic authentication. Default empty.
    pub password: String,
    /// The bearer token. Default empty.
    pub token: String,
}

impl AuthConfig {
    /// Whether any credential is configured (so calls need one).
    pub fn is_on(&self) -> bool {
        (!self.username.is_empty() && !self.password.is_empty()) || !self.token.is_empty()
    }
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hidden = |secret: &str| if secret.is_empty() { "" } else { "***" };
        f.debug_struct("AuthConfig")
            .field("username", &self.username)
            .field("password", &hidden(&self.password))
            .field("token", &hidden(&self.token))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cninfra_core::config::parse_str;

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&GrpcConfig::default()).expect("to yaml");
        let back: GrpcConfig = parse_str(&text, "grpc.conf".as_ref()).expect("parse back");
        assert_eq!(back, GrpcConfig::default());
    }

    #[test]
    fn upstream_sample_keys_parse() {
        let text = "endpoint: 0.0.0.0:9111\nnetwork: tcp4\npermission: 700\n\
                    force-socket-removal: true\nmax-msg-size: 1024\n\
                    max-concurrent-streams: 10\ninsecure-transport: true\n\
                    cert-file: c.pem\nkey-file: k.pem\nca-files: [ca.pem]\n\
                    extended-logging: true\nprometheus-metrics: true\n\
                    keepalive: { time: 1m, timeout: 5s }\n";
        let config: GrpcConfig = parse_str(text, "grpc.conf".as_ref()).expect("parse");
        assert_eq!(config.network, Network::Tcp4);
        assert_eq!(config.permission, 700);
        let upstream: GrpcConfig = parse_str("permission: 000\n", "grpc.conf".as_ref()).unwrap();
        assert_eq!(upstream.permission, 0);
        let leading: GrpcConfig =
            parse_str("permission: \"0660\"\n", "grpc.conf".as_ref()).unwrap();
        assert_eq!(leading.permission, 660);
        assert_eq!(config.keepalive.interval, Duration::from_secs(60));
        assert_eq!(config.ca_files, vec![PathBuf::from("ca.pem")]);
        assert!(
            !config.is_tls(),
            "insecure-transport wins over the certificate files"
        );
    }

    #[test]
    fn a_misspelt_key_is_an_error_naming_it() {
        let err =
            parse_str::<GrpcConfig>("endpoint: a:1\nauth:\n  tokn: x\n", "grpc.conf".as_ref())
                .unwrap_err()
                .to_string();
        assert!(err.contains("grpc.conf:3"), "{err}");
        assert!(err.contains("tokn"), "{err}");
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let auth = AuthConfig {
            username: "admin".into(),
            password: "pa55word".into(),
            token: "t0ken".into(),
        };
        let text = format!("{auth:?}");
        assert!(text.contains("admin") && !text.contains("pa55word") && !text.contains("t0ken"));
        assert!(auth.is_on());
        assert!(
            !AuthConfig {
                username: "admin".into(),
                ..AuthConfig::default()
            }
            .is_on()
        );
    }
}
