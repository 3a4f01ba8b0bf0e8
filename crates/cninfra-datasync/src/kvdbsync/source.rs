//! [`StoreSource`]: where the data sync plugin gets its store, known only after `init` of the
//! connector that provides it.

use std::fmt;
use std::sync::Arc;

use cninfra_core::{BoxError, Flag, InitContext, Plugin, Requirement, async_trait};
use cninfra_kv::{ConnectionState, KvConnector, KvStore};
use tokio::sync::watch;
use tracing::warn;

use crate::LOG;

/// The store a source settled on, with the connector that provides it.
pub(crate) struct Chosen {
    /// The connector's plugin name (`None` for a fixed store).
    pub(crate) connector: Option<String>,
    pub(crate) store: Arc<dyn KvStore>,
    /// The connector's connection, on which data sync resyncs after a reconnect.
    pub(crate) connection: Option<watch::Receiver<ConnectionState>>,
}

type Choose = Arc<dyn Fn() -> Vec<Chosen> + Send + Sync>;

/// Where [`KvdbSyncPlugin`](crate::KvdbSyncPlugin) gets its store. The plugins of a source
/// become dependencies of the data sync plugin, so they run `init` first; the source is
/// asked for the store in the data sync plugin's `init`. A source that yields no store
/// (connectors without a config file) leaves data sync with the local transport only.
///
/// With a connector ([`connector`](Self::connector)), data sync also follows the
/// connector's [`ConnectionState`]: after a
/// [`Reconnected { resync: true }`](ConnectionState::Reconnected) (the connector's
/// `resync-after-reconnect`) every watcher gets a resync, and the statuses are written to
/// the store again after any reconnect.
///
/// # Examples
/// An agent that syncs with the first configured connector, else an embedded store:
/// ```
/// use std::sync::Arc;
/// use cninfra_datasync::StoreSource;
/// use cninfra_kv::{KvStore, MemoryStore};
///
/// let memory: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
/// // StoreSource::first_of([StoreSource::connector(EtcdPlugin::new()), ...])
/// let source = StoreSource::first_of([StoreSource::none(), StoreSource::fixed(memory)]);
/// assert!(source.resolve().is_some());
/// ```
#[derive(Clone)]
pub struct StoreSource {
    plugins: Vec<Arc<dyn Plugin>>,
    choose: Choose,
}

