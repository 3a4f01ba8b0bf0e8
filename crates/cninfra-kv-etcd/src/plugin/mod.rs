//! [`EtcdPlugin`]: the connector as a plugin named `etcd`.

mod monitor;

use std::time::Duration;

use cninfra_core::{BoxError, InitContext, async_trait};
use cninfra_health::{Connection, ConnectionState};
use cninfra_kv::{Connect, ConnectorPlugin, ConnectorPluginBuilder};
use tracing::{info, warn};

use crate::LOG;
use crate::config::EtcdConfig;
use crate::connect::Connector;
use crate::store::EtcdStore;
use monitor::Monitor;

/// Upstream warns when `auto-compact` is shorter than this.
const SHORT_COMPACTION: Duration = Duration::from_secs(60 * 60);

/// The etcd connector plugin.
///
/// - No config file: disabled; [`store`](ConnectorPlugin::store) is `Ok(None)` (logged at start).
/// - `init` connects within `dial-timeout`; if etcd does not answer, `init` fails naming
///   the endpoints — unless `allow-delayed-start`, where the agent starts anyway, the
///   store answers [`Unavailable`](cninfra_kv::KvError::Unavailable) and the plugin
///   connects when etcd appears.
/// - Endpoints missing from the config come from `ETCD_ENDPOINTS` / `ETCDV3_ENDPOINTS`
///   of the agent's environment ([`InitContext::env_var`]).
/// - Every `reconnect-interval` it checks the connection and publishes the
///   [`ConnectionState`](cninfra_kv::ConnectionState) ([`connection`](ConnectorPlugin::connection)); a return after a loss is
///   `Reconnected { resync }` with `resync-after-reconnect` (on by default), on which data
///   sync re-reads everything. With a [`StatusCheckPlugin`](cninfra_health::StatusCheckPlugin) in the agent it registers as an
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
pub type EtcdPlugin = ConnectorPlugin<EtcdStore>;

/// Builds an [`EtcdPlugin`].
pub type EtcdPluginBuilder = ConnectorPluginBuilder<EtcdStore>;

#[async_trait]
impl Connect for EtcdStore {
    const PLUGIN: &'static str = "etcd";
    type Config = EtcdConfig;

    /// Connects (or, with `allow-delayed-start`, starts unconnected), then spawns the
    /// monitor that checks the connection every `reconnect-interval` and the periodic
    /// compaction.
    async fn open(
        config: EtcdConfig,
        ctx: &InitContext,
        connection: &Connection,
    ) -> Result<Self, BoxError> {
        let endpoints = config.resolve_endpoints(|name| ctx.env_var(name).map(str::to_owned));
        let connector = Connector::new(&config, endpoints)?;
        if !config.auto_compact.is_zero() && config.auto_compact < SHORT_COMPACTION {
            warn!(target: LOG, every = ?config.auto_compact, "auto-compact below one hour: watchers away longer than that will need a resync");
        }
        connection.set_resync_after_reconnect(config.resync_after_reconnect);
        let store = EtcdStore::unconnected(&config, &connector);
        match connector.connect().await {
            Ok((client, _)) => {
                store.install(client);
                connection.set(ConnectionState::Connected);
            }
            Err(err) if config.allow_delayed_start && err.is_retryable() => {
                warn!(target: LOG, error = %err, "etcd is not reachable; starting anyway (allow-delayed-start)");
                connection.set(ConnectionState::Connecting);
            }
            Err(err) => return Err(err.into()),
        }
        let monitor = Monitor {
            store: store.clone(),
            connector,
            connection: connection.clone(),
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
        Ok(store)
    }

    fn log_disabled() {
        info!(target: LOG, "no config file: the etcd plugin is disabled");
    }
}
