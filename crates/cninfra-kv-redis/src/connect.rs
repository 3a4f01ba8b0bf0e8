//! Turning a [`RedisConfig`] into connections: the client (address, password, database,
//! TLS), the multiplexed command connection, pub/sub connections, and the keyspace
//! notification check. In sentinel mode the address of the master is asked of the
//! sentinels each time a connection is made (see [`crate::failover`]); in cluster mode
//! the command connection is the cluster client's (see [`crate::cluster`]).

use std::fmt;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::cluster::ClusterClient;
use redis::{
    Client, ConnectionAddr, ErrorKind, IntoConnectionInfo, RedisConnectionInfo, TlsCertificates,
};

use cninfra_core::tls::{ClientTls, TlsKeys};

use crate::cluster::Con;

use crate::config::{RedisConfig, Topology, parse_endpoint};
use crate::error::RedisError;

/// Where and how to connect, built once from the config.
#[derive(Clone)]
pub(crate) struct Target {
    locator: Locator,
    /// Password and database of the data connections.
    settings: RedisConnectionInfo,
    /// TLS towards the data node: skip-verify and the certificates.
    tls: Option<(bool, TlsCertificates)>,
    /// `host:port`, or `master <name> via sentinels [...]`, for messages.
    pub(crate) endpoint: String,
    pub(crate) dial_timeout: Duration,
    pub(crate) read_timeout: Duration,
    /// The time limit of one command: `write-timeout + read-timeout`.
    pub(crate) command_timeout: Duration,
}

/// How the data node is found.
#[derive(Clone)]
enum Locator {
    /// Always the same node.
    Node(Client),
    /// The master that the sentinels name.
    Sentinel {
        master_name: String,
        sentinels: Vec<Client>,
    },
    /// A cluster, reached through any of the listed nodes (boxed: it is large).
    Cluster(Box<ClusterClient>),
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("endpoint", &self.endpoint)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Checks the config and reads the TLS files; connects to nothing yet.
    pub(crate) fn new(config: &RedisConfig) -> Result<Self, RedisError> {
        let topology = config.topology()?;
        if topology == Topology::Cluster {
            return cluster_target(config);
        }
        let mut settings = RedisConnectionInfo::default().set_db(i64::from(config.db));
        if !config.password.is_empty() {
            settings = settings.set_password(config.password.expose());
        }
        let tls = if config.tls.enabled {
            Some(certificates(config.tls.load(TlsKeys::NESTED)?))
        } else {
            None
        };
        let (endpoint, locator) = match topology {
            Topology::Node { host, port } => (
                format!("{host}:{port}"),
                Locator::Node(node_client(&settings, tls.as_ref(), host, port)?),
            ),
            _ => sentinel_locator(config)?,
        };
        Ok(Self {
            locator,
            settings,
            tls,
            endpoint,
            dial_timeout: config.effective_dial_timeout(),
            read_timeout: config.effective_read_timeout(),
            command_timeout: config.command_timeout(),
        })
    }

    /// Whether the data node is found through sentinels.
    pub(crate) fn is_sentinel(&self) -> bool {
        matches!(self.locator, Locator::Sentinel { .. })
    }

