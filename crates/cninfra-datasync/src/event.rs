//! The events a watching plugin receives, and [`Done`], the acknowledgement each carries.

use std::fmt;

use bytes::Bytes;
use cninfra_kv::{BoxError, ChangeKind, KvEntry, ResyncReason};
use tokio::sync::oneshot;

/// What a plugin answers to an event: `Ok(())` when applied, else why not.
pub type AckResult = Result<(), BoxError>;

/// An event of a [`Watcher`](crate::Watcher): first a [`Resync`](Event::Resync) with the full
/// state under the watched prefixes, then [`Change`](Event::Change)s in commit order; a
/// new resync whenever the state has to be re-read (see the [crate docs](crate#the-contract)).
#[derive(Debug)]
pub enum Event {
    /// The full current state under the watched prefixes; replaces what the plugin had.
    Resync(ResyncEvent),
    /// One key changed.
    Change(ChangeEvent),
}

impl Event {
    /// Acknowledges the event (see [`Done::done`]).
    pub fn done(self, result: AckResult) {
        match self {
            Self::Resync(event) => event.done.done(result),
            Self::Change(event) => event.done.done(result),
        }
    }
}

/// The full state under a watch's prefixes.
///
/// `values` is sorted by key, each key once (relative to the agent prefix). Apply it by
/// replacing the plugin's view, then call [`done`](Done::done) on `done`.
#[derive(Debug)]
#[non_exhaustive]
pub struct ResyncEvent {
    /// Every key under the watched prefixes with its value and revision, sorted by key.
    pub values: Vec<KvEntry>,
    /// Why the resync happened.
    pub cause: ResyncCause,
    /// The acknowledgement; call [`Done::done`] once the state is applied.
    pub done: Done,
}

impl ResyncEvent {
    pub(crate) fn new(values: Vec<KvEntry>, cause: ResyncCause, done: Done) -> Self {
        Self {
            values,
            cause,
            done,
        }
    }

    /// The entries whose key starts with `prefix`.
    pub fn values_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a KvEntry> + 'a {
        self.values
            .iter()
            .filter(move |entry| entry.key.starts_with(prefix))
    }
}

/// One change of one key.
#[derive(Debug)]
#[non_exhaustive]
pub struct ChangeEvent {
    /// The key, relative to the agent prefix (`config/example/v1/a`).
    pub key: String,
    /// The new value; `None` when the key was deleted.
    pub value: Option<Bytes>,
    /// The value before this change, when known: from the store when it reports previous
    /// values, else from the value this watch last saw for the key.
    pub prev_value: Option<Bytes>,
    /// Store revision of the change (0 for stores without revisions; for the local
    /// transport, its own commit counter).
    pub revision: u64,
    /// The acknowledgement; call [`Done::done`] once the change is applied.
    pub done: Done,
}

impl ChangeEvent {
    pub(crate) fn new(
        key: String,
        value: Option<Bytes>,
        prev_value: Option<Bytes>,
        revision: u64,
        done: Done,
    ) -> Self {
        Self {
            key,
            value,
            prev_value,
            revision,
            done,
        }
    }

    /// Put or delete.
    pub fn kind(&self) -> ChangeKind {
        match self.value {
            Some(_) => ChangeKind::Put,
            None => ChangeKind::Delete,
        }
    }
}

/// Why a resync event was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResyncCause {
    /// A resync round of the orchestrator: the first one after start (`startup`) or one
    /// asked for with [`ResyncHandle::request_resync`](crate::ResyncHandle::request_resync).
    Requested(String),
    /// The store's watch could not guarantee that nothing was missed.
    Store(ResyncReason),
    /// The watch ended or an earlier resync failed, and the watch was started again.
    Restarted,
    /// The watch was registered after the first resync round and got its own.
    Registered,
    /// A resync transaction of the [local transport](crate::LocalTransport).
    Local,
}

impl fmt::Display for ResyncCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requested(why) => write!(f, "requested: {why}"),
            Self::Store(reason) => write!(f, "store: {reason}"),
            Self::Restarted => f.write_str("watch restarted"),
            Self::Registered => f.write_str("registered late"),
            Self::Local => f.write_str("local resync"),
        }
    }
}

/// The acknowledgement of one event. Call [`done`](Self::done) exactly once, after the event
/// is applied (or failed to apply). The sender waits for it within a time limit; an error, a
/// timeout, or dropping the `Done` without calling it is reported to the status check and
/// the log with the key and the watching plugin.
///
/// # Examples
/// ```
/// # async fn demo(mut watcher: cninfra_datasync::Watcher) {
/// use cninfra_datasync::Event;
/// while let Some(event) = watcher.recv().await {
///     match event {
///         Event::Resync(resync) => {
///             tracing::info!(keys = resync.values.len(), "full state");
///             resync.done.ok();
///         }
///         Event::Change(change) if change.key.ends_with("/bad") => {
///             change.done.fail(format!("cannot apply {}", change.key));
///         }
///         Event::Change(change) => change.done.ok(),
///     }
/// }
/// # }
/// ```
pub struct Done {
    reply: oneshot::Sender<AckResult>,
    /// An error found before the plugin saw the event (typed values that did not decode);
    /// reported even when the plugin acknowledges success.
    carried: Option<String>,
}

impl fmt::Debug for Done {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Done")
            .field("carried", &self.carried)
            .finish_non_exhaustive()
    }
}

impl Done {
    /// A `Done` and the receiver its answer goes to.
    pub(crate) fn pair() -> (Self, oneshot::Receiver<AckResult>) {
        let (reply, wait) = oneshot::channel();
        (
            Self {
                reply,
                carried: None,
            },
            wait,
        )
    }

    /// Adds an error that the acknowledgement reports even when it is `Ok`.
    pub(crate) fn carry(&mut self, error: String) {
        self.carried = Some(match self.carried.take() {
            Some(earlier) => format!("{earlier}; {error}"),
            None => error,
        });
    }

    /// Acknowledges the event with `result`.
    pub fn done(self, result: AckResult) {
        let result = match (result, self.carried) {
            (Ok(()), None) => Ok(()),
            (Ok(()), Some(carried)) => Err(carried.into()),
            (Err(err), None) => Err(err),
            (Err(err), Some(carried)) => Err(format!("{err}; {carried}").into()),
        };
        // The sender stopped waiting (timed out or the agent is stopping): nothing to do.
        let _ = self.reply.send(result);
    }

    /// Acknowledges success: `done(Ok(()))`.
    pub fn ok(self) {
        self.done(Ok(()));
    }

    /// Acknowledges a failure: `done(Err(error.into()))`.
    pub fn fail(self, error: impl Into<BoxError>) {
        self.done(Err(error.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn carried_errors_turn_success_into_failure() {
        let (mut done, wait) = Done::pair();
        done.carry("cannot decode `a`".into());
        done.ok();
        let err = wait.await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "cannot decode `a`");

        let (mut done, wait) = Done::pair();
        done.carry("cannot decode `a`".into());
        done.fail("disk full");
        let err = wait.await.unwrap().unwrap_err();
        assert_eq!(err.to_string(), "disk full; cannot decode `a`");

        let (done, wait) = Done::pair();
        drop(done);
        assert!(wait.await.is_err(), "a dropped Done closes the channel");
    }
}
