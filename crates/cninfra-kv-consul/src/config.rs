//! [`ConsulConfig`]: the settings of the `consul` plugin, read from `consul.conf`.

use std::time::Duration;

use cninfra_core::Secret;
use cninfra_core::tls::ClientTlsConfig;
use serde::{Deserialize, Serialize};

use crate::error::ConsulError;

/// The address used when neither the config nor `CONSUL_HTTP_ADDR` gives one.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8500";
/// Default [`ConsulConfig::dial_timeout`].
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default [`ConsulConfig::request_timeout`].
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of the Consul connector, read from `consul.conf` (`--consul-config`,
/// `CONSUL_CONFIG`). Upstream's keys are `address` and `resync-after-reconnect`; the others
/// are this connector's (upstream took them from the Consul client's environment).
///
/// ```yaml
/// address: https://consul.example:8501
/// token: 6a1f0c3e-secret
/// datacenter: dc1
/// request-timeout: 5s
/// resync-after-reconnect: true
/// tls:
///   ca-file: /etc/consul/ca.pem
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConsulConfig {
    /// `host:port` or a URL (`http://…`, `https://…`) of the Consul agent. Empty: the
    /// environment variable `CONSUL_HTTP_ADDR`, else `127.0.0.1:8500`.
    pub address: String,
    /// ACL token sent as `X-Consul-Token`. Empty: `CONSUL_HTTP_TOKEN`, else none.
    pub token: Secret,
    /// Datacenter to query (`?dc=`); empty for the agent's own.
    pub datacenter: String,
    /// TLS towards the agent; used for `https://` addresses (or with `tls.enabled`).
    pub tls: ClientTlsConfig,
    /// How long connecting may take.
    #[serde(with = "cninfra_core::config::duration")]
    pub dial_timeout: Duration,
    /// How long one request may take (a blocking query of a watch gets its wait on top).
    #[serde(with = "cninfra_core::config::duration")]
    pub request_timeout: Duration,
    /// Also send a resync signal to watches after their requests failed and work again.
    /// Watches resume by comparing listings, so nothing is lost without it; a consumer
    /// that wants to re-read anyway sets it (upstream's option of the same name).
    pub resync_after_reconnect: bool,
}

impl Default for ConsulConfig {
    fn default() -> Self {
        Self {
            address: String::new(),
            token: Secret::default(),
            datacenter: String::new(),
            tls: ClientTlsConfig::default(),
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            resync_after_reconnect: false,
        }
    }
}

impl ConsulConfig {
    /// A config for the agent at `address`.
    ///
    /// # Examples
    /// ```
    /// use cninfra_kv_consul::ConsulConfig;
    /// let config = ConsulConfig::new("127.0.0.1:8500");
    /// assert_eq!(config.base_url(|_| None)?, "http://127.0.0.1:8500");
    /// # Ok::<(), cninfra_kv_consul::ConsulError>(())
    /// ```
    pub fn new(address: impl Into<String>) -> Self {
        Self {
            address: address.into(),
            ..Self::default()
        }
    }

    /// The base URL of the agent: the configured address, else the environment variable
    /// `CONSUL_HTTP_ADDR` (read through `env`), else [`DEFAULT_ADDRESS`]; `http://` unless
    /// the address says `https://` or `tls.enabled` is set.
    ///
    /// # Errors
    /// [`ConsulError::InvalidConfig`] for an address that is not `host:port` or a URL.
    pub fn base_url(&self, env: impl Fn(&str) -> Option<String>) -> Result<String, ConsulError> {
        let address = if self.address.is_empty() {
            env("CONSUL_HTTP_ADDR")
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| DEFAULT_ADDRESS.to_owned())
        } else {
            self.address.clone()
        };
        let invalid = |reason| ConsulError::InvalidConfig {
            field: "address",
            value: address.clone(),
            reason,
        };
        let (scheme, rest) = match address.split_once("://") {
            Some(("http", rest)) if !self.tls.enabled => ("http", rest),
            Some(("http" | "https", rest)) => ("https", rest),
            Some(_) => return Err(invalid("the scheme must be http or https")),
            None if self.tls.enabled => ("https", address.as_str()),
            None => ("http", address.as_str()),
        };
        let host_port = rest.trim_end_matches('/');
        let port_ok = host_port
            .rsplit_once(':')
            .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok());
        if !port_ok {
            return Err(invalid(
                "expected `host:port` (with an optional http:// or https://)",
            ));
        }
        Ok(format!("{scheme}://{host_port}"))
    }

    /// The ACL token: the configured one, else `CONSUL_HTTP_TOKEN` (through `env`).
    pub fn effective_token(&self, env: impl Fn(&str) -> Option<String>) -> Option<String> {
        if self.token.is_empty() {
            env("CONSUL_HTTP_TOKEN").filter(|t| !t.is_empty())
        } else {
            Some(self.token.expose().to_owned())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_token() {
        let config = ConsulConfig {
            token: "s3cret".into(),
            ..ConsulConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&ConsulConfig::default()).unwrap();
        let back: ConsulConfig = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, ConsulConfig::default());
    }

    #[test]
    fn the_documented_sample_parses() {
        let sample = "address: https://consul.example:8501\ntoken: 6a1f0c3e-secret\n\
                      datacenter: dc1\nrequest-timeout: 5s\nresync-after-reconnect: true\n\
                      tls:\n  ca-file: /etc/consul/ca.pem\n";
        let config: ConsulConfig = serde_yaml_ng::from_str(sample).unwrap();
        assert_eq!(config.request_timeout, Duration::from_secs(5));
        assert_eq!(
            config.base_url(no_env).unwrap(),
            "https://consul.example:8501"
        );
        assert!(config.resync_after_reconnect);
    }

    #[test]
    fn the_tls_block_parses_into_the_shared_shape() {
        let sample = "address: 127.0.0.1:8501\ntls:\n  enabled: true\n  \
                      ca-file: /etc/consul/ca.pem\n  cert-file: /etc/consul/client.pem\n  \
                      key-file: /etc/consul/client-key.pem\n  insecure-skip-verify: true\n";
        let config: ConsulConfig = serde_yaml_ng::from_str(sample).unwrap();
        assert_eq!(
            config.tls,
            ClientTlsConfig {
                enabled: true,
                skip_verify: true,
                ca_file: Some("/etc/consul/ca.pem".into()),
                cert_file: Some("/etc/consul/client.pem".into()),
                key_file: Some("/etc/consul/client-key.pem".into()),
            }
        );
        assert_eq!(config.base_url(no_env).unwrap(), "https://127.0.0.1:8501");
    }

    #[test]
    fn address_comes_from_config_then_env_then_default() {
        let env = |name: &str| (name == "CONSUL_HTTP_ADDR").then(|| "10.1.1.1:8500".to_owned());
        assert_eq!(
            ConsulConfig::default().base_url(env).unwrap(),
            "http://10.1.1.1:8500"
        );
        assert_eq!(
            ConsulConfig::default().base_url(no_env).unwrap(),
            "http://127.0.0.1:8500"
        );
        let mine = ConsulConfig::new("127.0.0.2:8600");
        assert_eq!(mine.base_url(env).unwrap(), "http://127.0.0.2:8600");
        let mut tls = ConsulConfig::new("127.0.0.2:8501");
        tls.tls.enabled = true;
        assert_eq!(tls.base_url(no_env).unwrap(), "https://127.0.0.2:8501");
    }

    #[test]
    fn a_bad_address_is_named() {
        for bad in ["consul", "ftp://a:1", "http://:8500", "a:port"] {
            let err = ConsulConfig::new(bad).base_url(no_env).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
    }

    #[test]
    fn token_comes_from_config_then_env() {
        let env = |name: &str| (name == "CONSUL_HTTP_TOKEN").then(|| "from-env".to_owned());
        assert_eq!(
            ConsulConfig::default().effective_token(env).as_deref(),
            Some("from-env")
        );
        let mine = ConsulConfig {
            token: "mine".into(),
            ..ConsulConfig::default()
        };
        assert_eq!(mine.effective_token(env).as_deref(), Some("mine"));
        assert_eq!(ConsulConfig::default().effective_token(no_env), None);
    }
}
