//! [`CryptoDataPlugin`]: the `cryptodata` plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, Subcommand, async_trait};
use cninfra_kv::KvStore;

use crate::command;
use crate::config::CryptoDataConfig;
use crate::decrypter::Decrypter;
use crate::keys::PrivateKeys;
use crate::proto::ProtoFields;
use crate::store::DecryptingStore;

/// The `cryptodata` plugin (upstream's `cryptodata.DefaultPlugin`): reads
/// `cryptodata.conf` (`--cryptodata-config`, `CRYPTODATA_CONFIG`, or
/// `<config-dir>/cryptodata.conf`), loads every private key of its `private-key-files` in
/// `init`, and wraps KV stores so that their values come decrypted ([`wrap`](Self::wrap),
/// [`DecryptingConnector`](crate::DecryptingConnector)). Without a config file it is
/// disabled and [`wrap`](Self::wrap) hands the store back as it is.
///
/// It adds the subcommand `encrypt` to the agent binary: `encrypt --public-key
/// key-pub.pem [VALUE]` prints `$crypto$<base64url>` (`--field`: without the prefix, for a
/// protobuf field).
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_cryptodata::CryptoDataPlugin;
/// use cninfra_kv::{KvStore, MemoryStore};
/// use std::sync::Arc;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let crypto = CryptoDataPlugin::new();
/// let running = Agent::builder().plugin(crypto.clone()).build()?.start().await?;
/// let store = crypto.wrap(Arc::new(MemoryStore::new()))?;
/// # let _ = store;
/// running.stop().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct CryptoDataPlugin {
    preset: Option<CryptoDataConfig>,
    fields: ProtoFields,
    decrypter: Ready<Option<Arc<Decrypter>>>,
}

/// Builds a [`CryptoDataPlugin`].
#[derive(Debug, Default)]
#[must_use]
pub struct CryptoDataPluginBuilder {
    preset: Option<CryptoDataConfig>,
    fields: ProtoFields,
}

impl CryptoDataPluginBuilder {
    /// Uses `config` instead of a config file (upstream's `UseConf`).
    pub fn with_config(mut self, config: CryptoDataConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// The protobuf fields that hold encrypted strings (upstream's proto decrypter).
    pub fn with_proto_fields(mut self, fields: ProtoFields) -> Self {
        self.fields = fields;
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<CryptoDataPlugin> {
        Arc::new(CryptoDataPlugin {
            preset: self.preset,
            fields: self.fields,
            decrypter: Ready::new(CryptoDataPlugin::NAME),
        })
    }
}

impl CryptoDataPlugin {
    /// The plugin's name (config file `cryptodata.conf`, log target).
    pub const NAME: &'static str = "cryptodata";

    /// The plugin, configured by its config file.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config in code or protobuf fields.
    pub fn builder() -> CryptoDataPluginBuilder {
        CryptoDataPluginBuilder::default()
    }

    /// The decrypter once `init` ran: `None` when the plugin is disabled (no config).
    ///
    /// # Errors
    /// [`NotReady`] before `init`.
    pub fn decrypter(&self) -> Result<Option<Arc<Decrypter>>, NotReady> {
        self.decrypter.get().cloned()
    }

    /// `store` seen through the decrypter ([`DecryptingStore`]); `store` itself when the
    /// plugin is disabled.
    ///
    /// # Errors
    /// [`NotReady`] before `init`.
    pub fn wrap(&self, store: Arc<dyn KvStore>) -> Result<Arc<dyn KvStore>, NotReady> {
        Ok(match self.decrypter()? {
            Some(decrypter) => Arc::new(DecryptingStore::new(store, decrypter)),
            None => store,
        })
    }
}

#[async_trait]
impl Plugin for CryptoDataPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn subcommands(&self) -> Vec<Subcommand> {
        vec![command::encrypt()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            tracing::info!(target: CryptoDataPlugin::NAME, "no cryptodata config: values are read as stored");
            self.decrypter.set(None)?;
            return Ok(());
        };
        let files = config.private_key_files.clone();
        let keys =
            tokio::task::spawn_blocking(move || PrivateKeys::from_pem_files(&files)).await??;
        if keys.is_empty() {
            return Err("cryptodata.conf lists no `private-key-files`".into());
        }
        tracing::info!(target: CryptoDataPlugin::NAME, keys = keys.len(), files = ?config.private_key_files, "private keys loaded: encrypted values are decrypted on reading");
        let decrypter = Decrypter::new(keys, self.fields.clone());
        self.decrypter.set(Some(Arc::new(decrypter)))?;
        Ok(())
    }
}
