//! [`EtcdConfig`]: the settings of the connector, read from `etcd.conf`.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use cninfra_core::tls::{ClientTls, ClientTlsConfig, TlsKeys};
use etcd_client::{Certificate, ConnectOptions, Identity, TlsOptions};

use crate::error::EtcdError;

/// Address used when neither the config nor the environment names one.
pub const DEFAULT_ENDPOINT: &str = "127.0.0.1:2379";

/// Environment variables read (in this order) when the config has no `endpoints`; each
/// holds comma-separated `host:port` addresses.
pub const ENDPOINT_VARIABLES: [&str; 2] = ["ETCD_ENDPOINTS", "ETCDV3_ENDPOINTS"];

/// Settings of the etcd connector, read from `etcd.conf` (`--etcd-config`, `ETCD_CONFIG`).
/// The keys are upstream's; without a config file the plugin is disabled.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_kv_etcd::EtcdConfig;
///
/// let yaml = "
/// endpoints: [ '10.0.0.1:2379', '10.0.0.2:2379' ]
/// dial-timeout: 2s
/// operation-timeout: 500ms
/// allow-delayed-start: true
/// ";
/// let config: EtcdConfig = serde_yaml_ng::from_str(yaml)?;
/// assert_eq!(config.dial_timeout, Duration::from_secs(2));
/// assert!(config.resync_after_reconnect, "on unless switched off");
/// # Ok::<(), serde_yaml_ng::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct EtcdConfig {
    /// Server addresses, `host:port` (or `http://host:port`, `https://host:port`). Empty:
    /// `ETCD_ENDPOINTS`, else `ETCDV3_ENDPOINTS`, else `127.0.0.1:2379`.
    pub endpoints: Vec<String>,
    /// How long connecting may take at start (and each reconnect attempt); 1 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub dial_timeout: Duration,
    /// Time limit of every request (get, put, a list page, a txn, creating a watch); 3 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub operation_timeout: Duration,
    /// Plain-text gRPC even when TLS files are given.
    pub insecure_transport: bool,
    /// Upstream's "accept any server certificate". Not supported here (the TLS stack has no
    /// such switch): `true` is ignored with a warning saying to give `ca-file`; the server's
    /// certificate is still verified.
    pub insecure_skip_tls_verify: bool,
    /// Client certificate (PEM) for TLS; needs `key-file`.
    pub cert_file: Option<PathBuf>,
    /// Client private key (PEM) for TLS; needs `cert-file`.
    pub key_file: Option<PathBuf>,
    /// CA certificate (PEM) that signed the server's certificate. TLS without it trusts the
    /// system's roots.
    pub ca_file: Option<PathBuf>,
    /// Compact the history to the current revision this often; 0 (the default) is off.
    /// Upstream warns below one hour, and so do we: watchers that were away longer than
    /// this get a resync instead of the missed events.
    #[serde(with = "cninfra_core::config::duration")]
    pub auto_compact: Duration,
    /// After the connection comes back, announce
    /// [`ConnectionState::Reconnected { resync: true }`](crate::ConnectionState::Reconnected)
    /// so that data sync re-reads everything. On by default (upstream: off, which left
    /// agents with stale state). Watches resume exactly either way.
    pub resync_after_reconnect: bool,
    /// Start even when etcd is not reachable yet, and connect when it appears; requests
    /// fail as unavailable until then.
    pub allow_delayed_start: bool,
    /// Time between connection checks and between reconnect attempts (of the plugin and
    /// of every watch); 2 s.
    #[serde(with = "cninfra_core::config::duration")]
    pub reconnect_interval: Duration,
    /// Upstream's client-lifetime lease TTL in seconds (5). Accepted for compatibility; the
    /// broker API has no client-lifetime puts yet, so nothing uses it.
    pub session_ttl: u64,
    /// User name for etcd authentication (needs `password`).
    pub username: Option<String>,
    /// Password of `username`.
    pub password: Option<String>,
    /// Upstream expanded `$VAR` in JSON values read from etcd. Not supported here: `true`
    /// fails the start.
    pub expand_env_variables: bool,
}