impl fmt::Debug for StoreSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreSource")
            .field(
                "plugins",
                &self.plugins.iter().map(|p| p.name()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl StoreSource {
    /// A store that exists already (a [`MemoryStore`](cninfra_kv::MemoryStore) in tests).
    pub fn fixed(store: Arc<dyn KvStore>) -> Self {
        Self {
            plugins: Vec::new(),
            choose: Arc::new(move || {
                vec![Chosen {
                    connector: None,
                    store: Arc::clone(&store),
                    connection: None,
                }]
            }),
        }
    }

    /// No store: data sync runs with the local transport only.
    pub fn none() -> Self {
        Self {
            plugins: Vec::new(),
            choose: Arc::new(Vec::new),
        }
    }

    /// The store of a connector plugin (etcd, Redis, Consul, redb, file DB), which becomes
    /// a dependency; none when the connector is disabled.
    pub fn connector<C: KvConnector>(connector: Arc<C>) -> Self {
        let plugin: Arc<dyn Plugin> = connector.clone();
        Self {
            plugins: vec![plugin],
            choose: Arc::new(move || {
                let Ok(Some(store)) = connector.kv() else {
                    return Vec::new();
                };
                vec![Chosen {
                    connector: Some(connector.name().to_owned()),
                    store,
                    connection: Some(connector.connection()),
                }]
            }),
        }
    }

    /// The first of `sources` that yields a store; all their plugins become dependencies.
    /// This is how an agent picks its store by which connector has a config file (etcd,
    /// Redis, Consul, redb, file DB, say); when several have one, data sync uses the first
    /// and logs a warning naming them all.
    pub fn first_of(sources: impl IntoIterator<Item = StoreSource>) -> Self {
        let sources: Vec<StoreSource> = sources.into_iter().collect();
        let plugins = sources.iter().flat_map(|s| s.plugins.clone()).collect();
        let choosers: Vec<Choose> = sources.into_iter().map(|s| s.choose).collect();
        Self {
            plugins,
            choose: Arc::new(move || choosers.iter().flat_map(|choose| choose()).collect()),
        }
    }

    /// This source, else the store of `fallback`, a connector that runs its `init` (opens
    /// its store) only when this source yields none: the embedded store of an agent that
    /// must run on a bare machine. The fallback's plugin name, config and flags stay its
    /// own; it is not found by its type.
    pub fn or_fallback<C: KvConnector>(self, fallback: Arc<C>) -> Self {
        let standby = Arc::new(Standby {
            primary: self.clone(),
            fallback,
        });
        Self::first_of([self, Self::connector(standby)])
    }

    /// The plugins that provide the store.
    pub fn plugins(&self) -> &[Arc<dyn Plugin>] {
        &self.plugins
    }

    /// The store now, if there is one.
    pub fn resolve(&self) -> Option<Arc<dyn KvStore>> {
        self.choose().map(|chosen| chosen.store)
    }

    /// The store now with its connector; warns when several connectors offer one.
    pub(crate) fn choose(&self) -> Option<Chosen> {
        let mut offered = (self.choose)();
        if offered.len() > 1 {
            let configured: Vec<&str> = offered
                .iter()
                .map(|c| c.connector.as_deref().unwrap_or("fixed store"))
                .collect();
            warn!(target: LOG, used = configured[0], ?configured, "several KV connectors have a config file; data sync uses the first");
        }
        (!offered.is_empty()).then(|| offered.swap_remove(0))
    }
}

/// A fallback connector that starts only when its primary source yields no store.
struct Standby<C> {
    primary: StoreSource,
    fallback: Arc<C>,
}

impl<C: KvConnector> Standby<C> {
    fn needed(&self) -> bool {
        (self.primary.choose)().is_empty()
    }
}

impl<C: KvConnector> KvConnector for Standby<C> {
    fn kv(&self) -> Result<Option<Arc<dyn KvStore>>, cninfra_core::NotReady> {
        if self.needed() {
            self.fallback.kv()
        } else {
            Ok(None)
        }
    }

    fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.fallback.connection()
    }
}

#[async_trait]
impl<C: KvConnector> Plugin for Standby<C> {
    fn name(&self) -> &str {
        self.fallback.name()
    }

    fn requires(&self) -> Vec<Requirement> {
        self.fallback.requires()
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        let mut deps = self.primary.plugins.clone();
        deps.extend(self.fallback.deps());
        deps
    }

    fn has_config(&self) -> bool {
        self.fallback.has_config()
    }

    fn flags(&self) -> Vec<Flag> {
        self.fallback.flags()
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        if self.needed() {
            self.fallback.init(ctx).await
        } else {
            Ok(())
        }
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        if self.needed() {
            self.fallback.after_init(ctx).await
        } else {
            Ok(())
        }
    }

    async fn close(&self) -> Result<(), BoxError> {
        if self.needed() {
            self.fallback.close().await
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use cninfra_kv::MemoryStore;

    use super::*;

    #[test]
    fn first_of_takes_the_first_store_and_keeps_every_plugin() {
        let memory: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
        let other: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
        let source = StoreSource::first_of([
            StoreSource::none(),
            StoreSource::fixed(Arc::clone(&memory)),
            StoreSource::fixed(other),
        ]);
        let found = source.resolve().expect("the first fixed store");
        assert!(Arc::ptr_eq(&found, &memory));
        assert!(
            StoreSource::first_of([StoreSource::none()])
                .resolve()
                .is_none()
        );
    }
}
