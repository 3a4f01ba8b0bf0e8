//! [`FileDbPlugin`]: the store as an agent plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, async_trait};
use cninfra_kv::{Connection, ConnectionState, KvConnector, KvStore};
use tokio::sync::watch;

use crate::LOG;
use crate::config::FileDbConfig;
use crate::store::FileDbStore;

/// The file DB as a plugin named `filedb` (as upstream): reads `filedb.conf`
/// (`--filedb-config` / `FILEDB_CONFIG`), loads the files and starts watching them in
/// `init`, closes on stop. Without a config file the plugin is disabled with a warning, as
/// upstream, and [`store`](Self::store) is `Ok(None)`. Its [`ConnectionState`] is
/// `Connected` once the files are loaded and `Closed` after stop.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kv_filedb::{FileDbConfig, FileDbPlugin};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let filedb = FileDbPlugin::builder()
///     .with_config(FileDbConfig {
///         configuration_paths: vec![dir.path().to_owned()],
///         ..FileDbConfig::default()
///     })
///     .build();
/// let running = Agent::builder().plugin(filedb.clone()).with_args(["demo"]).build()?.start().await?;
/// assert!(filedb.store()?.is_some());
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FileDbPlugin {
    preset: Option<FileDbConfig>,
    store: Ready<Option<FileDbStore>>,
    connection: Connection,
}

/// Builds a [`FileDbPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct FileDbPluginBuilder {
    preset: Option<FileDbConfig>,
}

impl FileDbPluginBuilder {
    /// Uses this config; no config file is read (upstream's `UseConf`).
    pub fn with_config(mut self, config: FileDbConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<FileDbPlugin> {
        Arc::new(FileDbPlugin {
            preset: self.preset,
            store: Ready::new(FileDbPlugin::NAME),
            connection: Connection::new(FileDbPlugin::NAME),
        })
    }
}

impl FileDbPlugin {
    /// The plugin's name: its config file is `filedb.conf`, its flag `--filedb-config`, its
    /// log target `filedb`.
    pub const NAME: &'static str = "filedb";

    /// The plugin, configured by `filedb.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code.
    pub fn builder() -> FileDbPluginBuilder {
        FileDbPluginBuilder::default()
    }

    /// The store once `init` ran: `None` when disabled. After stop it is closed.
    ///
    /// # Errors
    /// [`NotReady`] before `init` (or when it failed).
    pub fn store(&self) -> Result<Option<FileDbStore>, NotReady> {
        self.store.get().cloned()
    }
}

impl KvConnector for FileDbPlugin {
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
impl Plugin for FileDbPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::warn!(target: LOG, "no filedb config file: the file DB is disabled");
            self.store.set(None)?;
            return Ok(());
        };
        let store = FileDbStore::open(config).await?;
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