    /// Whether this is a cluster.
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self.locator, Locator::Cluster(_))
    }

    /// The master name and the sentinels' clients, in sentinel mode.
    pub(crate) fn sentinels(&self) -> Option<(&str, &[Client])> {
        match &self.locator {
            Locator::Node(_) | Locator::Cluster(_) => None,
            Locator::Sentinel {
                master_name,
                sentinels,
            } => Some((master_name, sentinels)),
        }
    }

    /// The data node now: `host:port` and its client. In sentinel mode, the address the
    /// first answering sentinel names, once that node says it is the master.
    pub(crate) async fn data_node(&self) -> Result<(String, Client), RedisError> {
        match &self.locator {
            Locator::Node(client) => Ok((self.endpoint.clone(), client.clone())),
            Locator::Sentinel {
                master_name,
                sentinels,
            } => crate::failover::find_master(self, master_name, sentinels).await,
            Locator::Cluster(_) => Err(RedisError::InvalidConfig {
                field: "endpoints",
                value: self.endpoint.clone(),
                reason: "a cluster has no single data node",
            }),
        }
    }

    /// A client of the data node at `host:port` (config's password, database and TLS).
    pub(crate) fn client_for(&self, host: String, port: u16) -> Result<Client, RedisError> {
        node_client(&self.settings, self.tls.as_ref(), host, port)
    }

    /// Opens the multiplexed connection to the data node that reconnects by itself (to
    /// the same node), within the dial timeout; each of its commands fails after the
    /// command time limit. Returns the node's address with it.
    pub(crate) async fn manager(&self) -> Result<(String, Con), RedisError> {
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.dial_timeout))
            .set_response_timeout(Some(self.command_timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        // PING as part of dialing: a server that wants a password we did not give only
        // says so on the first command.
        let dialing = async {
            if let Locator::Cluster(cluster) = &self.locator {
                let mut con = cluster
                    .get_async_connection()
                    .await
                    .map_err(|source| self.connect_error(source))?;
                redis::cmd("PING")
                    .query_async::<()>(&mut con)
                    .await
                    .map_err(|source| self.connect_error(source))?;
                return Ok((self.endpoint.clone(), Con::Cluster(con)));
            }
            let (address, client) = self.data_node().await?;
            let mut manager = ConnectionManager::new_with_config(client, settings)
                .await
                .map_err(|source| self.connect_error(source))?;
            redis::cmd("PING")
                .query_async::<()>(&mut manager)
                .await
                .map_err(|source| self.connect_error(source))?;
            Ok((address, Con::Node(manager)))
        };
        match tokio::time::timeout(self.dial_timeout, dialing).await {
            Ok(result) => result,
            Err(_) => Err(self.dial_timeout_error()),
        }
    }

    /// Opens a pub/sub connection within the dial timeout to `node` (`host:port`, a
    /// cluster master), else to the data node.
    pub(crate) async fn pubsub(&self, node: Option<&str>) -> Result<PubSub, RedisError> {
        let opening = async {
            let client = match node {
                Some(node) => {
                    let (host, port) = parse_endpoint("endpoints", node)?;
                    self.client_for(host, port)?
                }
                None => self.data_node().await?.1,
            };
            client
                .get_async_pubsub()
                .await
                .map_err(|source| self.connect_error(source))
        };
        match tokio::time::timeout(self.dial_timeout, opening).await {
            Ok(result) => result,
            Err(_) => Err(self.dial_timeout_error()),
        }
    }

    pub(crate) fn dial_timeout_error(&self) -> RedisError {
        RedisError::DialTimeout {
            endpoint: self.endpoint.clone(),
            timeout: self.dial_timeout,
        }
    }

    pub(crate) fn connect_error(&self, source: redis::RedisError) -> RedisError {
        let endpoint = self.endpoint.clone();
        let auth = source.kind() == ErrorKind::AuthenticationFailed
            || matches!(source.code(), Some("WRONGPASS" | "NOAUTH"));
        if auth {
            RedisError::Auth { endpoint, source }
        } else if is_tls_failure(&source) {
            RedisError::Tls { endpoint, source }
        } else if source.is_timeout() {
            self.dial_timeout_error()
        } else {
            RedisError::Connect { endpoint, source }
        }
    }

    /// Makes sure the server sends the keyspace notifications watches need: checks
    /// `notify-keyspace-events` and, when `enable` is set, adds what is missing.
    ///
    /// # Errors
    /// [`RedisError::KeyspaceEventsOff`] when they are off and `enable` is not set;
    /// [`RedisError::KeyspaceEventsConfig`] when `CONFIG` fails.
    pub(crate) async fn ensure_keyspace_events(
        &self,
        con: &mut Con,
        enable: bool,
    ) -> Result<(), RedisError> {
        let limit = self.read_timeout.saturating_add(self.dial_timeout);
        let masters = timed(limit, con.masters()).await.map_err(|source| {
            RedisError::KeyspaceEventsConfig {
                action: "read",
                endpoint: self.endpoint.clone(),
                source,
            }
        })?;
        if masters.is_empty() {
            return self.ensure_keyspace_events_on(con, None, enable).await;
        }
        for master in &masters {
            self.ensure_keyspace_events_on(con, Some(master), enable)
                .await?;
        }
        Ok(())
    }

    /// [`ensure_keyspace_events`](Self::ensure_keyspace_events) on one cluster master, or
    /// on the data node.
    async fn ensure_keyspace_events_on(
        &self,
        con: &mut Con,
        node: Option<&str>,
        enable: bool,
    ) -> Result<(), RedisError> {
        let endpoint = node.unwrap_or(&self.endpoint).to_owned();
        let config_error = |action, source| RedisError::KeyspaceEventsConfig {
            action,
            endpoint: endpoint.clone(),
            source,
        };
        let limit = self.read_timeout.saturating_add(self.dial_timeout);
        let mut get = redis::cmd("CONFIG");
        get.arg("GET").arg("notify-keyspace-events");
        let reply: Vec<String> = timed(limit, con.query_on(node, get))
            .await
            .map_err(|err| config_error("read", err))?;
        let current = reply.get(1).cloned().unwrap_or_default();
        let Some(wanted) = missing_keyspace_flags(&current) else {
            return Ok(());
        };
        if !enable {
            return Err(RedisError::KeyspaceEventsOff { endpoint, current });
        }
        let mut set = redis::cmd("CONFIG");
        set.arg("SET").arg("notify-keyspace-events").arg(&wanted);
        let () = timed(limit, con.query_on(node, set))
            .await
            .map_err(|err| config_error("set", err))?;
        tracing::info!(
            target: crate::LOG,
            %endpoint,
            from = %current,
            to = %wanted,
            "enabled keyspace notifications"
        );
        Ok(())
    }
}

