//! Turning a [`RedisConfig`] into connections: the client (address, password, database,
//! TLS), the multiplexed command connection, pub/sub connections, and the keyspace
//! notification check.

use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSub};
use redis::{Client, ConnectionAddr, ErrorKind, IntoConnectionInfo, RedisConnectionInfo};

use crate::config::{RedisConfig, TlsConfig, Topology};
use crate::error::RedisError;

/// Where and how to connect, built once from the config.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) client: Client,
    /// `host:port`, for messages.
    pub(crate) endpoint: String,
    pub(crate) dial_timeout: Duration,
    pub(crate) read_timeout: Duration,
    /// The time limit of one command: `write-timeout + read-timeout`.
    pub(crate) command_timeout: Duration,
}

impl Target {
    /// Checks the config and reads the TLS files; connects to nothing yet.
    pub(crate) fn new(config: &RedisConfig) -> Result<Self, RedisError> {
        let (host, port) = match config.topology()? {
            Topology::Node { host, port } => (host, port),
            Topology::Sentinel => {
                return Err(RedisError::UnsupportedTopology {
                    topology: "sentinel",
                    field: "master-name",
                });
            }
            Topology::Cluster => {
                return Err(RedisError::UnsupportedTopology {
                    topology: "cluster",
                    field: "endpoints",
                });
            }
        };
        let endpoint = format!("{host}:{port}");
        let mut settings = RedisConnectionInfo::default().set_db(i64::from(config.db));
        if !config.password.is_empty() {
            settings = settings.set_password(&config.password);
        }
        let client = if config.tls.enabled {
            let addr = ConnectionAddr::TcpTls {
                host,
                port,
                insecure: config.tls.skip_verify,
                tls_params: None,
            };
            let info = into_info(addr, &endpoint)?.set_redis_settings(settings);
            Client::build_with_tls(info, read_tls_files(&config.tls)?)
        } else {
            let info = into_info(ConnectionAddr::Tcp(host, port), &endpoint)?;
            Client::open(info.set_redis_settings(settings))
        }
        .map_err(|source| RedisError::Connect {
            endpoint: endpoint.clone(),
            source,
        })?;
        Ok(Self {
            client,
            endpoint,
            dial_timeout: config.dial_timeout,
            read_timeout: config.read_timeout,
            command_timeout: config.command_timeout(),
        })
    }

    /// Opens the multiplexed connection that reconnects by itself, within the dial timeout;
    /// each of its commands fails after the command time limit.
    pub(crate) async fn manager(&self) -> Result<ConnectionManager, RedisError> {
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.dial_timeout))
            .set_response_timeout(Some(self.command_timeout))
            .set_number_of_retries(2)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_secs(1));
        let connecting = ConnectionManager::new_with_config(self.client.clone(), settings);
        // PING as part of dialing: a server that wants a password we did not give only
        // says so on the first command.
        let dialing = async {
            let mut manager = connecting.await?;
            redis::cmd("PING").query_async::<()>(&mut manager).await?;
            Ok(manager)
        };
        match tokio::time::timeout(self.dial_timeout, dialing).await {
            Ok(Ok(manager)) => Ok(manager),
            Ok(Err(source)) => Err(self.connect_error(source)),
            Err(_) => Err(self.dial_timeout_error()),
        }
    }

    /// Opens a pub/sub connection within the dial timeout.
    pub(crate) async fn pubsub(&self) -> Result<PubSub, RedisError> {
        match tokio::time::timeout(self.dial_timeout, self.client.get_async_pubsub()).await {
            Ok(Ok(pubsub)) => Ok(pubsub),
            Ok(Err(source)) => Err(self.connect_error(source)),
            Err(_) => Err(self.dial_timeout_error()),
        }
    }

    fn dial_timeout_error(&self) -> RedisError {
        RedisError::DialTimeout {
            endpoint: self.endpoint.clone(),
            timeout: self.dial_timeout,
        }
    }

    fn connect_error(&self, source: redis::RedisError) -> RedisError {
        let endpoint = self.endpoint.clone();
        let auth = source.kind() == ErrorKind::AuthenticationFailed
            || matches!(source.code(), Some("WRONGPASS" | "NOAUTH"));
        if auth {
            RedisError::Auth { endpoint, source }
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
        con: &mut ConnectionManager,
        enable: bool,
    ) -> Result<(), RedisError> {
        let config_error = |action, source| RedisError::KeyspaceEventsConfig {
            action,
            endpoint: self.endpoint.clone(),
            source,
        };
        let limit = self.read_timeout.saturating_add(self.dial_timeout);
        let reply: Vec<String> = timed(
            limit,
            redis::cmd("CONFIG")
                .arg("GET")
                .arg("notify-keyspace-events")
                .query_async(con),
        )
        .await
        .map_err(|err| config_error("read", err))?;
        let current = reply.get(1).cloned().unwrap_or_default();
        let Some(wanted) = missing_keyspace_flags(&current) else {
            return Ok(());
        };
        if !enable {
            return Err(RedisError::KeyspaceEventsOff {
                endpoint: self.endpoint.clone(),
                current,
            });
        }
        let () = timed(
            limit,
            redis::cmd("CONFIG")
                .arg("SET")
                .arg("notify-keyspace-events")
                .arg(&wanted)
                .query_async(con),
        )
        .await
        .map_err(|err| config_error("set", err))?;
        tracing::info!(
            target: crate::LOG,
            endpoint = %self.endpoint,
            from = %current,
            to = %wanted,
            "enabled keyspace notifications"
        );
        Ok(())
    }
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

/// Reads the PEM files named in `tls`, naming the field and path of one that cannot be read.
fn read_tls_files(tls: &TlsConfig) -> Result<redis::TlsCertificates, RedisError> {
    let read = |field: &'static str, path: &std::path::Path| {
        std::fs::read(path).map_err(|source| RedisError::TlsFile {
            field,
            path: path.to_owned(),
            source,
        })
    };
    let root_cert = tls
        .ca_file
        .as_deref()
        .map(|path| read("ca-file", path))
        .transpose()?;
    let client_tls = match (&tls.cert_file, &tls.key_file) {
        (Some(cert), Some(key)) => Some(redis::ClientTlsConfig {
            client_cert: read("cert-file", cert)?,
            client_key: read("key-file", key)?,
        }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(RedisError::InvalidConfig {
                field: "tls.key-file",
                value: String::new(),
                reason: "`tls.cert-file` is set, so the matching key file is needed",
            });
        }
        (None, Some(_)) => {
            return Err(RedisError::InvalidConfig {
                field: "tls.cert-file",
                value: String::new(),
                reason: "`tls.key-file` is set, so the matching certificate file is needed",
            });
        }
    };
    Ok(redis::TlsCertificates {
        client_tls,
        root_cert,
    })
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
    fn sentinel_and_cluster_are_refused_by_name() {
        let mut config = RedisConfig {
            endpoints: vec!["127.0.0.1:7000".into()],
            ..RedisConfig::default()
        };
        let err = Target::new(&config).unwrap_err();
        assert!(err.to_string().contains("cluster") && err.to_string().contains("`endpoints`"));
        config.master_name = "mymaster".into();
        let err = Target::new(&config).unwrap_err();
        assert!(err.to_string().contains("`master-name`"), "{err}");
    }
}
