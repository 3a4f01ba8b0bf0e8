//! [`KafkaPlugin`]: the `kafka` plugin that owns the agent's [`Multiplexer`].

use std::sync::{Arc, OnceLock};

use cninfra_core::{BoxError, ErrorChain, InitContext, Plugin, async_trait};
use cninfra_health::{Criticality, Probe, StatusCheckPlugin};

use crate::LOG;
use crate::config::KafkaConfig;
use crate::mux::Multiplexer;

/// The `kafka` plugin: reads `kafka.conf` (`--kafka-config`, `KAFKA_CONFIG`), connects in
/// `init` (unreachable brokers fail the start, naming them), starts the group consumer in
/// `after_init`, closes in `close`. Without a config it is disabled, as upstream.
///
/// Plugins that watch topics depend on it and call [`Connection::watch`](crate::Connection::watch)
/// in their `init`, reaching the multiplexer through [`KafkaPlugin::multiplexer`].
///
/// With a status check it registers as `kafka` ([`Criticality::Readiness`]) with a
/// metadata-fetch probe.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kafka::KafkaPlugin;
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// let kafka = KafkaPlugin::builder().with_status_check(StatusCheckPlugin::new()).build();
/// let running = Agent::builder().plugin(kafka.clone()).build()?.start().await?;
/// if let Some(mux) = kafka.multiplexer() { let _conn = mux.connection("app"); }
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct KafkaPlugin {
    preset: Option<KafkaConfig>,
    status: Option<Arc<StatusCheckPlugin>>,
    mux: OnceLock<Multiplexer>,
}

/// Builds a [`KafkaPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct KafkaPluginBuilder {
    preset: Option<KafkaConfig>,
    status: Option<Arc<StatusCheckPlugin>>,
}

impl KafkaPluginBuilder {
    /// Uses this config instead of reading `kafka.conf`.
    pub fn with_config(mut self, config: KafkaConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// Reports broker reachability to this status check (which becomes a dependency).
    pub fn with_status_check(mut self, status: Arc<StatusCheckPlugin>) -> Self {
        self.status = Some(status);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<KafkaPlugin> {
        Arc::new(KafkaPlugin {
            preset: self.preset,
            status: self.status,
            mux: OnceLock::new(),
        })
    }
}

impl KafkaPlugin {
    /// The plugin name, also its config file stem and log target.
    pub const NAME: &'static str = LOG;

    /// The plugin configured by `kafka.conf`, without status reporting.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a fixed config or a status check.
    pub fn builder() -> KafkaPluginBuilder {
        KafkaPluginBuilder::default()
    }

    /// The multiplexer once `init` connected; `None` before and when disabled.
    pub fn multiplexer(&self) -> Option<&Multiplexer> {
        self.mux.get()
    }

    /// True once `init` ran without a config.
    pub fn is_disabled(&self) -> bool {
        self.mux.get().is_none()
    }
}

#[async_trait]
impl Plugin for KafkaPlugin {
    fn name(&self) -> &str {
        LOG
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        self.status
            .iter()
            .map(|s| Arc::clone(s) as Arc<dyn Plugin>)
            .collect()
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: LOG, "no kafka config: the plugin is disabled");
            return Ok(());
        };
        let mux = Multiplexer::connect(config, ctx.service_label().label()).await?;
        if let Some(status) = &self.status {
            let probed = mux.clone();
            let probe = Probe::new(move || {
                let mux = probed.clone();
                async move {
                    mux.check()
                        .await
                        .map_err(|err| ErrorChain(&err).to_string())
                }
            });
            status.register_as(LOG, Criticality::Readiness, Some(probe));
        }
        let _ = self.mux.set(mux);
        Ok(())
    }

    async fn after_init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        if let Some(mux) = self.mux.get() {
            mux.start()?;
        }
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(mux) = self.mux.get() {
            mux.close().await;
        }
        Ok(())
    }
}
