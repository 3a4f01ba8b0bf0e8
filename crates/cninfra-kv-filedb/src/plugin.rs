//! [`FileDbPlugin`]: the store as an agent plugin.

use cninfra_core::{BoxError, InitContext, async_trait};
use cninfra_kv::{Connect, Connection, ConnectionState, ConnectorPlugin, ConnectorPluginBuilder};

use crate::LOG;
use crate::config::FileDbConfig;
use crate::store::FileDbStore;

/// The file DB as a plugin named `filedb` (as upstream): reads `filedb.conf`
/// (`--filedb-config` / `FILEDB_CONFIG`), loads the files and starts watching them in
/// `init`, closes on stop. Without a config file the plugin is disabled with a warning, as
/// upstream, and [`store`](ConnectorPlugin::store) is `Ok(None)`. Its [`ConnectionState`] is
/// `Connected` once the files are loaded and `Closed` after stop. It is the one connector plugin shape,
/// [`ConnectorPlugin`], for the [`FileDbStore`].
///
/// # Examples
/// ```
/// use cninfra_core::Agent;
/// use cninfra_kv_filedb::{FileDbConfig, FileDbPlugin};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let dir = tempfile::tempdir()?;
/// let filedb = FileDbPlugin::builder()
///     .with_config(FileDbConfig {
///         configuration_paths: vec![dir.path().to_owned()],
///         ..FileDbConfig::default()
///     })
///     .build();
/// let agent = Agent::builder().plugin(filedb.clone()).with_args(["demo"]).build()?;
/// let running = agent.start().await?;
/// assert!(filedb.store()?.is_some());
/// running.stop().await?;
/// # Ok(()) }
/// ```
pub type FileDbPlugin = ConnectorPlugin<FileDbStore>;

/// Builds a [`FileDbPlugin`].
pub type FileDbPluginBuilder = ConnectorPluginBuilder<FileDbStore>;

#[async_trait]
impl Connect for FileDbStore {
    const PLUGIN: &'static str = "filedb";
    type Config = FileDbConfig;

    async fn open(
        config: FileDbConfig,
        _ctx: &InitContext,
        connection: &Connection,
    ) -> Result<Self, BoxError> {
        let store = FileDbStore::open(config).await?;
        connection.set(ConnectionState::Connected);
        Ok(store)
    }

    fn log_disabled() {
        tracing::warn!(target: LOG, "no filedb config file: the file DB is disabled");
    }
}
