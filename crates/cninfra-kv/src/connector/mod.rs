//! [`KvConnector`]: what every connector plugin (etcd, Redis, Consul, redb, file DB) offers,
//! so that data sync and agents treat them alike.

mod plugin;

use std::sync::Arc;

use cninfra_core::{NotReady, Plugin};
pub use cninfra_health::{Connection, ConnectionState};
pub use plugin::{Connect, ConnectorPlugin, ConnectorPluginBuilder};
use tokio::sync::watch;

use crate::store::KvStore;

/// A connector plugin: it reads its config file in `init` (and stays disabled without
/// one), then hands out its store and publishes its [`ConnectionState`].
///
/// Every connector means the same by these methods:
/// - [`kv`](Self::kv): `Err(NotReady)` before `init`, `Ok(None)` once `init` found no
///   config (disabled), `Ok(Some(store))` once `init` connected or opened the store.
/// - [`is_disabled`](Self::is_disabled): `init` ran and found no config.
/// - [`connection`](Self::connection): [`Disabled`](ConnectionState::Disabled) until
///   `init` connects, then the connector's transitions. A return after a loss is
///   [`Reconnected { resync }`](ConnectionState::Reconnected) with the connector's
///   `resync-after-reconnect` setting, on which data sync re-reads everything.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_kv::KvConnector;
///
/// /// The first connector that has a config file, after their `init`.
/// fn first_configured(connectors: &[Arc<dyn KvConnector>]) -> Option<&str> {
///     connectors
///         .iter()
///         .find(|c| matches!(c.kv(), Ok(Some(_))))
///         .map(|c| c.name())
/// }
/// # let _ = first_configured;
/// ```
pub trait KvConnector: Plugin {
    /// The store: `Ok(None)` when disabled.
    ///
    /// # Errors
    /// [`NotReady`] naming the connector before its `init` ran (or when it failed).
    fn kv(&self) -> Result<Option<Arc<dyn KvStore>>, NotReady>;

    /// A receiver of the connection state; `changed()` wakes on every transition.
    fn connection(&self) -> watch::Receiver<ConnectionState>;

    /// Whether `init` ran and found no config; false before `init`.
    fn is_disabled(&self) -> bool {
        matches!(self.kv(), Ok(None))
    }
}
