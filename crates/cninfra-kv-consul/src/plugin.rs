//! [`ConsulPlugin`]: the `consul` plugin that owns the [`ConsulStore`] of an agent.

use std::fmt;
use std::sync::{Arc, OnceLock};

use cninfra_core::{BoxError, ErrorChain, InitContext, Plugin, async_trait};
use cninfra_health::{Criticality, Probe, StatusCheckPlugin};
use cninfra_kv::KvStore;

use crate::LOG;
use crate::config::ConsulConfig;
use crate::store::ConsulStore;

/// The `consul` plugin: reads `consul.conf` (`--consul-config`, `CONSUL_CONFIG`, or
/// `<config-dir>/consul.conf`), builds the client and checks the agent in `init` (an
/// unreachable agent fails the start, as upstream), and hands out the [`ConsulStore`].
/// Without a config file it stays disabled. The address falls back to `CONSUL_HTTP_ADDR`
/// and the token to `CONSUL_HTTP_TOKEN` from the process environment.
///
/// With a status check it registers as an external dependency with a probe that asks
/// the agent for its peers.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_kv_consul::ConsulPlugin;
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// let consul = ConsulPlugin::new();
/// let running = Agent::builder().plugin(consul.clone()).build()?.start().await?;
/// if let Some(store) = consul.store() {
///     # let _ = store;
/// }
/// running.stop().await?;
/// # Ok(()) }
/// ```
pub struct ConsulPlugin {
    preset: Option<ConsulConfig>,
    status: Option<Arc<StatusCheckPlugin>>,
    store: OnceLock<ConsulStore>,
    disabled: OnceLock<bool>,
}

impl fmt::Debug for ConsulPlugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsulPlugin")
            .field("store", &self.store.get())
            .field("disabled", &self.disabled.get())
            .finish_non_exhaustive()
    }
}

/// Builds a [`ConsulPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct ConsulPluginBuilder {
    preset: Option<ConsulConfig>,
    status: Option<Arc<StatusCheckPlugin>>,
}

impl ConsulPluginBuilder {
    /// Uses this config instead of reading `consul.conf` (upstream's `UseConf`).
    pub fn with_config(mut self, config: ConsulConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// Reports the agent's reachability to this status check (which becomes a dependency).
    pub fn with_status_check(mut self, status: Arc<StatusCheckPlugin>) -> Self {
        self.status = Some(status);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<ConsulPlugin> {
        Arc::new(ConsulPlugin {
            preset: self.preset,
            status: self.status,
            store: OnceLock::new(),
            disabled: OnceLock::new(),
        })
    }
}

impl ConsulPlugin {
    /// The plugin name, also its config file stem and log target.
    pub const NAME: &'static str = LOG;

    /// The plugin configured by `consul.conf`, without status reporting.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a fixed config or a status check.
    pub fn builder() -> ConsulPluginBuilder {
        ConsulPluginBuilder::default()
    }

    /// The store, once `init` connected; `None` before and when disabled.
    pub fn store(&self) -> Option<ConsulStore> {
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
}

#[async_trait]
impl Plugin for ConsulPlugin {
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
            tracing::info!(target: LOG, "no consul config: the plugin is disabled");
            let _ = self.disabled.set(true);
            return Ok(());
        };
        let store = ConsulStore::connect(&config, |name| std::env::var(name).ok()).await?;
        if let Some(status) = &self.status {
            let probed = store.clone();
            let probe = Probe::new(move || {
                let store = probed.clone();
                async move {
                    store
                        .check()
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
