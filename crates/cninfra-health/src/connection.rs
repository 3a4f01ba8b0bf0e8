//! [`ConnectionState`] and [`Connection`]: what a connector knows about its server, shared
//! by every connector (etcd, Redis, Consul, redb, file DB, Kafka), and the one place that
//! turns its transitions into status-check reports.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use cninfra_core::InitContext;
use tokio::sync::watch;
use tracing::{info, warn};

use crate::state::State;
use crate::statuscheck::{StatusCheckPlugin, StatusReporter};
use crate::verdict::Criticality;

/// How often [`Connection::check_every`] asks a server by default: the status check's
/// default probe interval.
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(5);
/// How long one check of [`Connection::check_every`] may take by default: the status
/// check's default probe time limit.
pub const DEFAULT_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The connection of a connector to its server, as published by [`Connection`].
///
/// Data sync acts on [`Reconnected { resync: true }`](Self::Reconnected): it re-reads
/// everything for its watchers. The status check sees ERROR for
/// [`Disconnected`](Self::Disconnected) and [`Connecting`](Self::Connecting), OK for the
/// connected states, nothing for the others.
///
/// # Examples
/// ```
/// use cninfra_health::ConnectionState;
///
/// let state = ConnectionState::Reconnected { resync: true };
/// assert!(state.is_connected());
/// assert_eq!(state.to_string(), "reconnected, resync asked");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionState {
    /// No config (or `init` has not run): the connector does nothing.
    Disabled,
    /// Started while the server was unreachable (etcd's `allow-delayed-start`); the
    /// connector keeps trying.
    Connecting,
    /// Connected, and never lost since.
    Connected,
    /// The last request or check failed; the connector keeps trying.
    Disconnected {
        /// What the request or check reported.
        error: String,
    },
    /// Connected again after a loss. `resync` is the connector's
    /// `resync-after-reconnect` setting: whether data sync re-reads everything.
    Reconnected {
        /// Whether a full resync is asked for.
        resync: bool,
    },
    /// The connector closed.
    Closed,
}

impl ConnectionState {
    /// True for [`Connected`](Self::Connected) and [`Reconnected`](Self::Reconnected).
    pub fn is_connected(&self) -> bool {
        matches!(self, Self::Connected | Self::Reconnected { .. })
    }

    /// The status-check report of this state for `connector`, if it has one.
    fn report(&self, connector: &str) -> Option<(State, Option<String>)> {
        match self {
            Self::Connected | Self::Reconnected { .. } => Some((State::Ok, None)),
            Self::Disconnected { error } => Some((
                State::Error,
                Some(format!("{connector} connection lost: {error}")),
            )),
            Self::Connecting => Some((
                State::Error,
                Some(format!("not connected to {connector} yet")),
            )),
            Self::Disabled | Self::Closed => None,
        }
    }
}

impl fmt::Display for ConnectionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disabled => f.write_str("disabled"),
            Self::Connecting => f.write_str("connecting"),
            Self::Connected => f.write_str("connected"),
            Self::Disconnected { error } => write!(f, "disconnected: {error}"),
            Self::Reconnected { resync: true } => f.write_str("reconnected, resync asked"),
            Self::Reconnected { resync: false } => f.write_str("reconnected"),
            Self::Closed => f.write_str("closed"),
        }
    }
}

/// The connector's side of its [`ConnectionState`]: it moves the state, everyone else
/// [`subscribe`](Self::subscribe)s. Cheap to clone (all clones share the state), and cheap
/// to call on every request: [`up`](Self::up) and [`down`](Self::down) touch shared state
/// only when the connection flips.
///
/// With [`report_to`](Self::report_to) every transition is also reported to the status
/// check, under the connector's plugin name, as an external dependency
/// ([`Criticality::Readiness`]): ERROR with the error text while disconnected, OK when
/// connected.
///
/// # Examples
/// ```
/// use cninfra_health::{Connection, ConnectionState};
///
/// let connection = Connection::new("db");
/// connection.set_resync_after_reconnect(true);
/// let mut changes = connection.subscribe();
/// connection.set(ConnectionState::Connected);
/// connection.down("connection refused");
/// connection.up();
/// assert_eq!(*changes.borrow_and_update(), ConnectionState::Reconnected { resync: true });
/// ```
#[derive(Clone)]
pub struct Connection {
    inner: Arc<Inner>,
}

struct Inner {
    connector: &'static str,
    state: watch::Sender<ConnectionState>,
    /// Mirrors `state.is_connected()`, written under the channel's lock.
    connected: AtomicBool,
    resync_after_reconnect: AtomicBool,
    status: OnceLock<StatusReporter>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("connector", &self.inner.connector)
            .field("state", &*self.inner.state.borrow())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A [`Disabled`](ConnectionState::Disabled) connection of the connector `connector`
    /// (its name in logs and status texts).
    pub fn new(connector: &'static str) -> Self {
        Self {
            inner: Arc::new(Inner {
                connector,
                state: watch::Sender::new(ConnectionState::Disabled),
                connected: AtomicBool::new(false),
                resync_after_reconnect: AtomicBool::new(false),
                status: OnceLock::new(),
            }),
        }
    }

    /// A receiver of the state; `changed()` wakes on every transition.
    pub fn subscribe(&self) -> watch::Receiver<ConnectionState> {
        self.inner.state.subscribe()
    }

    /// The state now.
    pub fn state(&self) -> ConnectionState {
        self.inner.state.borrow().clone()
    }

    /// Whether the state is connected, without locking.
    pub fn is_connected(&self) -> bool {
        self.inner.connected.load(Ordering::Acquire)
    }

