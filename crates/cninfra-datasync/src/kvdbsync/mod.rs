//! [`KvdbSyncPlugin`]: data sync over any KV store, under the agent prefix.

mod acks;
mod core;
mod source;
mod task;

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_health::StatusCheckPlugin;
use cninfra_kv::{JsonCodec, KvStore, Prefixed, ProtoCodec};
use serde::de::DeserializeOwned;
use tracing::{info, warn};

pub(crate) use self::core::SyncCore;
pub use self::source::StoreSource;
use crate::LOG;
use crate::config::SyncConfig;
use crate::error::DatasyncError;
use crate::local::LocalTransport;
use crate::publisher::KvPublisher;
use crate::resync::ResyncPlugin;
use crate::status::{StatusKvPublisher, republish_on_reconnect};
use crate::typed::TypedWatcher;
use crate::watcher::Watcher;

/// Default name of the data sync plugin; also its config file stem (`kvdbsync.conf`).
pub const KVDBSYNC_PLUGIN: &str = "kvdbsync";

/// Data sync over a KV store (plugin `kvdbsync`): plugins [`watch`](Self::watch) key
/// prefixes under the agent prefix `/vnf-agent/<label>/` and get a resync, then changes;
/// [`publisher`](Self::publisher) writes there; [`local`](Self::local) delivers in-process
/// transactions to the same watches. It also writes the status check's statuses to the
/// store (see [`StatusKvPublisher`]).
///
/// Depends on `status-check`, `resync` and the plugins of its [`StoreSource`]. Reads
/// [`SyncConfig`] from `kvdbsync.conf` unless given one in code.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_datasync::{KvdbSyncPlugin, ResyncPlugin, StoreSource};
/// use cninfra_health::StatusCheckPlugin;
/// use cninfra_kv::MemoryStore;
///
/// let status = StatusCheckPlugin::new();
/// let resync = ResyncPlugin::new(status.clone());
/// let sync = KvdbSyncPlugin::new(status, resync, StoreSource::fixed(Arc::new(MemoryStore::new())));
/// // In a plugin's `init` (the plugin lists `sync` in its deps):
/// let watcher = sync.watch("example", &["config/example/v1/"])?;
/// # let _ = watcher;
/// # Ok::<(), cninfra_datasync::DatasyncError>(())
/// ```
#[derive(Debug)]
pub struct KvdbSyncPlugin {
    core: Arc<SyncCore>,
    resync: Arc<ResyncPlugin>,
    source: StoreSource,
    preset: Option<SyncConfig>,
}

/// Builds a [`KvdbSyncPlugin`] with another name or a config given in code.
#[derive(Debug)]
pub struct KvdbSyncBuilder {
    name: String,
    status: Arc<StatusCheckPlugin>,
    resync: Arc<ResyncPlugin>,
    source: StoreSource,
    config: Option<SyncConfig>,
}

impl KvdbSyncBuilder {
    /// Another plugin name (and config file stem), to run several data sync plugins.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Uses `config` instead of reading a config file (upstream's `UseConf`).
    pub fn with_config(mut self, config: SyncConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<KvdbSyncPlugin> {
        let core = SyncCore::new(
            self.name,
            self.status,
            self.resync.handle(),
            self.config.clone().unwrap_or_default(),
        );
        Arc::new(KvdbSyncPlugin {
            core: Arc::new(core),
            resync: self.resync,
            source: self.source,
            preset: self.config,
        })
    }
}

impl KvdbSyncPlugin {
    /// The plugin named `kvdbsync`, reading `kvdbsync.conf`.
    pub fn new(
        status: Arc<StatusCheckPlugin>,
        resync: Arc<ResyncPlugin>,
        source: StoreSource,
    ) -> Arc<Self> {
        Self::builder(status, resync, source).build()
    }

    /// A builder, for another name or a config in code.
    pub fn builder(
        status: Arc<StatusCheckPlugin>,
        resync: Arc<ResyncPlugin>,
        source: StoreSource,
    ) -> KvdbSyncBuilder {
        KvdbSyncBuilder {
            name: KVDBSYNC_PLUGIN.to_owned(),
            status,
            resync,
            source,
            config: None,
        }
    }

