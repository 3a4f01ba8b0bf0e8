//! [`RedisPlugin`]: the `redis` plugin that owns the [`RedisStore`] of an agent.

use std::fmt;
use std::sync::{Arc, OnceLock};

use cninfra_core::{BoxError, ErrorChain, InitContext, Plugin, async_trait};
use cninfra_health::{Criticality, Probe, StatusCheckPlugin};
use cninfra_kv::KvStore;
use tokio::sync::watch;

use crate::LOG;
use crate::config::RedisConfig;
use crate::state::ConnectionState;
use crate::store::RedisStore;

/// The `redis` plugin: reads `redis.conf` (`--redis-config`, `REDIS_CONFIG`), connects in
/// `init` (an unreachable server fails the start, naming it), and hands out the
/// [`RedisStore`]. Without a config file it stays disabled, as upstream.
///
/// With a status check ([`RedisPluginBuilder::with_status_check`]) it registers as an
/// external dependency ([`Criticality::Readiness`]) with a `PING` probe, so a lost server
/// turns its status to ERROR and its return back to OK.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kv_redis::RedisPlugin;
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// let redis = RedisPlugin::builder().with_status_check(StatusCheckPlugin::new()).build();
/// let running = Agent::builder().plugin(redis.clone()).build()?.start().await?;
/// if let Some(store) = redis.store() {
///     // share it as Arc<dyn KvStore>, wrap it in prefixed views and typed brokers
///     # let _ = store;
/// }
/// running.stop().await?;
/// # Ok(()) }
/// ```
pub struct RedisPlugin {
    preset: Option<RedisConfig>,
    status: Option<Arc<StatusCheckPlugin>>,
    store: OnceLock<RedisStore>,
    disabled: OnceLock<bool>,
}

impl fmt::Debug for RedisPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisPlugin")
            .field("store", &self.store.get())
            .field("disabled", &self.disabled.get())
            .finish_non_exhaustive()
    }
}

/// Builds a [`RedisPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct RedisPluginBuilder {
    preset: Option<RedisConfig>,
    status: Option<Arc<StatusCheckPlugin>>,
}

impl RedisPluginBuilder {
    /// Uses this config instead of reading `redis.conf` (upstream's `UseConf`).
    pub fn with_config(mut self, config: RedisConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// Reports the connection to this status check (which becomes a dependency).
    pub fn with_status_check(mut self, status: Arc<StatusCheckPlugin>) -> Self {
        self.status = Some(status);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<RedisPlugin> {
        Arc::new(RedisPlugin {
            preset: self.preset,
            status: self.status,
            store: OnceLock::new(),
            disabled: OnceLock::new(),
        })
    }
}

impl RedisPlugin {
    /// The plugin name, also its config file stem and log target.
    pub const NAME: &'static str = LOG;

    /// The plugin configured by `redis.conf`, without status reporting.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a fixed config or a status check.
    pub fn builder() -> RedisPluginBuilder {
        RedisPluginBuilder::default()
    }

    /// The store, once `init` connected; `None` before and when disabled.
    pub fn store(&self) -> Option<RedisStore> {
        self.store.get().cloned()
    }

    /// The store as the shared broker API, once `init` connected.
    pub fn kv(&self) -> Option<Arc<dyn KvStore>> {
        self.store
            .get()
            .map(|store| Arc::new(store.clone()) as Arc<dyn KvStore>)
    }

    /// True when `init` found no config, so nothing connected.
    pub fn is_disabled(&self) -> bool {
        self.disabled.get().copied().unwrap_or(false)
    }

    /// The connection state of the store, once connected.
    pub fn connection_state(&self) -> Option<watch::Receiver<ConnectionState>> {
        self.store.get().map(RedisStore::connection_state)
    }
}

#[async_trait]
impl Plugin for RedisPlugin {
    fn name(&self) -> &str {
        LOG
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        self.status
            .iter()
            .map(|status| Arc::clone(status) as Arc<dyn Plugin>)
            .collect()
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: LOG, "no redis config: the plugin is disabled");
            let _ = self.disabled.set(true);
            return Ok(());
        };
        let store = RedisStore::connect(&config).await?;
        if let Some(status) = &self.status {
            let probed = store.clone();
            let probe = Probe::new(move || {
                let store = probed.clone();
                async move {
                    store
                        .ping()
                        .await
                        .map_err(|err| ErrorChain(&err).to_string())
                }
            });
            status.register_as(LOG, Criticality::Readiness, Some(probe));
        }
        let _ = self.disabled.set(false);
        let _ = self.store.set(store);
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(store) = self.store.get() {
            store.close().await?;
        }
        Ok(())
    }
}
