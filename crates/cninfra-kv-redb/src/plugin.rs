//! [`RedbPlugin`]: the store as an agent plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, async_trait};
use cninfra_kv::{Connection, ConnectionState, KvConnector, KvStore};
use tokio::sync::watch;

use crate::LOG;
use crate::config::RedbConfig;
use crate::store::RedbStore;

/// The redb store as a plugin named `redb` (upstream's Bolt plugin was named `bolt`): reads
/// `redb.conf` (`--redb-config` / `REDB_CONFIG`), opens the store in `init`, closes it on
/// stop. Without a config file the plugin is disabled, as upstream's connectors are, and
/// [`store`](Self::store) is `Ok(None)`. Its [`ConnectionState`] is `Connected` once the
/// file is open and `Closed` after stop.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kv::{KvStore, PutOptions};
/// use cninfra_kv_redb::{RedbConfig, RedbPlugin};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let redb = RedbPlugin::builder()
///     .with_config(RedbConfig::at(dir.path().join("kv.redb")))
///     .build();
/// let agent = Agent::builder().plugin(redb.clone()).with_args(["demo"]).build()?;
/// let running = agent.start().await?;
/// let store = redb.store()?.expect("configured, so enabled");
/// store.put("cfg/a", "1".into(), PutOptions::default()).await?;
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedbPlugin {
    preset: Option<RedbConfig>,
    store: Ready<Option<RedbStore>>,
    connection: Connection,
}

/// Builds a [`RedbPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct RedbPluginBuilder {
    preset: Option<RedbConfig>,
}

impl RedbPluginBuilder {
    /// Uses this config; no config file is read (upstream's `UseConf`).
    pub fn with_config(mut self, config: RedbConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<RedbPlugin> {
        Arc::new(RedbPlugin {
            preset: self.preset,
            store: Ready::new(RedbPlugin::NAME),
            connection: Connection::new(RedbPlugin::NAME),
        })
    }
}

impl RedbPlugin {
    /// The plugin's name: its config file is `redb.conf`, its flag `--redb-config`, its log
    /// target `redb`.
    pub const NAME: &'static str = "redb";

    /// The plugin, configured by `redb.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code.
    pub fn builder() -> RedbPluginBuilder {
        RedbPluginBuilder::default()
    }

    /// The store once `init` ran: `None` when disabled. After stop it is closed.
    ///
    /// # Errors
    /// [`NotReady`] before `init` (or when it failed).
    pub fn store(&self) -> Result<Option<RedbStore>, NotReady> {
        self.store.get().cloned()
    }
}

impl KvConnector for RedbPlugin {
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
impl Plugin for RedbPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: LOG, "no redb config file: the redb store is disabled");
            self.store.set(None)?;
            return Ok(());
        };
        let store = RedbStore::open(config).await?;
        self.connection.set(ConnectionState::Connected);
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
