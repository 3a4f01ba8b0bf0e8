//! Which KV stores the agent reads: data sync takes the first connector given a config
//! file (etcd, Redis, Consul, redb, file DB, in that order), else an embedded file DB in a
//! data folder, so that the agent runs on a bare machine; every other configured connector
//! is a source of its own of the orchestrator (`datastore:<plugin>`, below data sync's
//! store), so a file DB holding initial config works beside etcd. Choosing is the
//! library's ([`StoreSource::first_of`], [`StoreSource::or_fallback`],
//! `OrchestratorBuilder::with_stores`); the fallback is the agent's.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cninfra::consul::ConsulPlugin;
use cninfra::datasync::StoreSource;
use cninfra::etcd::EtcdPlugin;
use cninfra::filedb::{FileDbConfig, FileDbPlugin, FileDbStore};
use cninfra::kv::{Connection, ConnectionState, KvConnector, KvStore};
use cninfra::kvscheduler::orchestrator::OrchestratorPlugin;
use cninfra::prelude::*;
use cninfra::redb::RedbPlugin;
use cninfra::redis::RedisPlugin;
use cninfra::{NotReady, Ready};
use tokio::sync::watch;

/// The flag (and `DATA_DIR` variable) naming the embedded store's folder.
const DATA_DIR_FLAG: &str = "data-dir";
/// The embedded store's folder when the flag is not given.
const DEFAULT_DATA_DIR: &str = "cninfra-data";

/// The agent's KV connectors, one instance each (data sync and the orchestrator share
/// them).
pub(crate) struct Stores {
    etcd: Arc<EtcdPlugin>,
    redis: Arc<RedisPlugin>,
    consul: Arc<ConsulPlugin>,
    redb: Arc<RedbPlugin>,
    filedb: Arc<FileDbPlugin>,
}

impl Stores {
    pub(crate) fn new() -> Self {
        Self {
            etcd: EtcdPlugin::new(),
            redis: RedisPlugin::new(),
            consul: ConsulPlugin::new(),
            redb: RedbPlugin::new(),
            filedb: FileDbPlugin::new(),
        }
    }

    /// The store data sync uses: the first configured connector, else the embedded one.
    pub(crate) fn data_sync(&self) -> StoreSource {
        StoreSource::first_of([
            StoreSource::connector(Arc::clone(&self.etcd)),
            StoreSource::connector(Arc::clone(&self.redis)),
            StoreSource::connector(Arc::clone(&self.consul)),
            StoreSource::connector(Arc::clone(&self.redb)),
            StoreSource::connector(Arc::clone(&self.filedb)),
        ])
        .or_fallback(EmbeddedStorePlugin::new())
    }

    /// The orchestrator, reading every configured store data sync does not read as a
    /// source of its own.
    pub(crate) fn orchestrator(&self) -> Arc<OrchestratorPlugin> {
        OrchestratorPlugin::builder()
            .with_stores(self.connectors())
            .build()
    }

    /// The connectors in data sync's order.
    fn connectors(&self) -> [Arc<dyn KvConnector>; 5] {
        [
            Arc::clone(&self.etcd) as Arc<dyn KvConnector>,
            Arc::clone(&self.redis) as Arc<dyn KvConnector>,
            Arc::clone(&self.consul) as Arc<dyn KvConnector>,
            Arc::clone(&self.redb) as Arc<dyn KvConnector>,
            Arc::clone(&self.filedb) as Arc<dyn KvConnector>,
        ]
    }
}

/// The fallback store: a file DB over `<data-dir>/config/` (files anyone may edit) with
/// writes, such as the published statuses, going to `<data-dir>/status.yaml`. Data sync
/// starts it only when no connector has a config file.
#[derive(Debug)]
struct EmbeddedStorePlugin {
    store: Ready<FileDbStore>,
    connection: Connection,
}

impl EmbeddedStorePlugin {
    const NAME: &'static str = "embedded-store";

    fn new() -> Arc<Self> {
        Arc::new(Self {
            store: Ready::new(Self::NAME),
            connection: Connection::new(Self::NAME),
        })
    }
}

impl KvConnector for EmbeddedStorePlugin {
    fn kv(&self) -> Result<Option<Arc<dyn KvStore>>, NotReady> {
        let store = self.store.get()?.clone();
        Ok(Some(Arc::new(store)))
    }

    fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }
}

#[async_trait]
impl Plugin for EmbeddedStorePlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn has_config(&self) -> bool {
        false
    }

    fn flags(&self) -> Vec<Flag> {
        vec![
            Flag::new(
                DATA_DIR_FLAG,
                "Folder of the embedded file DB, used when no KV connector has a config file",
            )
            .with_default(DEFAULT_DATA_DIR),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let dir = PathBuf::from(ctx.flag(DATA_DIR_FLAG).unwrap_or(DEFAULT_DATA_DIR));
        let config_dir = dir.join("config");
        if !config_dir.exists() {
            write_sample(&config_dir, &ctx.service_label().agent_prefix())?;
        }
        let store = FileDbStore::open(FileDbConfig {
            configuration_paths: vec![config_dir.clone()],
            status_path: dir.join("status.yaml"),
            ..FileDbConfig::default()
        })
        .await?;
        tracing::info!(target: EmbeddedStorePlugin::NAME, config = %config_dir.display(), "no KV connector configured: using the embedded file DB (edit its files to change the config)");
        self.store.set(store)?;
        self.connection.set(ConnectionState::Connected);
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(store) = self.store.try_get() {
            store.close().await?;
            self.connection.set(ConnectionState::Closed);
        }
        Ok(())
    }
}

/// Creates the config folder with one example item, so a first run has something to show.
fn write_sample(config_dir: &Path, agent_prefix: &str) -> Result<(), BoxError> {
    let file = config_dir.join("example-items.yaml");
    let text = format!(
        "# Key-value data of the embedded file DB; edit, add or remove files while the agent runs.\n\
         data:\n  - key: {agent_prefix}config/example/v1/items/hello\n    value: {{kind: greeting, description: written on first start}}\n"
    );
    std::fs::create_dir_all(config_dir)
        .and_then(|()| std::fs::write(&file, text))
        .map_err(|err| format!("cannot create {}: {err}", file.display()))?;
    Ok(())
}
