//! Connecting: building the client from the config and proving that etcd answers.

use std::time::Duration;

use etcd_client::{Client, ConnectOptions};
use tracing::debug;

use crate::LOG;
use crate::config::EtcdConfig;
use crate::error::{EtcdError, gist, is_unavailable};

/// What a probe of the server reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerMark {
    /// The store revision.
    pub(crate) revision: u64,
    /// The cluster's id.
    pub(crate) cluster_id: u64,
    /// The raft term; it only grows while the cluster keeps its data.
    pub(crate) raft_term: u64,
}

impl ServerMark {
    pub(crate) fn of(header: Option<&etcd_client::ResponseHeader>) -> Self {
        header.map_or(
            Self {
                revision: 0,
                cluster_id: 0,
                raft_term: 0,
            },
            |h| Self {
                revision: u64::try_from(h.revision()).unwrap_or(0),
                cluster_id: h.cluster_id(),
                raft_term: h.raft_term(),
            },
        )
    }

    /// Whether `self`, seen after `earlier`, shows a server that lost its history (a new
    /// data dir, another cluster): the revision or the term went back, or the id changed.
    pub(crate) fn is_reset_since(&self, earlier: &ServerMark) -> bool {
        (earlier.cluster_id != 0 && self.cluster_id != earlier.cluster_id)
            || self.revision < earlier.revision
            || self.raft_term < earlier.raft_term
    }
}

/// Everything needed to (re)connect, checked once from the config.
#[derive(Clone)]
pub(crate) struct Connector {
    pub(crate) endpoints: Vec<String>,
    options: ConnectOptions,
    pub(crate) dial_timeout: Duration,
    user: Option<String>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("endpoints", &self.endpoints)
            .field("dial_timeout", &self.dial_timeout)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// Checks `config` (reading TLS files) for `endpoints`.
    pub(crate) fn new(config: &EtcdConfig, endpoints: Vec<String>) -> Result<Self, EtcdError> {
        Ok(Self {
            endpoints,
            options: config.connect_options()?,
            dial_timeout: config.dial_timeout,
            user: config.username.clone(),
        })
    }

    /// The endpoints as one string, for messages.
    pub(crate) fn endpoint_list(&self) -> String {
        self.endpoints.join(",")
    }

    /// Connects and waits for an answer from etcd, all within the dial timeout.
    pub(crate) async fn connect(&self) -> Result<(Client, ServerMark), EtcdError> {
        let endpoints = self.endpoint_list();
        let mut last_error = None;
        let attempt = self.try_connect(&mut last_error);
        match tokio::time::timeout(self.dial_timeout, attempt).await {
            Ok(result) => result,
            Err(_) => Err(EtcdError::Unreachable {
                endpoints,
                after: self.dial_timeout,
                last_error,
            }),
        }
    }

    async fn try_connect(
        &self,
        last_error: &mut Option<String>,
    ) -> Result<(Client, ServerMark), EtcdError> {
        // The channel connects lazily, so ask for something to know that etcd answers.
        // While nothing answers, requests fail fast (refused) or wait: retry until the
        // caller's deadline, keeping the last reason for the message.
        loop {
            match self.connect_once().await {
                Ok(connected) => return Ok(connected),
                Err((err, _)) if is_unavailable(&err) => {
                    *last_error = Some(gist(&err));
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err((source, login)) => return Err(self.connect_error(source, login)),
            }
        }
    }

    /// One attempt; the error says whether it came from the login.
    async fn connect_once(&self) -> Result<(Client, ServerMark), (etcd_client::Error, bool)> {
        let mut client = Client::connect(&self.endpoints, Some(self.options.clone()))
            .await
            .map_err(|err| (err, true))?;
        let status = client.status().await.map_err(|err| (err, false))?;
        let mark = ServerMark::of(status.header());
        debug!(target: LOG, endpoints = %self.endpoint_list(), revision = mark.revision, "etcd answered");
        Ok((client, mark))
    }

    fn connect_error(&self, source: etcd_client::Error, login: bool) -> EtcdError {
        let endpoints = self.endpoint_list();
        match &self.user {
            // With a user, connecting means logging in: a failure there is a refused login.
            Some(user) if login => EtcdError::Auth {
                endpoints,
                user: user.clone(),
                source: source.into(),
            },
            _ => EtcdError::Connect {
                endpoints,
                source: source.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(revision: u64, cluster_id: u64, raft_term: u64) -> ServerMark {
        ServerMark {
            revision,
            cluster_id,
            raft_term,
        }
    }

    #[test]
    fn a_reset_is_a_step_back_or_another_cluster() {
        let before = mark(100, 7, 3);
        assert!(!mark(100, 7, 3).is_reset_since(&before));
        assert!(!mark(150, 7, 4).is_reset_since(&before));
        assert!(mark(5, 7, 3).is_reset_since(&before));
        assert!(mark(150, 7, 2).is_reset_since(&before));
        assert!(mark(150, 8, 3).is_reset_since(&before));
        assert!(!mark(150, 8, 3).is_reset_since(&mark(0, 0, 0)));
    }
}
