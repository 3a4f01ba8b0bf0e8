//! [`ConsulPlugin`]: the `consul` plugin that owns the [`ConsulStore`] of an agent.

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{
    BoxError, ErrorChain, InitContext, NotReady, Plugin, Ready, Requirement, async_trait,
};
use cninfra_health::{
    Connection, ConnectionState, DEFAULT_CHECK_INTERVAL, DEFAULT_CHECK_TIMEOUT, StatusCheckPlugin,
};
use cninfra_kv::{KvConnector, KvStore};
use tokio::sync::watch;

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
/// Every 5 s ([`ConsulPluginBuilder::with_check_interval`]) it asks the agent for its peers and publishes the [`ConnectionState`]
/// ([`connection`](Self::connection)); a return after a loss is `Reconnected { resync }`
/// with `resync-after-reconnect` (off by default: watches resume by comparing listings).
/// With a [`StatusCheckPlugin`] in the agent it registers as an external dependency and
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
#[derive(Debug)]
pub struct ConsulPlugin {
    preset: Option<ConsulConfig>,
    check_interval: Duration,
    store: Ready<Option<ConsulStore>>,
    connection: Connection,
}

/// Builds a [`ConsulPlugin`].
#[derive(Debug)]
#[must_use]
pub struct ConsulPluginBuilder {
    preset: Option<ConsulConfig>,
    check_interval: Duration,
}

impl ConsulPluginBuilder {
    /// Uses this config instead of reading `consul.conf` (upstream's `UseConf`).
    pub fn with_config(mut self, config: ConsulConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// How often the server is asked whether it answers; 5 s.
    pub fn with_check_interval(mut self, every: Duration) -> Self {
        self.check_interval = every;
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<ConsulPlugin> {
        Arc::new(ConsulPlugin {
            preset: self.preset,
            check_interval: self.check_interval,
            store: Ready::new(ConsulPlugin::NAME),
            connection: Connection::new(ConsulPlugin::NAME),
        })
    }
}

impl ConsulPlugin {
    /// The plugin name, also its config file stem, log target and status-check entry.
    pub const NAME: &'static str = "consul";

    /// The plugin configured by `consul.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code or another check interval.
    pub fn builder() -> ConsulPluginBuilder {
        ConsulPluginBuilder {
            preset: None,
            check_interval: DEFAULT_CHECK_INTERVAL,
        }
    }

    /// The store once `init` ran: `None` when disabled.
    ///
    /// # Errors
    /// [`NotReady`] before `init` (or when it failed).
    pub fn store(&self) -> Result<Option<ConsulStore>, NotReady> {
        self.store.get().cloned()
    }

    /// A receiver of the connection state; `changed()` wakes on every transition.
    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

impl KvConnector for ConsulPlugin {
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
impl Plugin for ConsulPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::optional::<StatusCheckPlugin>()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: LOG, "no consul config: the plugin is disabled");
            self.store.set(None)?;
            return Ok(());
        };
        let store =
            ConsulStore::connect(&config, |name| ctx.env_var(name).map(str::to_owned)).await?;
        self.connection
            .set_resync_after_reconnect(config.resync_after_reconnect);
        self.connection.set(ConnectionState::Connected);
        if let Some(status) = ctx.try_dep::<StatusCheckPlugin>() {
            self.connection.report_to(ctx, status);
        }
        let checked = store.clone();
        self.connection
            .check_every(ctx, self.check_interval, DEFAULT_CHECK_TIMEOUT, move || {
                let store = checked.clone();
                async move {
                    store
                        .check()
                        .await
                        .map_err(|err| ErrorChain(&err).to_string())
                }
            });
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