    /// Whether a return after a loss asks for a resync (the connector's
    /// `resync-after-reconnect`); off until set.
    pub fn set_resync_after_reconnect(&self, resync: bool) {
        self.inner
            .resync_after_reconnect
            .store(resync, Ordering::Release);
    }

    /// Moves to `next` (if it differs), logs it and reports it.
    pub fn set(&self, next: ConnectionState) {
        self.transition(|_| Some(next));
    }

    /// The server answered: [`Connecting`](ConnectionState::Connecting) becomes
    /// [`Connected`](ConnectionState::Connected), [`Disconnected`](ConnectionState::Disconnected)
    /// becomes [`Reconnected`](ConnectionState::Reconnected); other states stay.
    pub fn up(&self) {
        if self.is_connected() {
            return;
        }
        let resync = self.inner.resync_after_reconnect.load(Ordering::Acquire);
        self.transition(|current| match current {
            ConnectionState::Connecting => Some(ConnectionState::Connected),
            ConnectionState::Disconnected { .. } => Some(ConnectionState::Reconnected { resync }),
            _ => None,
        });
    }

    /// A request or check failed for lack of the server: a connected state becomes
    /// [`Disconnected`](ConnectionState::Disconnected) with `error`; other states stay.
    pub fn down(&self, error: impl fmt::Display) {
        if !self.is_connected() {
            return;
        }
        self.transition(|current| {
            current
                .is_connected()
                .then(|| ConnectionState::Disconnected {
                    error: error.to_string(),
                })
        });
    }

    /// [`up`](Self::up) or [`down`](Self::down) by the outcome of a request.
    pub fn observe<E: fmt::Display>(&self, outcome: &Result<(), E>) {
        match outcome {
            Ok(()) => self.up(),
            Err(error) => self.down(error),
        }
    }

    /// Reports every transition from now on to `status`, under the calling plugin's name
    /// (`ctx.plugin_name()`), registered as an external dependency
    /// ([`Criticality::Readiness`]); the state now is reported at once. Call it once, in
    /// the connector's `init`.
    pub fn report_to(&self, ctx: &InitContext, status: Arc<StatusCheckPlugin>) {
        let reporter = status.reporter(ctx, Criticality::Readiness, None);
        if self.inner.status.set(reporter).is_err() {
            warn!(
                connector = self.inner.connector,
                "the connection is reported already"
            );
        }
        self.report(&self.inner.state.borrow());
    }

    /// Checks the server with `check` every `every` (each check within `limit`) until the
    /// agent stops, moving the state [`up`](Self::up) or [`down`](Self::down) by the
    /// outcome: for connectors whose requests alone would not notice a lost server.
    pub fn check_every<F, Fut>(&self, ctx: &InitContext, every: Duration, limit: Duration, check: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        let connection = self.clone();
        let stop = ctx.shutdown_token();
        ctx.spawn(async move {
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    () = tokio::time::sleep(every) => {}
                }
                let outcome = tokio::select! {
                    () = stop.cancelled() => return,
                    outcome = tokio::time::timeout(limit, check()) => outcome,
                };
                match outcome {
                    Ok(outcome) => connection.observe(&outcome),
                    Err(_) => connection.down(format_args!("no answer within {limit:?}")),
                }
            }
        });
    }

    /// Applies `next(current)` under the channel's lock; logs and reports a change.
    fn transition(&self, next: impl FnOnce(&ConnectionState) -> Option<ConnectionState>) {
        let mut changed = None;
        self.inner.state.send_if_modified(|current| {
            let Some(next) = next(current).filter(|next| next != current) else {
                return false;
            };
            self.inner
                .connected
                .store(next.is_connected(), Ordering::Release);
            *current = next.clone();
            changed = Some(next);
            true
        });
        let Some(next) = changed else { return };
        let connector = self.inner.connector;
        match &next {
            ConnectionState::Disconnected { error } => {
                warn!(connector, %error, "connection lost");
            }
            state => info!(connector, %state, "connection"),
        }
        self.report(&next);
    }

    fn report(&self, state: &ConnectionState) {
        if let (Some(reporter), Some((state, error))) =
            (self.inner.status.get(), state.report(self.inner.connector))
        {
            reporter.report(state, error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_flips_reach_the_channel() {
        let connection = Connection::new("db");
        let mut changes = connection.subscribe();
        connection.up();
        assert!(!changes.has_changed().unwrap(), "disabled stays disabled");
        connection.set(ConnectionState::Connected);
        changes.borrow_and_update();
        connection.observe::<String>(&Ok(()));
        assert!(!changes.has_changed().unwrap());
        connection.down("reset");
        connection.down("reset again");
        assert_eq!(
            *changes.borrow_and_update(),
            ConnectionState::Disconnected {
                error: "reset".into()
            }
        );
        connection.observe::<String>(&Ok(()));
        assert_eq!(
            *changes.borrow_and_update(),
            ConnectionState::Reconnected { resync: false }
        );
        assert!(connection.is_connected());
    }

    #[tokio::test]
    async fn transitions_reach_the_status_check() {
        let status = StatusCheckPlugin::new();
        let ctx = InitContext::for_tests("db");
        let connection = Connection::new("db");
        connection.set(ConnectionState::Connecting);
        connection.report_to(&ctx, status.clone());
        let found = status.plugin_status("db").unwrap();
        assert_eq!(found.state, State::Error);
        assert_eq!(found.error.as_deref(), Some("not connected to db yet"));
        connection.up();
        assert_eq!(status.plugin_status("db").unwrap().state, State::Ok);
        connection.down("refused");
        let found = status.plugin_status("db").unwrap();
        assert_eq!(
            (found.state, found.error.as_deref()),
            (State::Error, Some("db connection lost: refused"))
        );
    }
}
