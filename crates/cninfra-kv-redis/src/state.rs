//! [`StateTracker`]: the store's [`Connection`] moved by the outcome of every command and
//! watch connection.

use std::fmt;

use cninfra_health::{Connection, ConnectionState};
use tokio::sync::watch;

/// Follows the connection cheaply: shared state is touched only when it flips.
#[derive(Debug)]
pub(crate) struct StateTracker {
    connection: Connection,
}

impl StateTracker {
    /// Tracks `connection`, which is connected now (the store is built from an open one).
    pub(crate) fn new(connection: Connection) -> Self {
        connection.set(ConnectionState::Connected);
        Self { connection }
    }

    pub(crate) fn subscribe(&self) -> watch::Receiver<ConnectionState> {
        self.connection.subscribe()
    }

    pub(crate) fn connected(&self) {
        self.connection.up();
    }

    pub(crate) fn disconnected(&self, error: &dyn fmt::Display) {
        self.connection.down(error);
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
        let tracker = StateTracker::new(Connection::new("redis"));
        let mut receiver = tracker.subscribe();
        receiver.borrow_and_update();
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
        assert_eq!(
            *receiver.borrow_and_update(),
            ConnectionState::Reconnected { resync: false }
        );
    }
}
