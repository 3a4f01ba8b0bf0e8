//! [`DecryptingConnector`]: a connector plugin whose store comes decrypted.

use std::sync::Arc;

use cninfra_core::{
    BoxError, Flag, InitContext, NotReady, Plugin, Requirement, Subcommand, async_trait,
};
use cninfra_kv::{ConnectionState, KvConnector, KvStore};
use tokio::sync::watch;

use crate::plugin::CryptoDataPlugin;

/// A connector plugin (etcd, Redis, Consul, redb, file DB) whose
/// [`kv`](KvConnector::kv) store is seen through the [`CryptoDataPlugin`]: it stands in for
/// the connector in the agent (same name, config file, flags and subcommands; its `init`
/// and `close` are the connector's), adds the cryptodata plugin as a dependency, and
/// hands out [`CryptoDataPlugin::wrap`] of the connector's store. Give it, instead of the
/// connector, to data sync (`StoreSource::connector`) and the orchestrator, so that both
/// read plaintext. With cryptodata disabled it is the connector.
///
/// Do not add the connector itself to the agent as well: the two would share a name.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_core::Plugin;
/// use cninfra_cryptodata::{CryptoDataPlugin, DecryptingConnector};
/// use cninfra_kv::KvConnector;
///
/// # fn demo(etcd: Arc<dyn KvConnector>) {
/// let crypto = CryptoDataPlugin::new();
/// let etcd = DecryptingConnector::new(etcd, crypto);
/// assert_eq!(etcd.name(), "etcd");
/// # }
/// ```
pub struct DecryptingConnector {
    inner: Arc<dyn KvConnector>,
    crypto: Arc<CryptoDataPlugin>,
}

impl std::fmt::Debug for DecryptingConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptingConnector")
            .field("inner", &self.inner.name())
            .field("crypto", &self.crypto)
            .finish()
    }
}

impl DecryptingConnector {
    /// `inner`, decrypted by `crypto`.
    pub fn new(inner: Arc<dyn KvConnector>, crypto: Arc<CryptoDataPlugin>) -> Arc<Self> {
        Arc::new(Self { inner, crypto })
    }

    /// The connector underneath (its store holds the encrypted values).
    pub fn inner(&self) -> &Arc<dyn KvConnector> {
        &self.inner
    }
}

impl KvConnector for DecryptingConnector {
    fn kv(&self) -> Result<Option<Arc<dyn KvStore>>, NotReady> {
        match self.inner.kv()? {
            Some(store) => Ok(Some(self.crypto.wrap(store)?)),
            None => Ok(None),
        }
    }

    fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.inner.connection()
    }

    fn is_disabled(&self) -> bool {
        self.inner.is_disabled()
    }
}

#[async_trait]
impl Plugin for DecryptingConnector {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn requires(&self) -> Vec<Requirement> {
        self.inner.requires()
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        let mut deps = self.inner.deps();
        deps.push(Arc::clone(&self.crypto) as Arc<dyn Plugin>);
        deps
    }

    fn has_config(&self) -> bool {
        self.inner.has_config()
    }

    fn flags(&self) -> Vec<Flag> {
        self.inner.flags()
    }

    fn subcommands(&self) -> Vec<Subcommand> {
        self.inner.subcommands()
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        self.inner.init(ctx).await
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        self.inner.after_init(ctx).await
    }

    async fn close(&self) -> Result<(), BoxError> {
        self.inner.close().await
    }
}
