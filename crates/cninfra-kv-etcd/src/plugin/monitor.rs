//! Background work of the plugin: connecting late, checking the connection, reporting it,
//! compacting the history.

use std::sync::Arc;
use std::time::Duration;

use cninfra_core::ErrorChain;
use cninfra_health::{State, StatusCheckPlugin};
use cninfra_kv::KvStore;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::state::ConnectionState;
use crate::connect::Connector;
use crate::store::{EtcdStore, LOG};

/// Publishes connection changes to the plugin's watchers and the status check.
#[derive(Debug, Clone)]
pub(crate) struct Reporter {
    pub(crate) state: watch::Sender<ConnectionState>,
    pub(crate) status: Option<Arc<StatusCheckPlugin>>,
}

impl Reporter {
    /// Sets the state; an error state reports ERROR with its text, a connected one OK.
    pub(crate) fn set(&self, next: ConnectionState) {
        let report = match &next {
            ConnectionState::Connected | ConnectionState::Reconnected { .. } => {
                Some((State::Ok, None))
            }
            ConnectionState::Disconnected { error } => {
                Some((State::Error, Some(format!("etcd connection lost: {error}"))))
            }
            ConnectionState::Connecting => Some((
                State::Error,
                Some("not connected to etcd yet (allow-delayed-start)".to_owned()),
            )),
            ConnectionState::Disabled | ConnectionState::Closed => None,
        };
        info!(target: LOG, state = %next, "etcd connection");
        self.state.send_replace(next);
        if let (Some(status), Some((state, error))) = (&self.status, report)
            && let Err(err) = status.report_state_change(LOG, state, error)
        {
            warn!(target: LOG, error = %err, "cannot report the etcd state");
        }
    }
}

/// Checks the connection every interval (connecting first when the start was delayed).
#[derive(Debug)]
pub(crate) struct Monitor {
    pub(crate) store: EtcdStore,
    pub(crate) connector: Connector,
    pub(crate) reporter: Reporter,
    pub(crate) resync_after_reconnect: bool,
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
                    checked = self.store.server_mark() => checked,
                };
                match checked {
                    Ok(_) => self.up(),
                    Err(err) => self.down(ErrorChain(&err).to_string()),
                }
            } else {
                let connected = tokio::select! {
                    () = stop.cancelled() => return,
                    connected = self.connector.connect() => connected,
                };
                match connected {
                    Ok((client, _)) => {
                        self.store.install(client);
                        self.up();
                    }
                    Err(err) => debug!(target: LOG, error = %err, "etcd not reachable yet"),
                }
            }
        }
    }

    fn up(&self) {
        let next = match &*self.reporter.state.borrow() {
            ConnectionState::Connecting => ConnectionState::Connected,
            ConnectionState::Disconnected { .. } => ConnectionState::Reconnected {
                resync: self.resync_after_reconnect,
            },
            _ => return,
        };
        self.reporter.set(next);
    }

    fn down(&self, error: String) {
        if self.reporter.state.borrow().is_connected() {
            self.reporter.set(ConnectionState::Disconnected { error });
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
