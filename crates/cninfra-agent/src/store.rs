//! Which KV store the agent syncs with: the first connector given a config file (etcd,
//! Redis, Consul, redb, file DB, in that order), else an embedded file DB in a data folder,
//! so that the agent runs on a bare machine.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use cninfra::consul::ConsulPlugin;
use cninfra::datasync::{KvdbSyncPlugin, StoreSource};
use cninfra::etcd::{ConnectionState, EtcdPlugin};
use cninfra::filedb::{FileDbConfig, FileDbPlugin, FileDbStore};
use cninfra::health::StatusCheckPlugin;
use cninfra::kv::KvStore;
use cninfra::prelude::*;
use cninfra::redb::RedbPlugin;
use cninfra::redis::RedisPlugin;

/// The embedded store's plugin name and log target.
const EMBEDDED: &str = "embedded-store";
/// The flag (and `DATA_DIR` variable) naming the embedded store's folder.
const DATA_DIR_FLAG: &str = "data-dir";
/// The embedded store's folder when the flag is not given.
const DEFAULT_DATA_DIR: &str = "cninfra-data";

/// The connectors the agent can sync with, each disabled without its config file.
#[derive(Debug)]
pub(crate) struct Stores {
    pub(crate) etcd: Arc<EtcdPlugin>,
    connectors: Vec<(&'static str, StoreSource)>,
    embedded: Arc<EmbeddedStorePlugin>,
}

impl Stores {
    /// Every connector, reporting its connection to `status`.
    pub(crate) fn new(status: &Arc<StatusCheckPlugin>) -> Self {
        let etcd = EtcdPlugin::builder()
            .with_status_check(status.clone())
            .build();
        let redis = RedisPlugin::builder()
            .with_status_check(status.clone())
            .build();
        let consul = ConsulPlugin::builder()
            .with_status_check(status.clone())
            .build();
        let connectors = vec![
            ("etcd", StoreSource::from_plugin(etcd.clone(), |p| p.kv())),
            ("redis", StoreSource::from_plugin(redis, |p| p.kv())),
            ("consul", StoreSource::from_plugin(consul, |p| p.kv())),
            (
                "redb",
                StoreSource::from_plugin(RedbPlugin::new(), |p| p.store()),
            ),
            (
                "filedb",
                StoreSource::from_plugin(FileDbPlugin::new(), |p| p.store()),
            ),
        ];
        let embedded = Arc::new(EmbeddedStorePlugin {
            configured: connectors.clone(),
            store: OnceLock::new(),
        });
        Self {
            etcd,
            connectors,
            embedded,
        }
    }

    /// The store data sync uses: the first configured connector, else the embedded one.
    pub(crate) fn source(&self) -> StoreSource {
        let embedded = StoreSource::from_plugin(self.embedded.clone(), |p| p.store());
        StoreSource::first_of(
            self.connectors
                .iter()
                .map(|(_, source)| source.clone())
                .chain([embedded]),
        )
    }
}

/// The fallback store: a file DB over `<data-dir>/config/` (files anyone may edit) with
/// writes, such as the published statuses, going to `<data-dir>/status.yaml`. It opens only
/// when no connector has a config file.
#[derive(Debug)]
struct EmbeddedStorePlugin {
    configured: Vec<(&'static str, StoreSource)>,
    store: OnceLock<FileDbStore>,
}

impl EmbeddedStorePlugin {
    fn store(&self) -> Option<Arc<dyn KvStore>> {
        self.store
            .get()
            .map(|store| Arc::new(store.clone()) as Arc<dyn KvStore>)
    }
}

#[async_trait]
impl Plugin for EmbeddedStorePlugin {
    fn name(&self) -> &str {
        EMBEDDED
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        self.configured
            .iter()
            .flat_map(|(_, source)| source.plugins().iter().cloned())
            .collect()
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
        let configured: Vec<&str> = self
            .configured
            .iter()
            .filter(|(_, source)| source.resolve().is_some())
            .map(|(name, _)| *name)
            .collect();
        if let Some(first) = configured.first() {
            if configured.len() > 1 {
                tracing::warn!(target: EMBEDDED, used = first, configured = ?configured, "several KV connectors have a config file; data sync uses the first");
            }
            return Ok(());
        }
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
        tracing::info!(target: EMBEDDED, config = %config_dir.display(), "no KV connector configured: using the embedded file DB (edit its files to change the config)");
        // `init` runs once per agent.
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

/// Tells data sync when etcd came back, so statuses are written again and, with etcd's
/// `resync-after-reconnect` (on by default), every watcher gets the full state again.
#[derive(Debug)]
pub(crate) struct ReconnectPlugin {
    etcd: Arc<EtcdPlugin>,
    sync: Arc<KvdbSyncPlugin>,
}

impl ReconnectPlugin {
    pub(crate) fn new(etcd: Arc<EtcdPlugin>, sync: Arc<KvdbSyncPlugin>) -> Arc<Self> {
        Arc::new(Self { etcd, sync })
    }
}

#[async_trait]
impl Plugin for ReconnectPlugin {
    fn name(&self) -> &str {
        "etcd-reconnect"
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.etcd.clone(), self.sync.clone()]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        if self.etcd.is_disabled() {
            return Ok(());
        }
        let mut connection = self.etcd.connection();
        let sync = self.sync.clone();
        let stop = ctx.shutdown_token();
        ctx.spawn(async move {
            while let Some(Ok(())) = stop.run_until_cancelled(connection.changed()).await {
                if let ConnectionState::Reconnected { resync } = *connection.borrow_and_update() {
                    sync.reconnected(resync);
                }
            }
        });
        Ok(())
    }
}
