//! [`KvdbSyncPlugin`]: data sync over any KV store, under the agent prefix.

mod acks;
mod core;
mod source;
mod task;

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, Plugin, Requirement, async_trait};
use cninfra_health::StatusCheckPlugin;
use cninfra_kv::{ConnectionState, JsonCodec, KvStore, Prefixed, ProtoJsonCodec};
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use self::core::Found;
pub(crate) use self::core::SyncCore;
use self::source::Chosen;
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

/// Data sync over a KV store (plugin `kvdbsync`): plugins [`watch`](Self::watch) key
/// prefixes under the agent prefix `/vnf-agent/<label>/` and get a resync, then changes;
/// [`publisher`](Self::publisher) writes there; [`local`](Self::local) delivers in-process
/// transactions to the same watches. It also writes the status check's statuses to the
/// store (see [`StatusKvPublisher`]).
///
/// Requires the [`StatusCheckPlugin`] and the [`ResyncPlugin`] (found by type) and depends
/// on the plugins of its [`StoreSource`]. When the store's connector reconnects with
/// `resync-after-reconnect` set, every watcher gets a resync. Reads [`SyncConfig`] from
/// `kvdbsync.conf` unless given one in code.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_datasync::{KvdbSyncPlugin, StoreSource};
/// use cninfra_kv::MemoryStore;
///
/// let sync = KvdbSyncPlugin::new(StoreSource::fixed(Arc::new(MemoryStore::new())));
/// // In a plugin's `init` (the plugin requires `KvdbSyncPlugin`):
/// // let watcher = ctx.dep::<KvdbSyncPlugin>()?.watch(ctx, &["config/example/v1/"])?;
/// # let _ = sync;
/// ```
#[derive(Debug)]
pub struct KvdbSyncPlugin {
    core: Arc<SyncCore>,
    source: StoreSource,
    preset: Option<SyncConfig>,
}

/// Builds a [`KvdbSyncPlugin`] with a config given in code.
#[derive(Debug)]
#[must_use]
pub struct KvdbSyncBuilder {
    source: StoreSource,
    config: Option<SyncConfig>,
}

impl KvdbSyncBuilder {
    /// Uses `config` instead of reading a config file (upstream's `UseConf`).
    pub fn with_config(mut self, config: SyncConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<KvdbSyncPlugin> {
        let core = SyncCore::new(
            KvdbSyncPlugin::NAME,
            self.config.clone().unwrap_or_default(),
        );
        Arc::new(KvdbSyncPlugin {
            core: Arc::new(core),
            source: self.source,
            preset: self.config,
        })
    }
}

impl KvdbSyncPlugin {
    /// The plugin's name, also its config file stem (`kvdbsync.conf`) and log target.
    pub const NAME: &'static str = "kvdbsync";

    /// The plugin over the store of `source`, reading `kvdbsync.conf`.
    pub fn new(source: StoreSource) -> Arc<Self> {
        Self::builder(source).build()
    }

    /// A builder, for a config in code.
    pub fn builder(source: StoreSource) -> KvdbSyncBuilder {
        KvdbSyncBuilder {
            source,
            config: None,
        }
    }

    /// Registers a watch of the calling plugin (named by `ctx`, the plugin's own context;
    /// its delivery errors are reported under that name) for keys under `prefixes`,
    /// relative to the agent prefix. Call it in the plugin's `init`: the first resync
    /// round starts once every plugin finished `init`. A watch registered later gets its
    /// own resync at once.
    ///
    /// # Errors
    /// [`DatasyncError::DuplicateWatch`] when the plugin watches already,
    /// [`DatasyncError::NoPrefix`] for an empty prefix list, [`DatasyncError::NotReady`]
    /// before this plugin's `init` (the caller does not require it).
    pub fn watch(&self, ctx: &InitContext, prefixes: &[&str]) -> Result<Watcher, DatasyncError> {
        self.core.watch(ctx.plugin_name(), prefixes)
    }

