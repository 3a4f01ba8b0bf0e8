//! [`ConsulPlugin`]: the `consul` plugin that owns the [`ConsulStore`] of an agent.

use cninfra_core::{BoxError, ErrorChain, InitContext, async_trait};
use cninfra_kv::{Connect, Connection, ConnectionState, ConnectorPlugin, ConnectorPluginBuilder};

use crate::LOG;
use crate::config::ConsulConfig;
use crate::store::ConsulStore;

/// The `consul` plugin: reads `consul.conf` (`--consul-config`, `CONSUL_CONFIG`, or
/// `<config-dir>/consul.conf`), builds the client and checks the agent in `init` (an
/// unreachable agent fails the start, as upstream), and hands out the [`ConsulStore`].
/// Without a config file it stays disabled. The address falls back to `CONSUL_HTTP_ADDR`
/// and the token to `CONSUL_HTTP_TOKEN` of the agent's environment
/// ([`InitContext::env_var`]).
///
/// Every 5 s ([`with_check_interval`](ConnectorPluginBuilder::with_check_interval)) it asks the agent for its peers and publishes the [`ConnectionState`](cninfra_kv::ConnectionState)
/// ([`connection`](ConnectorPlugin::connection)); a return after a loss is `Reconnected { resync }`
/// with `resync-after-reconnect` (off by default: watches resume by comparing listings).
/// With a [`StatusCheckPlugin`](cninfra_health::StatusCheckPlugin) in the agent it registers as an external dependency and
/// reports ERROR while the agent is away.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_kv_consul::ConsulPlugin;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let consul = ConsulPlugin::new();
/// let running = Agent::builder().plugin(consul.clone()).build()?.start().await?;
/// if let Some(store) = consul.store()? {
///     # let _ = store;
/// }
/// running.stop().await?;
/// # Ok(()) }
/// ```
pub type ConsulPlugin = ConnectorPlugin<ConsulStore>;

/// Builds a [`ConsulPlugin`].
pub type ConsulPluginBuilder = ConnectorPluginBuilder<ConsulStore>;

#[async_trait]
impl Connect for ConsulStore {
    const PLUGIN: &'static str = "consul";
    const CHECKED: bool = true;
    type Config = ConsulConfig;

    async fn open(
        config: ConsulConfig,
        ctx: &InitContext,
        connection: &Connection,
    ) -> Result<Self, BoxError> {
        let store =
            ConsulStore::connect(&config, |name| ctx.env_var(name).map(str::to_owned)).await?;
        connection.set_resync_after_reconnect(config.resync_after_reconnect);
        connection.set(ConnectionState::Connected);
        Ok(store)
    }

    fn log_disabled() {
        tracing::info!(target: LOG, "no consul config: the plugin is disabled");
    }

    async fn check_server(&self) -> Result<(), String> {
        ConsulStore::check(self)
            .await
            .map_err(|err| ErrorChain(&err).to_string())
    }
}
