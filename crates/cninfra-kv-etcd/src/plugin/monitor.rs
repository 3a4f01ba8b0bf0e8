//! Background work of the plugin: connecting late, checking the connection, compacting
//! the history.

use std::time::Duration;

use cninfra_core::ErrorChain;
use cninfra_health::Connection;
use cninfra_kv::KvStore;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::LOG;
use crate::connect::Connector;
use crate::store::EtcdStore;

/// Checks the connection every interval (connecting first when the start was delayed) by a
/// [probe](EtcdStore::probe) that needs the cluster's quorum: the status follows the
/// quorum, not whether some member answers.
#[derive(Debug)]
pub(crate) struct Monitor {
    pub(crate) store: EtcdStore,
    pub(crate) connector: Connector,
    pub(crate) connection: Connection,
    pub(crate) interval: Duration,
}

impl Monitor {
    pub(crate) async fn run(self, stop: CancellationToken) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(self.interval) => {}
            }
            if self.store.has_connected() {
                let checked = tokio::select! {
                    () = stop.cancelled() => return,
                    checked = self.store.probe() => checked,
                };
                match checked {
                    Ok(_) => self.connection.up(),
                    Err(err) => self.connection.down(ErrorChain(&err)),
                }
            } else {
                let connected = tokio::select! {
                    () = stop.cancelled() => return,
                    connected = self.connector.connect() => connected,
                };
                match connected {
                    Ok((client, _)) => {
                        self.store.install(client);
                        self.connection.up();
                    }
                    Err(err) => debug!(target: LOG, error = %err, "etcd not reachable yet"),
                }
            }
        }
    }
}

/// Compacts the history to the current revision every `every` (`auto-compact`).
pub(crate) async fn compact_periodically(
    store: EtcdStore,
    every: Duration,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let compacted = async {
            let revision = store.revision().await?;
            store.compact(revision).await.map(|()| revision)
        };
        match compacted.await {
            Ok(revision) => info!(target: LOG, revision, "history compacted"),
            Err(err) => warn!(target: LOG, error = %err, "auto-compaction failed"),
        }
    }
}
