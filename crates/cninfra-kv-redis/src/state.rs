//! [`ConnectionState`]: whether the server was reachable at the last command, published on
//! a `tokio::sync::watch` channel for the status check and data sync.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

/// Whether the connector reaches its server, as seen by the last command or watch
/// connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectionState {
    /// The last command got an answer.
    Connected,
    /// The connection was lost or refused; the client keeps reconnecting.
    Disconnected {
        /// What the client reported.
        error: String,
    },
}

/// Tracks the state cheaply: the channel is touched only when the state flips.
#[derive(Debug)]
pub(crate) struct StateTracker {
    endpoint: String,
    connected: AtomicBool,
    sender: watch::Sender<ConnectionState>,
}

impl StateTracker {
    /// Starts as connected (the store is built from an open connection).
    pub(crate) fn new(endpoint: &str) -> Self {
        Self {
            endpoint: endpoint.to_owned(),
            connected: AtomicBool::new(true),
            sender: watch::Sender::new(ConnectionState::Connected),
        }
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<ConnectionState> {
        self.sender.subscribe()
    }

    pub(crate) fn connected(&self) {
        // A plain load first: the common case (still connected) writes nothing shared.
        if !self.connected.load(Ordering::Acquire) && !self.connected.swap(true, Ordering::AcqRel) {
            tracing::info!(target: crate::LOG, endpoint = %self.endpoint, "connection to redis is back");
            self.sender.send_replace(ConnectionState::Connected);
        }
    }

    pub(crate) fn disconnected(&self, error: &dyn std::fmt::Display) {
        if self.connected.load(Ordering::Acquire) && self.connected.swap(false, Ordering::AcqRel) {
            tracing::warn!(target: crate::LOG, endpoint = %self.endpoint, %error, "lost the connection to redis");
            self.sender.send_replace(ConnectionState::Disconnected {
                error: error.to_string(),
            });
        }
    }

    /// Updates the state from the outcome of a command.
    pub(crate) fn observe<T>(&self, result: &redis::RedisResult<T>) {
        match result {
            Ok(_) => self.connected(),
            Err(err) if crate::error::is_connection_error(err) || err.is_timeout() => {
                self.disconnected(err);
            }
            // The server answered (with an error): it is reachable.
            Err(_) => self.connected(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_flips_reach_the_channel() {
        let tracker = StateTracker::new("127.0.0.1:1");
        let mut receiver = tracker.subscribe();
        tracker.observe::<()>(&Ok(()));
        assert!(!receiver.has_changed().unwrap());
        let lost =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        tracker.observe::<()>(&Err(lost.clone()));
        tracker.observe::<()>(&Err(lost));
        assert!(receiver.has_changed().unwrap());
        assert!(matches!(
            *receiver.borrow_and_update(),
            ConnectionState::Disconnected { .. }
        ));
        tracker.observe::<()>(&Ok(()));
        assert_eq!(*receiver.borrow_and_update(), ConnectionState::Connected);
    }
}
