//! [`RedisConfig`]: the settings of the `redis` plugin, read from `redis.conf`.

use std::time::Duration;

use cninfra_core::Secret;
use cninfra_core::tls::ClientTlsConfig;
use serde::{Deserialize, Serialize};

use crate::error::RedisError;

/// Default [`RedisConfig::dial_timeout`].
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(5);
/// Default [`RedisConfig::read_timeout`].
pub const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(3);
/// Default [`RedisConfig::write_timeout`].
pub const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(3);

/// Settings of the Redis connector, read from `redis.conf` (`--redis-config`,
/// `REDIS_CONFIG`). The kind of deployment is detected from the fields, as upstream does:
/// **sentinel** when `master-name` is set, else a **single node** when `endpoint` is set,
/// else a **cluster** of `endpoints`. See [`RedisConfig::topology`].
///
/// ```yaml
/// endpoint: 127.0.0.1:6379
/// db: 0
/// password: secret
/// dial-timeout: 2s
/// read-timeout: 1s
/// write-timeout: 1s
/// enable-keyspace-events: true
/// exact-watch-values: false
/// wait-for-replicas: 0
/// tls:
///   enabled: true
///   ca-file: /etc/redis/ca.pem
/// ```
///
/// Every deployment is implemented (see the [crate docs](crate#deployments) for what
/// each offers). Sentinel mode:
///
/// ```yaml
/// master-name: mymaster
/// endpoints: [10.0.0.1:26379, 10.0.0.2:26379]
/// password: secret
/// ```
///
/// Cluster mode (no `endpoint`, no `master-name`):
///
/// ```yaml
/// endpoints: [10.0.0.1:7000, 10.0.0.2:7000, 10.0.0.3:7000]
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct RedisConfig {
    /// Address of a single Redis node, `host:port`.
    pub endpoint: String,
    /// Addresses of the sentinels (with `master-name`) or of the cluster nodes, `host:port`.
    pub endpoints: Vec<String>,
    /// Name of the master the sentinels watch; selects sentinel mode.
    pub master_name: String,
    /// Database number (`SELECT`); single node and sentinel only (a cluster refuses any
    /// other than 0).
    pub db: u32,
    /// Send read-only commands to replicas (cluster); accepted as upstream, not used.
    pub enable_query_on_slave: bool,
    /// Most redirects a cluster command follows (upstream spells it `max-rediects`); the
    /// cluster client's retries, its own default when 0.
    #[serde(rename = "max-rediects", alias = "max-redirects")]
    pub max_redirects: u32,
    /// Route read-only cluster commands to the closest node; accepted as upstream, not used.
    pub route_by_latency: bool,
    /// Password (`AUTH`) of the data node; empty for none. Sentinels are asked without.
    pub password: Secret,
    /// How long connecting (TCP, TLS, `AUTH`, `SELECT`) may take; 0 means the default, as
    /// upstream's client (the three timeouts alike).
    #[serde(with = "cninfra_core::config::duration")]
    pub dial_timeout: Duration,
    /// How long the server may take to answer one command.
    #[serde(with = "cninfra_core::config::duration")]
    pub read_timeout: Duration,
    /// How long sending one command may take; a command fails when sending and answering
    /// together take longer than `write-timeout + read-timeout`.
    #[serde(with = "cninfra_core::config::duration")]
    pub write_timeout: Duration,
    /// Connection pool settings of upstream's client. This connector multiplexes every
    /// command over one connection (plus one per watch), so they have no effect.
    pub pool: PoolConfig,
    /// TLS towards the data node (the single node, or the master in sentinel mode; the
    /// sentinels are reached over plain TCP); not offered in cluster mode.
    pub tls: ClientTlsConfig,
    /// When the server's `notify-keyspace-events` lacks what watches need, turn it on with
    /// `CONFIG SET` (keeping the classes already enabled) instead of refusing to watch.
    pub enable_keyspace_events: bool,
    /// Make watch events exact: every write runs as a Lua script that publishes the new
    /// and the old value before writing, so each change of this connector arrives as its
    /// own event with its value and previous value. Costs about half of Redis's write
    /// throughput (Lua per write). Off (default, as upstream): plain `SET`/`DEL`; a watch
    /// reads the key with `GET` when the keyspace notification arrives, so an event may
    /// carry a newer value than the write that caused it, quick successive changes of a
    /// key may merge into one event, and events carry no previous value.
    pub exact_watch_values: bool,
    /// Ours: how many replicas must hold each write before it counts as done. A write is
    /// followed by `WAIT <n> <read-timeout>` on the same connection (in a cluster, on the
    /// master of the key; for deletes of several keys and transactions on every master);
    /// when fewer replicas confirm it in time, the write returns a retryable
    /// [`KvError::Unavailable`](cninfra_kv::KvError::Unavailable) (it was applied on the
    /// master and may or may not survive a failover). 0 (default, as upstream): writes
    /// are acknowledged by the master alone, and since Redis replicates asynchronously a
    /// failover may lose writes the master had acknowledged.
    pub wait_for_replicas: u32,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            endpoint: String::new(),
            endpoints: Vec::new(),
            master_name: String::new(),
            db: 0,
            enable_query_on_slave: false,
            max_redirects: 0,
            route_by_latency: false,
            password: Secret::default(),
            dial_timeout: DEFAULT_DIAL_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            pool: PoolConfig::default(),
            tls: ClientTlsConfig::default(),
            enable_keyspace_events: false,
            exact_watch_values: false,
            wait_for_replicas: 0,
        }
    }
}

