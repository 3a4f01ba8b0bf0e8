//! [`RedisPlugin`]: the `redis` plugin that owns the [`RedisStore`] of an agent.

use cninfra_core::{BoxError, ErrorChain, InitContext, async_trait};
use cninfra_kv::{Connect, Connection, ConnectorPlugin, ConnectorPluginBuilder};

use crate::LOG;
use crate::config::RedisConfig;
use crate::store::RedisStore;

/// The `redis` plugin: reads `redis.conf` (`--redis-config`, `REDIS_CONFIG`), connects in
/// `init` (an unreachable server fails the start, naming it), and hands out the
/// [`RedisStore`]. Without a config file it stays disabled, as upstream.
///
/// Every command, and a `PING` every 5 s
/// ([`with_check_interval`](ConnectorPluginBuilder::with_check_interval)), moves its [`ConnectionState`](cninfra_kv::ConnectionState)
/// ([`connection`](ConnectorPlugin::connection)); a return after a loss is
/// `Reconnected { resync: false }`: Redis has no `resync-after-reconnect` key, since its
/// watches ask for a resync by themselves when they re-subscribe. With a
/// [`StatusCheckPlugin`](cninfra_health::StatusCheckPlugin) in the agent it registers as an external dependency
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
pub type RedisPlugin = ConnectorPlugin<RedisStore>;

/// Builds a [`RedisPlugin`].
pub type RedisPluginBuilder = ConnectorPluginBuilder<RedisStore>;

#[async_trait]
impl Connect for RedisStore {
    const PLUGIN: &'static str = "redis";
    const CHECKED: bool = true;
    type Config = RedisConfig;

    async fn open(
        config: RedisConfig,
        _ctx: &InitContext,
        connection: &Connection,
    ) -> Result<Self, BoxError> {
        Ok(RedisStore::connect_with(&config, connection.clone()).await?)
    }

    fn log_disabled() {
        tracing::info!(target: LOG, "no redis config: the plugin is disabled");
    }

    async fn check_server(&self) -> Result<(), String> {
        self.ping()
            .await
            .map_err(|err| ErrorChain(&err).to_string())
    }
}
