//! [`FileDbPlugin`]: the file DB as an agent plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_kv::KvStore;
use parking_lot::Mutex;

use crate::config::FileDbConfig;
use crate::store::FileDbStore;
use crate::{LOG, PLUGIN_NAME};

/// The file DB as a plugin named `filedb` (as upstream): reads `filedb.conf`
/// (`--filedb-config` / `FILEDB_CONFIG`), loads the files and starts watching them in
/// `init`, closes on stop. Without a config file the plugin is disabled with a warning, as
/// upstream, and [`store`](Self::store) stays `None`.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kv_filedb::{FileDbConfig, FileDbPlugin};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let filedb = FileDbPlugin::with_config(FileDbConfig {
///     configuration_paths: vec![dir.path().to_owned()],
///     ..FileDbConfig::default()
/// });
/// let running = Agent::builder().plugin(filedb.clone()).with_args(["demo"]).build()?.start().await?;
/// assert!(filedb.store().is_some());
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FileDbPlugin {
    preset: Option<FileDbConfig>,
    store: Mutex<Option<FileDbStore>>,
}

impl FileDbPlugin {
    /// The plugin, configured by `filedb.conf`.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            preset: None,
            store: Mutex::new(None),
        })
    }

    /// The plugin with a fixed config; no config file is read (upstream's `UseConf`).
    pub fn with_config(config: FileDbConfig) -> Arc<Self> {
        Arc::new(Self {
            preset: Some(config),
            store: Mutex::new(None),
        })
    }

    /// The store, once `init` opened it; `None` before that, when disabled, and after close.
    pub fn store(&self) -> Option<Arc<dyn KvStore>> {
        self.file_db()
            .map(|store| Arc::new(store) as Arc<dyn KvStore>)
    }

    /// The store as its own type (for [`FileDbStore::problems`]).
    pub fn file_db(&self) -> Option<FileDbStore> {
        self.store.lock().clone()
    }
}

#[async_trait]
impl Plugin for FileDbPlugin {
    fn name(&self) -> &str {
        PLUGIN_NAME
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::warn!(target: LOG, "no filedb config file: the file DB is disabled");
            return Ok(());
        };
        let store = FileDbStore::open(config).await?;
        *self.store.lock() = Some(store);
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        let store = self.store.lock().take();
        if let Some(store) = store {
            store.close().await?;
        }
        Ok(())
    }
}