/// Upstream's connection pool settings; accepted so that upstream config files load, but
/// without effect here (see [`RedisConfig::pool`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PoolConfig {
    /// Most connections in the pool.
    pub max_connections: u32,
    /// How long to wait for a free connection.
    #[serde(with = "cninfra_core::config::duration")]
    pub busy_timeout: Duration,
    /// When idle connections are closed.
    #[serde(with = "cninfra_core::config::duration")]
    pub idle_timeout: Duration,
    /// How often idle connections are checked.
    #[serde(with = "cninfra_core::config::duration")]
    pub idle_check_frequency: Duration,
}

/// The kind of Redis deployment a [`RedisConfig`] describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topology {
    /// One node at `host:port`.
    Node {
        /// Host name or address.
        host: String,
        /// Port.
        port: u16,
    },
    /// Sentinels that know the master `master_name`.
    Sentinel,
    /// A cluster reached through the listed nodes.
    Cluster,
}

impl RedisConfig {
    /// A single-node config for `endpoint` (`host:port`) with default timeouts.
    ///
    /// # Examples
    /// ```
    /// use cninfra_kv_redis::{RedisConfig, Topology};
    /// let config = RedisConfig::node("127.0.0.1:6379");
    /// assert_eq!(
    ///     config.topology()?,
    ///     Topology::Node { host: "127.0.0.1".into(), port: 6379 }
    /// );
    /// # Ok::<(), cninfra_kv_redis::RedisError>(())
    /// ```
    pub fn node(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into(),
            ..Self::default()
        }
    }

    /// The deployment this config selects: sentinel if `master-name` is set, else a single
    /// node if `endpoint` is set, else a cluster of `endpoints`.
    ///
    /// # Errors
    /// [`RedisError::NoEndpoint`] when nothing says where the server is;
    /// [`RedisError::InvalidConfig`] naming the field when an address is not `host:port`.
    pub fn topology(&self) -> Result<Topology, RedisError> {
        if !self.master_name.is_empty() {
            return Ok(Topology::Sentinel);
        }
        if !self.endpoint.is_empty() {
            let (host, port) = parse_endpoint("endpoint", &self.endpoint)?;
            return Ok(Topology::Node { host, port });
        }
        if self.endpoints.is_empty() {
            return Err(RedisError::NoEndpoint);
        }
        for endpoint in &self.endpoints {
            parse_endpoint("endpoints", endpoint)?;
        }
        Ok(Topology::Cluster)
    }

    /// The time limit of one command: `write-timeout + read-timeout`.
    pub(crate) fn command_timeout(&self) -> Duration {
        self.effective_write_timeout()
            .saturating_add(self.effective_read_timeout())
    }

    /// `dial-timeout`, its default when 0 (upstream's client's rule, and its sample files
    /// write 0).
    pub(crate) fn effective_dial_timeout(&self) -> Duration {
        nonzero(self.dial_timeout, DEFAULT_DIAL_TIMEOUT)
    }

    /// `read-timeout`, its default when 0.
    pub(crate) fn effective_read_timeout(&self) -> Duration {
        nonzero(self.read_timeout, DEFAULT_READ_TIMEOUT)
    }

    fn effective_write_timeout(&self) -> Duration {
        nonzero(self.write_timeout, DEFAULT_WRITE_TIMEOUT)
    }
}

fn nonzero(value: Duration, default: Duration) -> Duration {
    if value.is_zero() { default } else { value }
}

