//! [`ConnectorPlugin`]: the one plugin shape of every KV connector.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, Requirement, async_trait};
use cninfra_health::{
    Connection, ConnectionState, DEFAULT_CHECK_INTERVAL, DEFAULT_CHECK_TIMEOUT, StatusCheckPlugin,
};
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use super::KvConnector;
use crate::store::KvStore;

/// What differs between the connectors (etcd, Redis, Consul, redb, the file DB): how the
/// store opens from its config and how the server is checked (it closes with
/// [`KvStore::close`]). Everything else,
/// the config file, the disabled state, the connection and its status report, is the
/// [`ConnectorPlugin`] they share.
#[async_trait]
pub trait Connect: KvStore + Clone + fmt::Debug + Sized + 'static {
    /// The plugin's name: its config file `<PLUGIN>.conf`, its flag `--<PLUGIN>-config`, its
    /// status-check entry.
    const PLUGIN: &'static str;

    /// Whether the server is checked every check interval (with [`check_server`](Self::check_server));
    /// embedded stores have nothing to check.
    const CHECKED: bool = false;

    /// The connector's config, read from its file.
    type Config: DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static;

    /// Opens the store in the plugin's `init`: connects, sets `connection`, and spawns on
    /// `ctx` what follows the connection (reading the environment only through `ctx`).
    async fn open(
        config: Self::Config,
        ctx: &InitContext,
        connection: &Connection,
    ) -> Result<Self, BoxError>;

    /// Logs, under the connector's own log target, that it has no config file.
    fn log_disabled();

    /// Checks the server once (a `PING`, a status request), when [`CHECKED`](Self::CHECKED).
    async fn check_server(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The plugin of a KV connector: it reads `<name>.conf` in `init` (staying disabled without
/// one, as upstream's connectors do), opens the store, publishes its [`ConnectionState`],
/// reports it to the [`StatusCheckPlugin`] when the agent has one, checks the server every
/// check interval (5 s unless [`with_check_interval`](ConnectorPluginBuilder::with_check_interval)
/// says otherwise) and closes the store on stop. Each connector crate names it for its
/// store: `EtcdPlugin`, `RedisPlugin`, `ConsulPlugin`, `RedbPlugin`, `FileDbPlugin`.
pub struct ConnectorPlugin<S: Connect> {
    preset: Option<S::Config>,
    check_interval: Duration,
    store: Ready<Option<S>>,
    connection: Connection,
}

/// Builds a [`ConnectorPlugin`].
#[must_use]
pub struct ConnectorPluginBuilder<S: Connect> {
    preset: Option<S::Config>,
    check_interval: Duration,
}

impl<S: Connect> ConnectorPluginBuilder<S> {
    /// Uses this config; no config file is read (upstream's `UseConf`).
    pub fn with_config(mut self, config: S::Config) -> Self {
        self.preset = Some(config);
        self
    }

    /// How often the server is checked (default 5 s; stores with nothing to check ignore
    /// it).
    pub fn with_check_interval(mut self, every: Duration) -> Self {
        self.check_interval = every.max(Duration::from_millis(1));
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<ConnectorPlugin<S>> {
        Arc::new(ConnectorPlugin {
            preset: self.preset,
            check_interval: self.check_interval,
            store: Ready::new(S::PLUGIN),
            connection: Connection::new(S::PLUGIN),
        })
    }
}

impl<S: Connect> ConnectorPlugin<S> {
    /// The plugin's name (also its config file stem and status-check entry).
    pub const NAME: &'static str = S::PLUGIN;

    /// The plugin, configured by its config file.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code or another check interval.
    pub fn builder() -> ConnectorPluginBuilder<S> {
        ConnectorPluginBuilder {
            preset: None,
            check_interval: DEFAULT_CHECK_INTERVAL,
        }
    }

    /// The store once `init` ran: `None` when disabled (after stop it is closed).
    ///
    /// # Errors
    /// [`NotReady`] before `init` (or when it failed).
    pub fn store(&self) -> Result<Option<S>, NotReady> {
        self.store.get().cloned()
    }

    /// A receiver of the connection state; `changed()` wakes on every transition.
    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

impl<S: Connect> KvConnector for ConnectorPlugin<S> {
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
impl<S: Connect> Plugin for ConnectorPlugin<S> {
    fn name(&self) -> &str {
        S::PLUGIN
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::optional::<StatusCheckPlugin>()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            S::log_disabled();
            self.store.set(None)?;
            return Ok(());
        };
        let store = S::open(config, ctx, &self.connection).await?;
        if let Some(status) = ctx.try_dep::<StatusCheckPlugin>() {
            self.connection.report_to(ctx, status);
        }
        if S::CHECKED {
            let checked = store.clone();
            self.connection.check_every(
                ctx,
                self.check_interval,
                DEFAULT_CHECK_TIMEOUT,
                move || {
                    let store = checked.clone();
                    async move { store.check_server().await }
                },
            );
        }
        self.store.set(Some(store))?;
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(Some(store)) = self.store.try_get() {
            KvStore::close(store).await?;
            self.connection.set(ConnectionState::Closed);
        }
        Ok(())
    }
}

impl<S: Connect> fmt::Debug for ConnectorPlugin<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorPlugin")
            .field("name", &S::PLUGIN)
            .field("preset", &self.preset)
            .field("store", &self.store)
            .finish()
    }
}

impl<S: Connect> fmt::Debug for ConnectorPluginBuilder<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectorPluginBuilder")
            .field("name", &S::PLUGIN)
            .field("preset", &self.preset)
            .finish()
    }
}
