//! [`StoreSource`]: where the data sync plugin gets its store, known only after `init` of the
//! connector that provides it.

use std::fmt;
use std::sync::Arc;

use cninfra_core::Plugin;
use cninfra_kv::KvStore;

type Resolve = Arc<dyn Fn() -> Option<Arc<dyn KvStore>> + Send + Sync>;

/// Where [`KvdbSyncPlugin`](crate::KvdbSyncPlugin) gets its store. The plugins of a source
/// become dependencies of the data sync plugin, so they run `init` first; the source is
/// asked for the store in the data sync plugin's `init`. A source that yields `None`
/// (connector without a config file) leaves data sync without a store.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_datasync::StoreSource;
/// use cninfra_kv::{KvStore, MemoryStore};
///
/// let memory: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
/// // A connector plugin: its store once it is initialised, `None` when not configured.
/// // let etcd = StoreSource::from_plugin(etcd_plugin, |p| p.kv());
/// let disabled = StoreSource::none();
/// let source = StoreSource::first_of([disabled, StoreSource::fixed(memory)]);
/// assert!(source.resolve().is_some());
/// ```
#[derive(Clone)]
pub struct StoreSource {
    plugins: Vec<Arc<dyn Plugin>>,
    resolve: Resolve,
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
            resolve: Arc::new(move || Some(Arc::clone(&store))),
        }
    }

    /// No store: data sync runs with the local transport only.
    pub fn none() -> Self {
        Self {
            plugins: Vec::new(),
            resolve: Arc::new(|| None),
        }
    }

    /// The store of a connector plugin, read with `get` after the plugin's `init`
    /// (`StoreSource::from_plugin(etcd, |p| p.kv())`); the plugin becomes a dependency.
    pub fn from_plugin<P, F>(plugin: Arc<P>, get: F) -> Self
    where
        P: Plugin,
        F: Fn(&P) -> Option<Arc<dyn KvStore>> + Send + Sync + 'static,
    {
        let dep: Arc<dyn Plugin> = plugin.clone();
        Self {
            plugins: vec![dep],
            resolve: Arc::new(move || get(&plugin)),
        }
    }

    /// The first of `sources` that yields a store; all their plugins become dependencies.
    /// This is how an agent picks its store by which connector has a config file, with an
    /// embedded store last as the fallback.
    pub fn first_of(sources: impl IntoIterator<Item = StoreSource>) -> Self {
        let sources: Vec<StoreSource> = sources.into_iter().collect();
        let plugins = sources.iter().flat_map(|s| s.plugins.clone()).collect();
        let resolvers: Vec<Resolve> = sources.into_iter().map(|s| s.resolve).collect();
        Self {
            plugins,
            resolve: Arc::new(move || resolvers.iter().find_map(|resolve| resolve())),
        }
    }

    /// The plugins that provide the store.
    pub fn plugins(&self) -> &[Arc<dyn Plugin>] {
        &self.plugins
    }

    /// The store now, if there is one.
    pub fn resolve(&self) -> Option<Arc<dyn KvStore>> {
        (self.resolve)()
    }
}

#[cfg(test)]
mod tests {
    use cninfra_kv::MemoryStore;

    use super::*;

    #[test]
    fn first_of_takes_the_first_store_and_keeps_every_plugin() {
        let disabled = Arc::new(cninfra_core::plugin_fn("etcd", |_| async { Ok(()) }));
        let enabled = Arc::new(cninfra_core::plugin_fn("redb", |_| async { Ok(()) }));
        let memory: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
        let embedded = Arc::clone(&memory);
        let source = StoreSource::first_of([
            StoreSource::from_plugin(disabled, |_| None),
            StoreSource::from_plugin(enabled, move |_| Some(Arc::clone(&embedded))),
            StoreSource::none(),
        ]);
        let names: Vec<&str> = source.plugins().iter().map(|p| p.name()).collect();
        assert_eq!(names, ["etcd", "redb"]);
        let found = source.resolve().expect("the redb store");
        assert!(Arc::ptr_eq(&found, &memory));
        assert!(
            StoreSource::first_of([StoreSource::none()])
                .resolve()
                .is_none()
        );
    }
}