/// Splits `host:port` (`[v6]:port` too).
pub(crate) fn parse_endpoint(
    field: &'static str,
    value: &str,
) -> Result<(String, u16), RedisError> {
    let invalid = |reason: &'static str| RedisError::InvalidConfig {
        field,
        value: value.to_owned(),
        reason,
    };
    let (host, port) = value
        .rsplit_once(':')
        .ok_or_else(|| invalid("expected `host:port`"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(invalid("the host is empty"));
    }
    let port = port
        .parse::<u16>()
        .map_err(|_| invalid("the port is not a number from 0 to 65535"))?;
    Ok((host.to_owned(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_password() {
        let config = RedisConfig {
            password: "s3cret".into(),
            ..RedisConfig::default()
        };
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("s3cret") && shown.contains("<redacted>"),
            "{shown}"
        );
    }

    #[test]
    fn default_survives_a_yaml_round_trip() {
        let text = serde_yaml_ng::to_string(&RedisConfig::default()).unwrap();
        let back: RedisConfig = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(back, RedisConfig::default());
    }

    #[test]
    fn the_documented_sample_parses() {
        let sample = "endpoint: 127.0.0.1:6379\ndb: 0\npassword: secret\ndial-timeout: 2s\n\
                      read-timeout: 1s\nwrite-timeout: 1s\nenable-keyspace-events: true\n\
                      exact-watch-values: false\n\
                      tls:\n  enabled: true\n  ca-file: /etc/redis/ca.pem\n";
        let config: RedisConfig = serde_yaml_ng::from_str(sample).unwrap();
        assert_eq!(config.dial_timeout, Duration::from_secs(2));
        assert!(config.tls.enabled && config.enable_keyspace_events);
        assert_eq!(
            config.tls.ca_file,
            Some(std::path::PathBuf::from("/etc/redis/ca.pem"))
        );
    }

    #[test]
    fn the_upstream_tls_block_parses_into_the_shared_shape() {
        let sample = "endpoint: 127.0.0.1:6379\ntls:\n  enabled: true\n  skip-verify: true\n  \
                      cert-file: /etc/redis/client.pem\n  key-file: /etc/redis/client-key.pem\n  \
                      ca-file: ''\n";
        let config: RedisConfig = serde_yaml_ng::from_str(sample).unwrap();
        assert_eq!(
            config.tls,
            ClientTlsConfig {
                enabled: true,
                skip_verify: true,
                ca_file: None,
                cert_file: Some("/etc/redis/client.pem".into()),
                key_file: Some("/etc/redis/client-key.pem".into()),
            }
        );
    }

    #[test]
    fn the_documented_sentinel_sample_parses() {
        let sample = "master-name: mymaster\nendpoints: [10.0.0.1:26379, 10.0.0.2:26379]\n\
                      password: secret\n";
        let config: RedisConfig = serde_yaml_ng::from_str(sample).unwrap();
        assert_eq!(config.topology().unwrap(), Topology::Sentinel);
        assert_eq!(config.endpoints.len(), 2);
        assert!(!config.exact_watch_values);
    }

    #[test]
    fn upstream_files_load_including_the_misspelt_field() {
        let cluster = "endpoints: [10.0.0.1:7000, 10.0.0.2:7000]\nmax-rediects: 3\n\
                       route-by-latency: true\npool:\n  max-connections: 10\n  idle-timeout: 1m\n";
        let config: RedisConfig = serde_yaml_ng::from_str(cluster).unwrap();
        assert_eq!(config.max_redirects, 3);
        assert_eq!(config.pool.idle_timeout, Duration::from_secs(60));
        assert_eq!(config.topology().unwrap(), Topology::Cluster);
        let unknown = serde_yaml_ng::from_str::<RedisConfig>("endpont: a:1\n").unwrap_err();
        assert!(unknown.to_string().contains("endpont"), "{unknown}");
    }

    #[test]
    fn topology_is_detected_as_upstream() {
        let sentinel = RedisConfig {
            master_name: "mymaster".into(),
            endpoint: "127.0.0.1:1".into(),
            ..RedisConfig::default()
        };
        assert_eq!(sentinel.topology().unwrap(), Topology::Sentinel);
        let node = RedisConfig::node("[::1]:6380");
        assert_eq!(
            node.topology().unwrap(),
            Topology::Node {
                host: "::1".into(),
                port: 6380
            }
        );
        assert!(matches!(
            RedisConfig::default().topology(),
            Err(RedisError::NoEndpoint)
        ));
    }

    #[test]
    fn a_bad_endpoint_names_field_and_value() {
        let err = RedisConfig::node("localhost").topology().unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("endpoint") && text.contains("localhost"),
            "{text}"
        );
        let err = RedisConfig::node("host:99999").topology().unwrap_err();
        assert!(err.to_string().contains("host:99999"), "{err}");
    }
}