    /// [`watch`](Self::watch) with values decoded from JSON (serde).
    ///
    /// # Errors
    /// As [`watch`](Self::watch).
    pub fn watch_json<T>(
        &self,
        ctx: &InitContext,
        prefixes: &[&str],
    ) -> Result<TypedWatcher<T, JsonCodec>, DatasyncError>
    where
        T: DeserializeOwned + serde::Serialize + Send + 'static,
    {
        Ok(TypedWatcher::new(self.watch(ctx, prefixes)?))
    }

    /// [`watch`](Self::watch) with values decoded from proto3 JSON into prost messages (with
    /// a descriptor), as upstream's agents store them. For binary protobuf, choose it
    /// explicitly: [`ProtoBinaryWatcher::new`](crate::ProtoBinaryWatcher)`(sync.watch(ctx,
    /// prefixes)?)`.
    ///
    /// # Errors
    /// As [`watch`](Self::watch).
    pub fn watch_proto<T>(
        &self,
        ctx: &InitContext,
        prefixes: &[&str],
    ) -> Result<TypedWatcher<T, ProtoJsonCodec>, DatasyncError>
    where
        T: cninfra_models::ProtoMessage + Send + 'static,
    {
        Ok(TypedWatcher::new(self.watch(ctx, prefixes)?))
    }

    /// A publisher writing under the agent prefix.
    pub fn publisher(&self) -> KvPublisher {
        KvPublisher::new(Arc::clone(&self.core))
    }

    /// The local transport delivering in-process transactions to the same watches.
    pub fn local(&self) -> LocalTransport {
        LocalTransport::new(Arc::clone(&self.core))
    }

    /// The store under the agent prefix.
    ///
    /// # Errors
    /// [`DatasyncError::NotReady`] before `init`, [`DatasyncError::NoStore`] when no
    /// connector offered one.
    pub fn store(&self) -> Result<Arc<dyn KvStore>, DatasyncError> {
        self.core.store()
    }

    /// The config in use (the file's once `init` read it).
    pub fn config(&self) -> &SyncConfig {
        self.core.config()
    }
}

#[async_trait]
impl Plugin for KvdbSyncPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<StatusCheckPlugin>(),
            Requirement::of::<ResyncPlugin>(),
        ]
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        self.source.plugins().to_vec()
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let status = ctx.dep::<StatusCheckPlugin>()?;
        let resync = ctx.dep::<ResyncPlugin>()?;
        let config = match &self.preset {
            Some(config) => config.clone(),
            None => ctx.config_or_default::<SyncConfig>()?,
        };
        let prefix = ctx.service_label().agent_prefix();
        let chosen = self.source.choose();
        let store = chosen.as_ref().map(|chosen| {
            info!(target: LOG, store = chosen.store.name(), %prefix, "data sync over the store");
            Arc::new(Prefixed::new(Arc::clone(&chosen.store), prefix.clone())) as Arc<dyn KvStore>
        });
        if store.is_none() {
            warn!(target: LOG, %prefix, "no KV store configured: watches get local transactions only");
        }
        let publish = config.publish_status && store.is_some();
        let found = Found {
            status: Arc::clone(&status),
            resync: resync.handle(),
            config,
            store,
        };
        self.core.start(found, ctx)?;
        resync.add_participant(self.core.clone());
        if let Some(Chosen {
            connector: Some(connector),
            connection: Some(connection),
            ..
        }) = chosen
        {
            ctx.spawn(follow_connection(
                Arc::clone(&self.core),
                connector,
                connection,
                ctx.shutdown_token(),
            ));
        }
        if publish {
            let publisher = Arc::new(StatusKvPublisher::new(self.publisher()));
            status.add_publisher(publisher.clone());
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

/// Acts on the reconnects of the store's connector until `stop`: the statuses are written
/// again, and with the connector's `resync-after-reconnect` every watcher gets a resync.
async fn follow_connection(
    core: Arc<SyncCore>,
    connector: String,
    mut connection: watch::Receiver<ConnectionState>,
    stop: CancellationToken,
) {
    connection.borrow_and_update();
    while let Some(Ok(())) = stop.run_until_cancelled(connection.changed()).await {
        let state = connection.borrow_and_update().clone();
        if let ConnectionState::Reconnected { resync } = state {
            info!(target: LOG, %connector, resync, "the store reconnected");
            core.reconnected(&connector, resync);
        }
    }
}
