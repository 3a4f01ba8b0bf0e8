//! [`RedisPlugin`]: the `redis` plugin that owns the [`RedisStore`] of an agent.

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
use crate::config::RedisConfig;
use crate::store::RedisStore;

/// The `redis` plugin: reads `redis.conf` (`--redis-config`, `REDIS_CONFIG`), connects in
/// `init` (an unreachable server fails the start, naming it), and hands out the
/// [`RedisStore`]. Without a config file it stays disabled, as upstream.
///
/// Every command, and a `PING` every 5 s
/// ([`RedisPluginBuilder::with_check_interval`]), moves its [`ConnectionState`]
/// ([`connection`](Self::connection)); a return after a loss is
/// `Reconnected { resync: false }`: Redis has no `resync-after-reconnect` key, since its
/// watches ask for a resync by themselves when they re-subscribe. With a
/// [`StatusCheckPlugin`] in the agent it registers as an external dependency
/// ([`Criticality::Readiness`](cninfra_health::Criticality::Readiness)), so a lost server
/// turns its status to ERROR and its return back to OK.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kv_redis::RedisPlugin;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let redis = RedisPlugin::new();
/// let running = Agent::builder()
///     .plugin(StatusCheckPlugin::new())
///     .plugin(redis.clone())
///     .build()?
///     .start()
///     .await?;
/// if let Some(store) = redis.store()? {
///     // share it as Arc<dyn KvStore>, wrap it in prefixed views and typed brokers
///     # let _ = store;
/// }
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisPlugin {
    preset: Option<RedisConfig>,
    check_interval: Duration,
    store: Ready<Option<RedisStore>>,
    connection: Connection,
}

/// Builds a [`RedisPlugin`].
#[derive(Debug)]
#[must_use]
pub struct RedisPluginBuilder {
    preset: Option<RedisConfig>,
    check_interval: Duration,
}

impl RedisPluginBuilder {
    /// Uses this config instead of reading `redis.conf` (upstream's `UseConf`).
    pub fn with_config(mut self, config: RedisConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// How often the server is asked whether it answers; 5 s.
    pub fn with_check_interval(mut self, every: Duration) -> Self {
        self.check_interval = every;
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<RedisPlugin> {
        Arc::new(RedisPlugin {
            preset: self.preset,
            check_interval: self.check_interval,
            store: Ready::new(RedisPlugin::NAME),
            connection: Connection::new(RedisPlugin::NAME),
        })
    }
}

impl RedisPlugin {
    /// The plugin name, also its config file stem, log target and status-check entry.
    pub const NAME: &'static str = "redis";

    /// The plugin configured by `redis.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code or another check interval.
    pub fn builder() -> RedisPluginBuilder {
        RedisPluginBuilder {
            preset: None,
            check_interval: DEFAULT_CHECK_INTERVAL,
        }
    }

    /// The store once `init` ran: `None` when disabled.
    ///
    /// # Errors
    /// [`NotReady`] before `init` (or when it failed).
    pub fn store(&self) -> Result<Option<RedisStore>, NotReady> {
        self.store.get().cloned()
    }

    /// A receiver of the connection state; `changed()` wakes on every transition.
    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

impl KvConnector for RedisPlugin {
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
impl Plugin for RedisPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::optional::<StatusCheckPlugin>()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: LOG, "no redis config: the plugin is disabled");
            self.store.set(None)?;
            return Ok(());
        };
        let store = RedisStore::connect_with(&config, self.connection.clone()).await?;
        if let Some(status) = ctx.try_dep::<StatusCheckPlugin>() {
            self.connection.report_to(ctx, status);
        }
        let probed = store.clone();
        self.connection
            .check_every(ctx, self.check_interval, DEFAULT_CHECK_TIMEOUT, move || {
                let store = probed.clone();
                async move {
                    store
                        .ping()
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