/// Whether `err` is a failed TLS handshake: rustls' error inside the I/O error that the
/// client wraps.
fn is_tls_failure(err: &redis::RedisError) -> bool {
    use std::error::Error;
    let Some(inner) = err.source() else {
        return false;
    };
    let inner: &(dyn Error + 'static) =
        match inner.downcast_ref::<std::sync::Arc<dyn Error + Send + Sync>>() {
            Some(shared) => &**shared,
            None => inner,
        };
    inner
        .downcast_ref::<std::io::Error>()
        .and_then(std::io::Error::get_ref)
        .is_some_and(|cause| cause.is::<rustls::Error>())
}

/// A client of the node at `host:port` with `settings` (password, database) and TLS.
fn node_client(
    settings: &RedisConnectionInfo,
    tls: Option<&(bool, TlsCertificates)>,
    host: String,
    port: u16,
) -> Result<Client, RedisError> {
    let endpoint = format!("{host}:{port}");
    match tls {
        Some((insecure, certificates)) => {
            let addr = ConnectionAddr::TcpTls {
                host,
                port,
                insecure: *insecure,
                tls_params: None,
            };
            let info = into_info(addr, &endpoint)?.set_redis_settings(settings.clone());
            Client::build_with_tls(info, certificates.clone())
        }
        None => {
            let info = into_info(ConnectionAddr::Tcp(host, port), &endpoint)?;
            Client::open(info.set_redis_settings(settings.clone()))
        }
    }
    .map_err(|source| RedisError::Connect { endpoint, source })
}

/// The target of cluster mode: no TLS, no database but 0, no exact watch values.
fn cluster_target(config: &RedisConfig) -> Result<Target, RedisError> {
    let refuse = |field, reason| {
        Err(RedisError::InvalidConfig {
            field,
            value: String::new(),
            reason,
        })
    };
    if config.tls.enabled {
        return refuse("tls.enabled", "TLS is not offered in cluster mode");
    }
    if config.db != 0 {
        return refuse("db", "a cluster has database 0 only");
    }
    if config.exact_watch_values {
        return refuse(
            "exact-watch-values",
            "cluster mode broadcasts announcements to every node; use the default",
        );
    }
    let mut settings = RedisConnectionInfo::default();
    let mut builder =
        ClusterClient::builder(config.endpoints.iter().map(|e| format!("redis://{e}/")))
            .connection_timeout(config.effective_dial_timeout())
            .response_timeout(config.command_timeout());
    if !config.password.is_empty() {
        settings = settings.set_password(config.password.expose());
        builder = builder.password(config.password.expose());
    }
    if config.max_redirects > 0 {
        builder = builder.retries(config.max_redirects);
    }
    let endpoint = format!("cluster {}", config.endpoints.join(","));
    let client = builder.build().map_err(|source| RedisError::Connect {
        endpoint: endpoint.clone(),
        source,
    })?;
    Ok(Target {
        locator: Locator::Cluster(Box::new(client)),
        settings,
        tls: None,
        endpoint,
        dial_timeout: config.effective_dial_timeout(),
        read_timeout: config.effective_read_timeout(),
        command_timeout: config.command_timeout(),
    })
}

/// The label and locator of sentinel mode: a client per sentinel (plain TCP, no password).
fn sentinel_locator(config: &RedisConfig) -> Result<(String, Locator), RedisError> {
    if config.endpoints.is_empty() {
        return Err(RedisError::InvalidConfig {
            field: "endpoints",
            value: String::new(),
            reason: "sentinel mode (`master-name` is set) needs the addresses of the sentinels",
        });
    }
    let sentinels = config
        .endpoints
        .iter()
        .map(|endpoint| {
            let (host, port) = parse_endpoint("endpoints", endpoint)?;
            let info = into_info(ConnectionAddr::Tcp(host, port), endpoint)?;
            Client::open(info).map_err(|source| RedisError::Connect {
                endpoint: endpoint.clone(),
                source,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let label = format!(
        "master `{}` via sentinels {}",
        config.master_name,
        config.endpoints.join(",")
    );
    let locator = Locator::Sentinel {
        master_name: config.master_name.clone(),
        sentinels,
    };
    Ok((label, locator))
}

/// Runs a client future within `limit`, turning a time-out into an I/O time-out error.
pub(crate) async fn timed<T>(
    limit: Duration,
    future: impl Future<Output = redis::RedisResult<T>>,
) -> redis::RedisResult<T> {
    match tokio::time::timeout(limit, future).await {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::from(std::io::ErrorKind::TimedOut).into()),
    }
}

fn into_info(addr: ConnectionAddr, endpoint: &str) -> Result<redis::ConnectionInfo, RedisError> {
    addr.into_connection_info()
        .map_err(|source| RedisError::Connect {
            endpoint: endpoint.to_owned(),
            source,
        })
}

/// `None` when `current` already has keyspace events (`K`) for generic (`g`), string (`$`)
/// and expiry (`x`) commands (`A` covers all); else the setting with them added.
fn missing_keyspace_flags(current: &str) -> Option<String> {
    let has = |flag: char| current.contains(flag);
    let classes_ok = has('A') || (has('g') && has('$') && has('x'));
    if has('K') && classes_ok {
        return None;
    }
    let mut wanted = current.to_owned();
    for flag in ['K', 'g', '$', 'x'] {
        let covered = wanted.contains(flag) || (flag != 'K' && wanted.contains('A'));
        if !covered {
            wanted.push(flag);
        }
    }
    Some(wanted)
}

/// The redis client's TLS settings from the loaded files: skip-verify and the certificates.
fn certificates(loaded: ClientTls) -> (bool, TlsCertificates) {
    let certificates = TlsCertificates {
        client_tls: loaded.identity.map(|identity| redis::ClientTlsConfig {
            client_cert: identity.cert_pem,
            client_key: identity.key_pem,
        }),
        root_cert: loaded.ca_pem,
    };
    (loaded.skip_verify, certificates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyspace_flags_are_checked_and_completed() {
        assert_eq!(missing_keyspace_flags("AK"), None);
        assert_eq!(missing_keyspace_flags("Kg$x"), None);
        assert_eq!(missing_keyspace_flags("").as_deref(), Some("Kg$x"));
        assert_eq!(missing_keyspace_flags("Ex").as_deref(), Some("ExKg$"));
        assert_eq!(missing_keyspace_flags("AE").as_deref(), Some("AEK"));
        assert_eq!(missing_keyspace_flags("Kl").as_deref(), Some("Klg$x"));
    }

    #[test]
    fn a_missing_tls_file_is_named() {
        let mut config = RedisConfig::node("127.0.0.1:6379");
        config.tls.enabled = true;
        config.tls.ca_file = Some("/nonexistent/ca.pem".into());
        let err = Target::new(&config).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("tls.ca-file") && text.contains("/nonexistent/ca.pem"),
            "{text}"
        );
    }

    #[test]
    fn sentinel_needs_sentinels_and_cluster_refuses_what_it_lacks() {
        let mut config = RedisConfig {
            endpoints: vec!["127.0.0.1:7000".into()],
            ..RedisConfig::default()
        };
        assert!(!Target::new(&config).unwrap().is_sentinel());
        config.db = 1;
        let err = Target::new(&config).unwrap_err();
        assert!(err.to_string().contains("`db`"), "{err}");
        config.db = 0;
        config.exact_watch_values = true;
        let err = Target::new(&config).unwrap_err();
        assert!(err.to_string().contains("exact-watch-values"), "{err}");
        config.exact_watch_values = false;
        config.master_name = "mymaster".into();
        assert!(Target::new(&config).unwrap().is_sentinel());
        config.endpoints.clear();
        let err = Target::new(&config).unwrap_err();
        assert!(err.to_string().contains("sentinels"), "{err}");
    }
}