impl Default for EtcdConfig {
    fn default() -> Self {
        Self {
            endpoints: Vec::new(),
            dial_timeout: Duration::from_secs(1),
            operation_timeout: Duration::from_secs(3),
            insecure_transport: false,
            insecure_skip_tls_verify: false,
            cert_file: None,
            key_file: None,
            ca_file: None,
            auto_compact: Duration::ZERO,
            resync_after_reconnect: true,
            allow_delayed_start: false,
            reconnect_interval: Duration::from_secs(2),
            session_ttl: 5,
            username: None,
            password: None,
            expand_env_variables: false,
        }
    }
}

impl fmt::Debug for EtcdConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EtcdConfig")
            .field("endpoints", &self.endpoints)
            .field("dial_timeout", &self.dial_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("insecure_transport", &self.insecure_transport)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("ca_file", &self.ca_file)
            .field("auto_compact", &self.auto_compact)
            .field("resync_after_reconnect", &self.resync_after_reconnect)
            .field("allow_delayed_start", &self.allow_delayed_start)
            .field("reconnect_interval", &self.reconnect_interval)
            .field("session_ttl", &self.session_ttl)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("expand_env_variables", &self.expand_env_variables)
            .finish()
    }
}

impl EtcdConfig {
    /// A config for the given endpoints, everything else at its default.
    pub fn with_endpoints<I, S>(endpoints: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            endpoints: endpoints.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// The endpoints to use: `endpoints` when set, else the first of
    /// [`ENDPOINT_VARIABLES`] that `env` gives (comma-separated), else
    /// [`DEFAULT_ENDPOINT`]. `env` looks a variable up (pass `|k| std::env::var(k).ok()`
    /// for the process environment).
    ///
    /// # Examples
    /// ```
    /// use cninfra_kv_etcd::EtcdConfig;
    ///
    /// let env = |name: &str| (name == "ETCDV3_ENDPOINTS").then(|| "a:1, b:2".to_owned());
    /// assert_eq!(EtcdConfig::default().resolve_endpoints(env), ["a:1", "b:2"]);
    /// assert_eq!(EtcdConfig::default().resolve_endpoints(|_| None), ["127.0.0.1:2379"]);
    /// ```
    pub fn resolve_endpoints(&self, env: impl Fn(&str) -> Option<String>) -> Vec<String> {
        let configured = split_endpoints(self.endpoints.iter().map(String::as_str));
        if !configured.is_empty() {
            return configured;
        }
        for name in ENDPOINT_VARIABLES {
            if let Some(value) = env(name) {
                let found = split_endpoints(value.split(','));
                if !found.is_empty() {
                    return found;
                }
            }
        }
        vec![DEFAULT_ENDPOINT.to_owned()]
    }

    /// Whether requests go over TLS: an `https://` endpoint, or any TLS file given while
    /// `insecure-transport` is off.
    pub fn uses_tls(&self) -> bool {
        let files = self.cert_file.is_some() || self.key_file.is_some() || self.ca_file.is_some();
        let https = self.endpoints.iter().any(|e| e.starts_with("https://"));
        (files && !self.insecure_transport) || https
    }

    /// Checks the settings and builds the client options (reading the TLS files).
    pub(crate) fn connect_options(&self) -> Result<ConnectOptions, EtcdError> {
        if self.insecure_skip_tls_verify {
            // Upstream's switch; the warning says why it has no effect (the issue of
            // drop-in config files: a key that makes no sense here is a warning, not a refusal).
            tracing::warn!(target: crate::LOG,
                "etcd.conf: insecure-skip-tls-verify: true is ignored: this client always \
                 verifies the server's certificate (its TLS stack has no switch to skip it); \
                 give the server's CA in `ca-file`");
        }
        if self.expand_env_variables {
            return Err(EtcdError::config(
                "expand-env-variables",
                "is not supported by this connector; expand variables before writing values",
            ));
        }
        for (field, value) in [
            ("dial-timeout", self.dial_timeout),
            ("operation-timeout", self.operation_timeout),
            ("reconnect-interval", self.reconnect_interval),
        ] {
            if value.is_zero() {
                return Err(EtcdError::config(field, "must be more than 0"));
            }
        }
        let mut options = ConnectOptions::new()
            .with_connect_timeout(self.dial_timeout)
            // Idle watch streams notice a silent peer within interval + timeout.
            .with_keep_alive(Duration::from_secs(10), self.operation_timeout)
            .with_keep_alive_while_idle(true)
            // etcd forgets simple auth tokens when it restarts: log in again.
            .with_auto_token_refresh(true);
        match (&self.username, &self.password) {
            (Some(user), Some(password)) => options = options.with_user(user, password),
            (Some(_), None) => {
                return Err(EtcdError::config("password", "is needed with username"));
            }
            (None, Some(_)) => {
                return Err(EtcdError::config("username", "is needed with password"));
            }
            (None, None) => {}
        }
        if self.uses_tls() {
            options = options.with_tls(tls_options(self.client_tls().load(TlsKeys::FLAT)?));
        }
        Ok(options)
    }

    /// The TLS settings in the shared client shape: upstream's flat keys `ca-file`,
    /// `cert-file`, `key-file` and `insecure-skip-tls-verify`, enabled as
    /// [`uses_tls`](Self::uses_tls) says.
    ///
    /// # Examples
    /// ```
    /// use cninfra_kv_etcd::EtcdConfig;
    ///
    /// let config: EtcdConfig = serde_yaml_ng::from_str("ca-file: /etc/etcd/ca.pem\n")?;
    /// let tls = config.client_tls();
    /// assert!(tls.enabled && tls.ca_file.is_some());
    /// # Ok::<(), serde_yaml_ng::Error>(())
    /// ```
    pub fn client_tls(&self) -> ClientTlsConfig {
        ClientTlsConfig {
            enabled: self.uses_tls(),
            skip_verify: self.insecure_skip_tls_verify,
            ca_file: self.ca_file.clone(),
            cert_file: self.cert_file.clone(),
            key_file: self.key_file.clone(),
        }
    }
}

/// The client's TLS options from the loaded files; the system's roots without a CA file.
fn tls_options(loaded: ClientTls) -> TlsOptions {
    let mut tls = TlsOptions::new();
    tls = match loaded.ca_pem {
        Some(pem) => tls.ca_certificate(Certificate::from_pem(pem)),
        None => tls.with_native_roots(),
    };
    if let Some(identity) = loaded.identity {
        tls = tls.identity(Identity::from_pem(identity.cert_pem, identity.key_pem));
    }
    tls
}

fn split_endpoints<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    items
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let config = EtcdConfig::default();
        let text = serde_yaml_ng::to_string(&config).unwrap();
        let back: EtcdConfig = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, config);
    }

    #[test]
    fn upstream_sample_parses() {
        let text = "
endpoints:
  - 172.17.0.1:2379
dial-timeout: 1000000000
operation-timeout: 3s
insecure-transport: true
auto-compact: 60m
resync-after-reconnect: false
allow-delayed-start: true
reconnect-interval: 2s
session-ttl: 5
";
        let config: EtcdConfig =
            cninfra_core::config::parse_str(text, "etcd.conf".as_ref()).unwrap();
        assert_eq!(config.endpoints, ["172.17.0.1:2379"]);
        assert_eq!(config.dial_timeout, Duration::from_secs(1));
        assert_eq!(config.auto_compact, Duration::from_secs(3600));
        assert!(!config.resync_after_reconnect && config.allow_delayed_start);
    }

    #[test]
    fn upstream_tls_keys_map_into_the_shared_shape() {
        let text = "
endpoints:
  - https://172.17.0.1:2379
insecure-transport: false
insecure-skip-tls-verify: false
cert-file: /etc/etcd/client.pem
key-file: /etc/etcd/client-key.pem
ca-file: /etc/etcd/ca.pem
";
        let config: EtcdConfig =
            cninfra_core::config::parse_str(text, "etcd.conf".as_ref()).unwrap();
        assert_eq!(
            config.client_tls(),
            ClientTlsConfig {
                enabled: true,
                skip_verify: false,
                ca_file: Some("/etc/etcd/ca.pem".into()),
                cert_file: Some("/etc/etcd/client.pem".into()),
                key_file: Some("/etc/etcd/client-key.pem".into()),
            }
        );
        let plain = EtcdConfig {
            insecure_transport: true,
            ..EtcdConfig::with_endpoints(["h:1"])
        };
        assert!(!plain.client_tls().enabled);
    }

    #[test]
    fn unknown_key_is_an_error_naming_it() {
        let err = cninfra_core::config::parse_str::<EtcdConfig>(
            "dial-timout: 1s\n",
            "etcd.conf".as_ref(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("dial-timout") && err.contains("etcd.conf:1"),
            "{err}"
        );
    }

    #[test]
    fn endpoints_fall_back_to_variables_then_default() {
        let both = |name: &str| match name {
            "ETCD_ENDPOINTS" => Some(" ".to_owned()),
            "ETCDV3_ENDPOINTS" => Some("h1:1,h2:2".to_owned()),
            _ => None,
        };
        assert_eq!(
            EtcdConfig::default().resolve_endpoints(both),
            ["h1:1", "h2:2"]
        );
        let first = |name: &str| (name == "ETCD_ENDPOINTS").then(|| "e:1".to_owned());
        assert_eq!(EtcdConfig::default().resolve_endpoints(first), ["e:1"]);
        let config = EtcdConfig::with_endpoints(["c:1"]);
        assert_eq!(config.resolve_endpoints(first), ["c:1"]);
        assert_eq!(
            EtcdConfig::default().resolve_endpoints(|_| None),
            [DEFAULT_ENDPOINT]
        );
    }

    #[test]
    fn tls_is_used_for_files_unless_insecure_transport() {
        let mut config = EtcdConfig {
            ca_file: Some("/ca.pem".into()),
            ..EtcdConfig::default()
        };
        assert!(config.uses_tls());
        config.insecure_transport = true;
        assert!(!config.uses_tls());
        assert!(EtcdConfig::with_endpoints(["https://h:1"]).uses_tls());
    }

    #[test]
    fn unsupported_switches_and_half_pairs_are_refused_by_name() {
        let skip = EtcdConfig {
            insecure_skip_tls_verify: true,
            ..EtcdConfig::default()
        };
        assert!(skip.connect_options().is_ok(), "only a warning");
        let cases = [
            (
                EtcdConfig {
                    expand_env_variables: true,
                    ..EtcdConfig::default()
                },
                "expand-env-variables",
            ),
            (
                EtcdConfig {
                    username: Some("root".into()),
                    ..EtcdConfig::default()
                },
                "password",
            ),
            (
                EtcdConfig {
                    cert_file: Some("/nonexistent/cert.pem".into()),
                    ca_file: None,
                    ..EtcdConfig::default()
                },
                "key-file",
            ),
            (
                EtcdConfig {
                    operation_timeout: Duration::ZERO,
                    ..EtcdConfig::default()
                },
                "operation-timeout",
            ),
        ];
        for (config, field) in cases {
            let err = config.connect_options().unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let config = EtcdConfig {
            username: Some("root".into()),
            password: Some("s3cret".into()),
            ..EtcdConfig::default()
        };
        let text = format!("{config:?}");
        assert!(
            !text.contains("s3cret") && text.contains("redacted"),
            "{text}"
        );
    }
}
