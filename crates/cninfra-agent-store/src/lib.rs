//! Which KV stores an agent reads: data sync takes the first connector given a config file
//! (etcd, Redis, Consul, redb, file DB, in that order), else an embedded file DB in a data
//! folder, so that the agent runs on a bare machine; every other configured connector is a
//! source of its own of the orchestrator (`datastore:<plugin>`, below data sync's store), so
//! a file DB holding initial config works beside etcd. Choosing is the library's
//! ([`StoreSource::first_of`], [`StoreSource::or_fallback`],
//! `OrchestratorBuilder::with_stores`); the fallback is this crate's, shared by the example
//! agent and the Linux agent, each with its own first-run sample. Every store is read
//! through the `cryptodata` plugin (`--cryptodata-config`), which decrypts encrypted values
//! when it has private keys.
//!
//! ```
//! use cninfra_agent_store::{Sample, Stores};
//!
//! let sample = Sample::new("hello.yaml", |prefix| {
//!     format!("data:\n  - key: {prefix}config/example/v1/items/hello\n    value: {{kind: greeting}}\n")
//! });
//! let stores = Stores::new();
//! let _sync = stores.data_sync(Some(sample)); // give it to `KvdbSyncPlugin::new`
//! let _orchestrator = stores.orchestrator(); // and this to the agent
//! ```

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
use cninfra_cryptodata::{CryptoDataPlugin, DecryptingConnector};
use tokio::sync::watch;

/// The flag (and `DATA_DIR` variable) naming the embedded store's folder.
const DATA_DIR_FLAG: &str = "data-dir";
/// The embedded store's folder when the flag is not given.
const DEFAULT_DATA_DIR: &str = "cninfra-data";

/// A file the embedded store's config folder starts with on a first run (so that a first
/// run has something to show): its name, and its text made from the agent's key prefix.
#[derive(Debug, Clone)]
pub struct Sample {
    file_name: &'static str,
    text: fn(&str) -> String,
}

impl Sample {
    /// The file `file_name` with the text `text(agent_prefix)`.
    pub fn new(file_name: &'static str, text: fn(&str) -> String) -> Self {
        Self { file_name, text }
    }
}

/// The agent's KV connectors, one instance each (data sync and the orchestrator share
/// them), each seen through the cryptodata plugin (`--cryptodata-config`): with private keys
/// configured, every store's values come decrypted.
#[derive(Debug)]
pub struct Stores {
    crypto: Arc<CryptoDataPlugin>,
    connectors: [Arc<DecryptingConnector>; 5],
}

impl Default for Stores {
    fn default() -> Self {
        Self::new()
    }
}

impl Stores {
    /// One of each connector, decrypted by a [`CryptoDataPlugin`] configured by its file.
    pub fn new() -> Self {
        Self::with_cryptodata(CryptoDataPlugin::new())
    }

    /// One of each connector, decrypted by `crypto` (built with protobuf fields, say).
    pub fn with_cryptodata(crypto: Arc<CryptoDataPlugin>) -> Self {
        let decrypted =
            |connector: Arc<dyn KvConnector>| DecryptingConnector::new(connector, crypto.clone());
        let connectors = [
            decrypted(EtcdPlugin::new()),
            decrypted(RedisPlugin::new()),
            decrypted(ConsulPlugin::new()),
            decrypted(RedbPlugin::new()),
            decrypted(FileDbPlugin::new()),
        ];
        Self { crypto, connectors }
    }

    /// The store data sync uses: the first configured connector, else the embedded one
    /// (starting with `sample` when its folder is new).
    pub fn data_sync(&self, sample: Option<Sample>) -> StoreSource {
        let embedded =
            DecryptingConnector::new(EmbeddedStorePlugin::new(sample), Arc::clone(&self.crypto));
        StoreSource::first_of(
            self.connectors
                .iter()
                .map(|connector| StoreSource::connector(Arc::clone(connector))),
        )
        .or_fallback(embedded)
    }

    /// The orchestrator, reading every configured store data sync does not read as a
    /// source of its own.
    pub fn orchestrator(&self) -> Arc<OrchestratorPlugin> {
        OrchestratorPlugin::builder()
            .with_stores(
                self.connectors
                    .iter()
                    .map(|connector| Arc::clone(connector) as Arc<dyn KvConnector>),
            )
            .build()
    }
}

/// The fallback store: a file DB over `<data-dir>/config/` (files anyone may edit) with
/// writes, such as the published statuses, going to `<data-dir>/status.yaml`. Data sync
/// starts it only when no connector has a config file.
#[derive(Debug)]
struct EmbeddedStorePlugin {
    sample: Option<Sample>,
    store: Ready<FileDbStore>,
    connection: Connection,
}

impl EmbeddedStorePlugin {
    const NAME: &'static str = "embedded-store";

    fn new(sample: Option<Sample>) -> Arc<Self> {
        Arc::new(Self {
            sample,
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
            write_sample(
                &config_dir,
                self.sample.as_ref(),
                &ctx.service_label().agent_prefix(),
            )?;
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

/// Creates the config folder, with the sample if there is one.
fn write_sample(
    config_dir: &Path,
    sample: Option<&Sample>,
    agent_prefix: &str,
) -> Result<(), BoxError> {
    std::fs::create_dir_all(config_dir)
        .map_err(|err| format!("cannot create {}: {err}", config_dir.display()))?;
    if let Some(sample) = sample {
        let file = config_dir.join(sample.file_name);
        std::fs::write(&file, (sample.text)(agent_prefix))
            .map_err(|err| format!("cannot create {}: {err}", file.display()))?;
    }
    Ok(())
}
