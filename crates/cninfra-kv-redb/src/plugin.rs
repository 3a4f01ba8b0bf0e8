//! [`RedbPlugin`]: the store as an agent plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_kv::KvStore;
use parking_lot::Mutex;

use crate::config::RedbConfig;
use crate::store::RedbStore;
use crate::{LOG, PLUGIN_NAME};

/// The redb store as a plugin named `redb` (upstream's Bolt plugin was named `bolt`): reads
/// `redb.conf` (`--redb-config` / `REDB_CONFIG`), opens the store in `init`, closes it on
/// stop. Without a config file the plugin is disabled, as upstream's connectors are, and
/// [`store`](Self::store) stays `None`.
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kv::PutOptions;
/// use cninfra_kv_redb::{RedbConfig, RedbPlugin};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let redb = RedbPlugin::with_config(RedbConfig::at(dir.path().join("kv.redb")));
/// let agent = Agent::builder().plugin(redb.clone()).with_args(["demo"]).build()?;
/// let running = agent.start().await?;
/// let store = redb.store().expect("configured, so enabled");
/// store.put("cfg/a", "1".into(), PutOptions::default()).await?;
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedbPlugin {
    preset: Option<RedbConfig>,
    store: Mutex<Option<RedbStore>>,
}

impl RedbPlugin {
    /// The plugin, configured by `redb.conf`.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            preset: None,
            store: Mutex::new(None),
        })
    }

    /// The plugin with a fixed config; no config file is read (upstream's `UseConf`).
    pub fn with_config(config: RedbConfig) -> Arc<Self> {
        Arc::new(Self {
            preset: Some(config),
            store: Mutex::new(None),
        })
    }

    /// The store, once `init` opened it; `None` before that, when disabled, and after close.
    pub fn store(&self) -> Option<Arc<dyn KvStore>> {
        self.redb_store()
            .map(|store| Arc::new(store) as Arc<dyn KvStore>)
    }

    /// The store as its own type (for [`RedbStore::path`]).
    pub fn redb_store(&self) -> Option<RedbStore> {
        self.store.lock().clone()
    }
}

#[async_trait]
impl Plugin for RedbPlugin {
    fn name(&self) -> &str {
        PLUGIN_NAME
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: LOG, "no redb config file: the redb store is disabled");
            return Ok(());
        };
        let store = RedbStore::open(config).await?;
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
