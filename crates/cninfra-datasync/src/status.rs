//! [`StatusKvPublisher`]: the status check's statuses written to the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use cninfra_core::{BoxError, async_trait};
use cninfra_health::{AgentStatus, PluginStatus, StatusPublisher};
use tokio::sync::{Mutex, watch};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

use crate::LOG;
use crate::error::DatasyncError;
use crate::publisher::KvPublisher;

/// Key of the agent status, relative to the agent prefix (upstream's).
pub const AGENT_STATUS_KEY: &str = "check/status/v1/agent";
/// Prefix of the plugin statuses, relative to the agent prefix; the key of a plugin's
/// status is this prefix followed by the plugin name (upstream's).
pub const PLUGIN_STATUS_PREFIX: &str = "check/status/v1/plugin/";

/// A [`StatusPublisher`] that writes the agent status to [`AGENT_STATUS_KEY`] and each
/// plugin status to [`PLUGIN_STATUS_PREFIX`]`<name>`, as JSON with upstream's field names
/// and numeric states (`{"name":"etcd","state":1,"last_change":…,"last_update":…}`).
///
/// A key is written only when its JSON differs from what was last written there, and a
/// failed write is tried again on the next publish. [`republish`](Self::republish) writes
/// every key again; the data sync plugin calls it after the store reconnected.
/// [`KvdbSyncPlugin`](crate::KvdbSyncPlugin) adds one to the status check in its `init`
/// unless `publish-status` is off.
#[derive(Debug)]
pub struct StatusKvPublisher {
    publisher: KvPublisher,
    written: Mutex<BTreeMap<String, Written>>,
}

#[derive(Debug)]
struct Written {
    value: Bytes,
    stored: bool,
}

impl StatusKvPublisher {
    /// A status publisher writing through `publisher`.
    pub fn new(publisher: KvPublisher) -> Self {
        Self {
            publisher,
            written: Mutex::new(BTreeMap::new()),
        }
    }

    async fn write(&self, key: String, value: Bytes) -> Result<(), DatasyncError> {
        let mut written = self.written.lock().await;
        if let Some(last) = written.get(&key)
            && last.stored
            && last.value == value
        {
            return Ok(());
        }
        let result = self.publisher.put(&key, Some(value.clone())).await;
        let stored = result.is_ok();
        written.insert(key, Written { value, stored });
        result
    }

    /// Writes every status written so far again (after the store lost them, or may have);
    /// returns how many keys were written.
    ///
    /// # Errors
    /// The first failed write; the others are still tried.
    pub async fn republish(&self) -> Result<usize, DatasyncError> {
        let mut written = self.written.lock().await;
        let mut first_error = None;
        let mut count = 0;
        for (key, entry) in written.iter_mut() {
            match self.publisher.put(key, Some(entry.value.clone())).await {
                Ok(()) => {
                    entry.stored = true;
                    count += 1;
                }
                Err(err) => {
                    entry.stored = false;
                    first_error.get_or_insert(err);
                }
            }
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(count),
        }
    }
}

#[async_trait]
impl StatusPublisher for StatusKvPublisher {
    async fn publish_agent(&self, status: &AgentStatus) -> Result<(), BoxError> {
        let value = serde_json::to_vec(status)?;
        Ok(self
            .write(AGENT_STATUS_KEY.to_owned(), value.into())
            .await?)
    }

    async fn publish_plugin(&self, status: &PluginStatus) -> Result<(), BoxError> {
        let value = serde_json::to_vec(status)?;
        let key = format!("{PLUGIN_STATUS_PREFIX}{}", status.name);
        Ok(self.write(key, value.into()).await?)
    }
}

/// Writes the statuses again after each reconnect, until `stop`.
pub(crate) async fn republish_on_reconnect(
    publisher: Arc<StatusKvPublisher>,
    mut reconnects: watch::Receiver<u64>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            changed = reconnects.changed() => if changed.is_err() { return },
        }
        match publisher.republish().await {
            Ok(count) => {
                info!(target: LOG, keys = count, "statuses written again after a reconnect")
            }
            Err(err) => warn!(target: LOG, error = %err, "writing the statuses again failed"),
        }
    }
}
