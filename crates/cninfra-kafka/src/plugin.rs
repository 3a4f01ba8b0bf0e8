//! [`KafkaPlugin`]: the `kafka` plugin that owns the agent's [`Multiplexer`].

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{
    BoxError, ErrorChain, InitContext, NotReady, Plugin, Ready, Requirement, async_trait,
};
use cninfra_health::{
    self as health, ConnectionState, DEFAULT_CHECK_INTERVAL, DEFAULT_CHECK_TIMEOUT,
    StatusCheckPlugin,
};
use tokio::sync::watch;

use cninfra_core::tls::TlsKeys;

use crate::LOG;
use crate::config::KafkaConfig;
use crate::mux::Multiplexer;

/// The `kafka` plugin: reads `kafka.conf` (`--kafka-config`, `KAFKA_CONFIG`), connects in
/// `init` (unreachable brokers fail the start, naming them), starts the group consumer in
/// `after_init`, closes in `close`. Without a config it is disabled, as upstream.
///
/// Plugins that watch topics require it and call [`Connection::watch`](crate::Connection::watch)
/// in their `init`, reaching the multiplexer through [`KafkaPlugin::multiplexer`].
///
/// Every 5 s ([`KafkaPluginBuilder::with_check_interval`]) it asks the brokers for metadata
/// and publishes the [`ConnectionState`] ([`connection`](Self::connection)); with a
/// [`StatusCheckPlugin`] in the agent it registers as `kafka`
/// ([`Criticality::Readiness`](cninfra_health::Criticality::Readiness)) and reports it.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kafka::KafkaPlugin;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let kafka = KafkaPlugin::new();
/// let running = Agent::builder()
///     .plugin(StatusCheckPlugin::new())
///     .plugin(kafka.clone())
///     .build()?
///     .start()
///     .await?;
/// if let Some(mux) = kafka.multiplexer()? { let _conn = mux.connection("app"); }
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct KafkaPlugin {
    preset: Option<KafkaConfig>,
    check_interval: Duration,
    mux: Ready<Option<Multiplexer>>,
    connection: health::Connection,
}

/// Builds a [`KafkaPlugin`].
#[derive(Debug)]
#[must_use]
pub struct KafkaPluginBuilder {
    preset: Option<KafkaConfig>,
    check_interval: Duration,
}

impl KafkaPluginBuilder {
    /// Uses this config instead of reading `kafka.conf`.
    pub fn with_config(mut self, config: KafkaConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// How often the brokers are asked whether they answer; 5 s.
    pub fn with_check_interval(mut self, every: Duration) -> Self {
        self.check_interval = every;
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<KafkaPlugin> {
        Arc::new(KafkaPlugin {
            preset: self.preset,
            check_interval: self.check_interval,
            mux: Ready::new(KafkaPlugin::NAME),
            connection: health::Connection::new(KafkaPlugin::NAME),
        })
    }
}

impl KafkaPlugin {
    /// The plugin name, also its config file stem, log target and status-check entry.
    pub const NAME: &'static str = "kafka";

    /// The plugin configured by `kafka.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a fixed config or another check interval.
    pub fn builder() -> KafkaPluginBuilder {
        KafkaPluginBuilder {
            preset: None,
            check_interval: DEFAULT_CHECK_INTERVAL,
        }
    }

    /// The multiplexer once `init` ran: `None` when disabled.
    ///
    /// # Errors
    /// [`NotReady`] before `init` (or when it failed).
    pub fn multiplexer(&self) -> Result<Option<&Multiplexer>, NotReady> {
        self.mux.get().map(Option::as_ref)
    }

    /// Whether `init` ran and found no config.
    pub fn is_disabled(&self) -> bool {
        matches!(self.mux.try_get(), Some(None))
    }

    /// A receiver of the connection state; `changed()` wakes on every transition.
    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

#[async_trait]
impl Plugin for KafkaPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::optional::<StatusCheckPlugin>()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: LOG, "no kafka config: the plugin is disabled");
            self.mux.set(None)?;
            return Ok(());
        };
        if config.tls.enabled {
            // librdkafka reads the files itself; reading them here first fails the start
            // with an error naming the key and the file, as for every other connector.
            config.tls.load(TlsKeys::NESTED)?;
        }
        let mux = Multiplexer::connect(config, ctx.service_label().label()).await?;
        self.connection.set(ConnectionState::Connected);
        if let Some(status) = ctx.try_dep::<StatusCheckPlugin>() {
            self.connection.report_to(ctx, status);
        }
        let checked = mux.clone();
        self.connection
            .check_every(ctx, self.check_interval, DEFAULT_CHECK_TIMEOUT, move || {
                let mux = checked.clone();
                async move {
                    mux.check()
                        .await
                        .map_err(|err| ErrorChain(&err).to_string())
                }
            });
        self.mux.set(Some(mux))?;
        Ok(())
    }

    async fn after_init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        if let Some(Some(mux)) = self.mux.try_get() {
            mux.start()?;
        }
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(Some(mux)) = self.mux.try_get() {
            mux.close().await;
            self.connection.set(ConnectionState::Closed);
        }
        Ok(())
    }
}
