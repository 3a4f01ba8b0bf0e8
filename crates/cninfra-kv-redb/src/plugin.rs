//! [`RedbPlugin`]: the store as an agent plugin.

use cninfra_core::{BoxError, InitContext, async_trait};
use cninfra_kv::{Connect, Connection, ConnectionState, ConnectorPlugin, ConnectorPluginBuilder};

use crate::LOG;
use crate::config::RedbConfig;
use crate::store::RedbStore;

/// The redb store as a plugin named `redb` (upstream's Bolt plugin was named `bolt`): reads
/// `redb.conf` (`--redb-config` / `REDB_CONFIG`), opens the store in `init`, closes it on
/// stop. Without a config file the plugin is disabled, as upstream's connectors are, and
/// [`store`](ConnectorPlugin::store) is `Ok(None)`. Its [`ConnectionState`] is `Connected`
/// once the file is open and `Closed` after stop. It is the one connector plugin shape,
/// [`ConnectorPlugin`], for the [`RedbStore`].
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kv::{KvStore, PutOptions};
/// use cninfra_kv_redb::{RedbConfig, RedbPlugin};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let redb = RedbPlugin::builder()
///     .with_config(RedbConfig::at(dir.path().join("kv.redb")))
///     .build();
/// let agent = Agent::builder().plugin(redb.clone()).with_args(["demo"]).build()?;
/// let running = agent.start().await?;
/// let store = redb.store()?.expect("configured, so enabled");
/// store.put("cfg/a", "1".into(), PutOptions::default()).await?;
/// running.stop().await?;
/// # Ok(()) }
/// ```
pub type RedbPlugin = ConnectorPlugin<RedbStore>;

/// Builds a [`RedbPlugin`].
pub type RedbPluginBuilder = ConnectorPluginBuilder<RedbStore>;

#[async_trait]
impl Connect for RedbStore {
    const PLUGIN: &'static str = "redb";
    type Config = RedbConfig;

    async fn open(
        config: RedbConfig,
        _ctx: &InitContext,
        connection: &Connection,
    ) -> Result<Self, BoxError> {
        let store = RedbStore::open(config).await?;
        connection.set(ConnectionState::Connected);
        Ok(store)
    }

    fn log_disabled() {
        tracing::info!(target: LOG, "no redb config file: the redb store is disabled");
    }
}
