//! [`EtcdPlugin`]: the connector as a plugin named `etcd`.

mod monitor;

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, Requirement, async_trait};
use cninfra_health::{Connection, ConnectionState, StatusCheckPlugin};
use cninfra_kv::{KvConnector, KvStore};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::LOG;
use crate::config::EtcdConfig;
use crate::connect::Connector;
use crate::error::EtcdError;
use crate::store::EtcdStore;
use monitor::Monitor;

/// Upstream warns when `auto-compact` is shorter than this.
const SHORT_COMPACTION: Duration = Duration::from_secs(60 * 60);

/// The etcd connector plugin.
///
/// - No config file: disabled; [`store`](Self::store) is `Ok(None)` (logged at start).
/// - `init` connects within `dial-timeout`; if etcd does not answer, `init` fails naming
///   the endpoints — unless `allow-delayed-start`, where the agent starts anyway, the
///   store answers [`Unavailable`](cninfra_kv::KvError::Unavailable) and the plugin
///   connects when etcd appears.
/// - Endpoints missing from the config come from `ETCD_ENDPOINTS` / `ETCDV3_ENDPOINTS`
///   of the agent's environment ([`InitContext::env_var`]).
/// - Every `reconnect-interval` it checks the connection and publishes the
///   [`ConnectionState`] ([`connection`](Self::connection)); a return after a loss is
///   `Reconnected { resync }` with `resync-after-reconnect` (on by default), on which data
///   sync re-reads everything. With a [`StatusCheckPlugin`] in the agent it registers as an
///   external dependency (losing etcd fails readiness, not liveness) and reports ERROR on
///   loss and OK on return.
/// - `auto-compact` compacts the history periodically; `close` closes the store.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kv::KvStore;
/// use cninfra_kv_etcd::EtcdPlugin;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let etcd = EtcdPlugin::new();
/// let running = Agent::builder()
///     .plugin(StatusCheckPlugin::new())
///     .plugin(etcd.clone())
///     .with_args(["agent", "--etcd-config", "etcd.conf"])
///     .build()?
///     .start()
///     .await?;
/// if let Some(store) = etcd.store()? {
///     store.put("/vnf-agent/vpp1/config/a", "1".into(), Default::default()).await?;
/// }
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct EtcdPlugin {
    preset: Option<EtcdConfig>,
    store: Ready<Option<EtcdStore>>,
    connection: Connection,
}

/// Builds an [`EtcdPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct EtcdPluginBuilder {
    preset: Option<EtcdConfig>,
}

impl EtcdPluginBuilder {
    /// Uses this config instead of reading `etcd.conf` (upstream's `UseConf`).
    pub fn with_config(mut self, config: EtcdConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<EtcdPlugin> {
        Arc::new(EtcdPlugin {
            preset: self.preset,
            store: Ready::new(EtcdPlugin::NAME),
            connection: Connection::new(EtcdPlugin::NAME),
        })
    }
}

impl EtcdPlugin {
    /// The plugin name: its config file is `etcd.conf` (`--etcd-config`, `ETCD_CONFIG`),
    /// its log target and its status-check entry are `etcd`.
    pub const NAME: &'static str = "etcd";

    /// The plugin configured by `etcd.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code.
    pub fn builder() -> EtcdPluginBuilder {
        EtcdPluginBuilder::default()
    }

    /// The store once `init` ran: `None` when disabled.
    ///
    /// # Errors
    /// [`NotReady`] before `init` (or when it failed).
    pub fn store(&self) -> Result<Option<EtcdStore>, NotReady> {
        self.store.get().cloned()
    }

    /// A receiver of the connection state; `changed()` wakes on every transition.
    ///
    /// # Examples
    /// ```
    /// # async fn demo(etcd: &cninfra_kv_etcd::EtcdPlugin) {
    /// use cninfra_health::ConnectionState;
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
        self.connection.subscribe()
    }
}

impl KvConnector for EtcdPlugin {
    fn kv(&self) -> Result<Option<Arc<dyn KvStore>>, NotReady> {
        Ok(self
            .store()?
            .map(|store| Arc::new(store) as Arc<dyn KvStore>))
    }

    fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

#[async_trait]
impl Plugin for EtcdPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::optional::<StatusCheckPlugin>()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx
            .config_or_preset(self.preset.as_ref())
            .map_err(EtcdError::from)?
        else {
            info!(target: LOG, "no config file: the etcd plugin is disabled");
            self.store.set(None)?;
            return Ok(());
        };
        let endpoints = config.resolve_endpoints(|name| ctx.env_var(name).map(str::to_owned));
        let connector = Connector::new(&config, endpoints)?;
        if !config.auto_compact.is_zero() && config.auto_compact < SHORT_COMPACTION {
            warn!(target: LOG, every = ?config.auto_compact, "auto-compact below one hour: watchers away longer than that will need a resync");
        }
        self.connection
            .set_resync_after_reconnect(config.resync_after_reconnect);
        let store = EtcdStore::unconnected(&config, &connector);
        match connector.connect().await {
            Ok((client, _)) => {
                store.install(client);
                self.connection.set(ConnectionState::Connected);
            }
            Err(err) if config.allow_delayed_start && err.is_retryable() => {
                warn!(target: LOG, error = %err, "etcd is not reachable; starting anyway (allow-delayed-start)");
                self.connection.set(ConnectionState::Connecting);
            }
            Err(err) => return Err(err.into()),
        }
        if let Some(status) = ctx.try_dep::<StatusCheckPlugin>() {
            self.connection.report_to(ctx, status);
        }
        let monitor = Monitor {
            store: store.clone(),
            connector,
            connection: self.connection.clone(),
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
        self.store.set(Some(store))?;
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(Some(store)) = self.store.try_get() {
            store.close().await?;
            self.connection.set(ConnectionState::Closed);
        }
        Ok(())
    }
}