    /// Registers a watch named `name` (the watching plugin's name; it is also the status
    /// name its delivery errors are reported under) for keys under `prefixes`, relative to
    /// the agent prefix. Call it in the plugin's `init`: the first resync round starts once
    /// every plugin finished `init`. A watch registered later gets its own resync at once.
    ///
    /// # Errors
    /// [`DatasyncError::DuplicateWatch`] when the name is taken, [`DatasyncError::NoPrefix`]
    /// for an empty prefix list.
    pub fn watch(&self, name: &str, prefixes: &[&str]) -> Result<Watcher, DatasyncError> {
        self.core.watch(name, prefixes)
    }

    /// [`watch`](Self::watch) with values decoded from JSON (serde).
    ///
    /// # Errors
    /// As [`watch`](Self::watch).
    pub fn watch_json<T>(
        &self,
        name: &str,
        prefixes: &[&str],
    ) -> Result<TypedWatcher<T, JsonCodec>, DatasyncError>
    where
        T: DeserializeOwned + serde::Serialize + Send + 'static,
    {
        Ok(TypedWatcher::new(self.watch(name, prefixes)?))
    }

    /// [`watch`](Self::watch) with values decoded from protobuf binary (prost).
    ///
    /// # Errors
    /// As [`watch`](Self::watch).
    pub fn watch_proto<T>(
        &self,
        name: &str,
        prefixes: &[&str],
    ) -> Result<TypedWatcher<T, ProtoCodec>, DatasyncError>
    where
        T: prost::Message + Default + Send + 'static,
    {
        Ok(TypedWatcher::new(self.watch(name, prefixes)?))
    }

    /// A publisher writing under the agent prefix.
    pub fn publisher(&self) -> KvPublisher {
        KvPublisher::new(Arc::clone(&self.core))
    }

    /// The local transport delivering in-process transactions to the same watches.
    pub fn local(&self) -> LocalTransport {
        LocalTransport::new(Arc::clone(&self.core))
    }

    /// The store under the agent prefix, once `init` ran and if there is one.
    pub fn store(&self) -> Option<Arc<dyn KvStore>> {
        self.core.store().ok()
    }

    /// The config in use (the file's once `init` read it).
    pub fn config(&self) -> &SyncConfig {
        self.core.config()
    }

    /// Tells data sync that the store's connection came back: the statuses are written
    /// again, and with `resync` a resync round is requested (for a connector that
    /// reconnected without being able to resume its watches, or that is configured to
    /// resync after a reconnect). Watches whose store stream reports
    /// [`Reconnected`](cninfra_kv::ResyncReason::Reconnected) do both by themselves.
    pub fn reconnected(&self, resync: bool) {
        self.core.note_reconnect();
        if resync {
            self.core.resync.request_resync("store reconnected");
        }
    }
}

#[async_trait]
impl Plugin for KvdbSyncPlugin {
    fn name(&self) -> &str {
        &self.core.name
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        let mut deps: Vec<Arc<dyn Plugin>> = vec![self.core.status.clone(), self.resync.clone()];
        deps.extend(self.source.plugins().iter().cloned());
        deps
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config = match &self.preset {
            Some(config) => config.clone(),
            None => ctx.config_or_default::<SyncConfig>()?,
        };
        let prefix = ctx.service_label().agent_prefix();
        let store = self.source.resolve().map(|store| {
            info!(target: LOG, store = store.name(), %prefix, "data sync over the store");
            Arc::new(Prefixed::new(store, prefix.clone())) as Arc<dyn KvStore>
        });
        if store.is_none() {
            warn!(target: LOG, %prefix, "no KV store configured: watches get local transactions only");
        }
        let publish = config.publish_status && store.is_some();
        self.resync.add_participant(self.core.clone());
        self.core.start(config, store, ctx);
        if publish {
            let publisher = Arc::new(StatusKvPublisher::new(self.publisher()));
            self.core.status.add_publisher(publisher.clone());
            ctx.spawn(republish_on_reconnect(
                publisher,
                self.core.reconnects(),
                ctx.shutdown_token(),
            ));
        }
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        // Watchers see the end of their stream.
        self.core.registry.clear();
        Ok(())
    }
}
