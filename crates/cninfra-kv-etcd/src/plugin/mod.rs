//! [`EtcdPlugin`]: the connector as a plugin named `etcd`.

mod monitor;
mod state;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_health::{Criticality, StatusCheckPlugin};
use cninfra_kv::KvStore;
use tokio::sync::watch;
use tracing::{info, warn};

pub use state::ConnectionState;

use crate::config::EtcdConfig;
use crate::connect::Connector;
use crate::error::EtcdError;
use crate::store::{EtcdStore, LOG};
use monitor::{Monitor, Reporter};

/// Name of the plugin: its config file is `etcd.conf` (`--etcd-config`, `ETCD_CONFIG`), its
/// logger and its status-check entry are `etcd`.
pub const PLUGIN_NAME: &str = LOG;

/// Upstream warns when `auto-compact` is shorter than this.
const SHORT_COMPACTION: Duration = Duration::from_secs(60 * 60);

/// The etcd connector plugin.
///
/// - No config file: disabled; [`store`](Self::store) is `None` (logged at start).
/// - `init` connects within `dial-timeout`; if etcd does not answer, `init` fails naming
///   the endpoints — unless `allow-delayed-start`, where the agent starts anyway, the
///   store answers [`Unavailable`](cninfra_kv::KvError::Unavailable) and the plugin
///   connects when etcd appears.
/// - Every `reconnect-interval` it checks the connection and publishes the
///   [`ConnectionState`] ([`connection`](Self::connection)); with a status check it
///   registers as an external dependency (losing etcd fails readiness, not liveness) and
///   reports ERROR on loss and OK on return.
/// - `auto-compact` compacts the history periodically; `close` closes the store.
///
/// # Examples
/// ```no_run
/// use std::sync::Arc;
/// use cninfra_core::Agent;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kv_etcd::EtcdPlugin;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let status = StatusCheckPlugin::new();
/// let etcd = EtcdPlugin::builder().with_status_check(status.clone()).build();
/// let running = Agent::builder()
///     .plugin(etcd.clone())
///     .with_args(["agent", "--etcd-config", "etcd.conf"])
///     .build()?
///     .start()
///     .await?;
/// if let Some(kv) = etcd.kv() {
///     kv.put("/vnf-agent/vpp1/config/a", "1".into(), Default::default()).await?;
/// }
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct EtcdPlugin {
    status: Option<Arc<StatusCheckPlugin>>,
    env: Option<HashMap<String, String>>,
    store: OnceLock<EtcdStore>,
    config: OnceLock<EtcdConfig>,
    state: watch::Sender<ConnectionState>,
}

/// Builds an [`EtcdPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct EtcdPluginBuilder {
    status: Option<Arc<StatusCheckPlugin>>,
    env: Option<HashMap<String, String>>,
}

impl EtcdPluginBuilder {
    /// Reports the connection to this status check (which becomes a dependency).
    pub fn with_status_check(mut self, status: Arc<StatusCheckPlugin>) -> Self {
        self.status = Some(status);
        self
    }

    /// Reads `ETCD_ENDPOINTS` / `ETCDV3_ENDPOINTS` from these variables instead of the
    /// process environment (for tests and embedding).
    pub fn with_env<I, K, V>(mut self, env: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Some(env.into_iter().map(|(k, v)| (k.into(), v.into())).collect());
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<EtcdPlugin> {
        Arc::new(EtcdPlugin {
            status: self.status,
            env: self.env,
            store: OnceLock::new(),
            config: OnceLock::new(),
            state: watch::Sender::new(ConnectionState::Disabled),
        })
    }
}

impl EtcdPlugin {
    /// The plugin without a status check, reading the process environment.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, to add a status check or another environment.
    pub fn builder() -> EtcdPluginBuilder {
        EtcdPluginBuilder::default()
    }

    /// The store, once `init` ran with a config file; `None` when disabled.
    pub fn store(&self) -> Option<EtcdStore> {
        self.store.get().cloned()
    }

    /// The store as the broker API, for code that works with any store.
    pub fn kv(&self) -> Option<Arc<dyn KvStore>> {
        self.store()
            .map(|store| Arc::new(store) as Arc<dyn KvStore>)
    }

    /// True without a config file (and before `init`).
    pub fn is_disabled(&self) -> bool {
        self.store.get().is_none()
    }

    /// The config in use, once `init` read one.
    pub fn config(&self) -> Option<&EtcdConfig> {
        self.config.get()
    }

    /// A receiver of the connection state; `changed()` wakes on every transition.
    ///
    /// # Examples
    /// ```
    /// # async fn demo(etcd: &cninfra_kv_etcd::EtcdPlugin) {
    /// use cninfra_kv_etcd::ConnectionState;
    ///
    /// let mut connection = etcd.connection();
    /// while connection.changed().await.is_ok() {
    ///     if let ConnectionState::Reconnected { resync: true } = *connection.borrow_and_update() {
    ///         // re-read everything
    ///     }
    /// }
    /// # }
    /// ```
    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.state.subscribe()
    }

    fn env_var(&self, name: &str) -> Option<String> {
        match &self.env {
            Some(env) => env.get(name).cloned(),
            None => std::env::var(name).ok(),
        }
    }

    fn reporter(&self) -> Reporter {
        Reporter {
            state: self.state.clone(),
            status: self.status.clone(),
        }
    }
}

#[async_trait]
impl Plugin for EtcdPlugin {
    fn name(&self) -> &str {
        PLUGIN_NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        self.status
            .iter()
            .map(|status| Arc::clone(status) as Arc<dyn Plugin>)
            .collect()
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config::<EtcdConfig>().map_err(EtcdError::from)? else {
            info!(target: LOG, "no config file: the etcd plugin is disabled");
            return Ok(());
        };
        let endpoints = config.resolve_endpoints(|name| self.env_var(name));
        let connector = Connector::new(&config, endpoints)?;
        if !config.auto_compact.is_zero() && config.auto_compact < SHORT_COMPACTION {
            warn!(target: LOG, every = ?config.auto_compact, "auto-compact below one hour: watchers away longer than that will need a resync");
        }
        if let Some(status) = &self.status {
            status.register_as(PLUGIN_NAME, Criticality::Readiness, None);
        }
        let reporter = self.reporter();
        let store = EtcdStore::unconnected(&config, &connector);
        match connector.connect().await {
            Ok((client, _)) => {
                store.install(client);
                reporter.set(ConnectionState::Connected);
            }
            Err(err) if config.allow_delayed_start && err.is_retryable() => {
                warn!(target: LOG, error = %err, "etcd is not reachable; starting anyway (allow-delayed-start)");
                reporter.set(ConnectionState::Connecting);
            }
            Err(err) => return Err(err.into()),
        }
        let monitor = Monitor {
            store: store.clone(),
            connector,
            reporter,
            resync_after_reconnect: config.resync_after_reconnect,
            interval: config.reconnect_interval,
        };
        ctx.spawn(monitor.run(ctx.shutdown_token()));
        if !config.auto_compact.is_zero() {
            let task = monitor::compact_periodically(
                store.clone(),
                config.auto_compact,
                ctx.shutdown_token(),
            );
            ctx.spawn(task);
        }
        let _ = self.store.set(store);
        let _ = self.config.set(config);
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(store) = self.store.get() {
            store.close().await?;
            self.reporter().set(ConnectionState::Closed);
        }
        Ok(())
    }
}
