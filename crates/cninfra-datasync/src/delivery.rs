//! Handing events to a registration and waiting for their acknowledgements.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use cninfra_kv::KvEntry;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::error::DatasyncError;
use crate::event::{AckResult, ChangeEvent, Done, Event, ResyncCause, ResyncEvent};
use crate::registry::Registration;

/// The outcome of one event's acknowledgement, once it arrives or its time is up.
pub(crate) type AckFuture = BoxFuture<'static, Result<(), DatasyncError>>;

/// What became of an acknowledgement.
pub(crate) enum Answer {
    /// The plugin called `done`.
    Given(AckResult),
    /// The `Done` was dropped without a call.
    Dropped,
    /// The time limit passed first.
    Late,
}

/// The outcome of one event's acknowledgement, as an error naming plugin and key.
pub(crate) fn judge(
    plugin: &str,
    key: Option<String>,
    answer: Answer,
    limit: Duration,
) -> Result<(), DatasyncError> {
    let plugin = plugin.to_owned();
    match answer {
        Answer::Given(Ok(())) => Ok(()),
        Answer::Given(Err(source)) => Err(DatasyncError::Rejected {
            plugin,
            key,
            source,
        }),
        Answer::Dropped => Err(DatasyncError::Dropped { plugin, key }),
        Answer::Late => Err(DatasyncError::AckTimeout {
            plugin,
            key,
            after: limit,
        }),
    }
}

/// Waits for the answer on `wait` until `deadline`; `limit` is the time limit named in a
/// timeout error.
pub(crate) fn ack(
    plugin: &Arc<str>,
    key: Option<String>,
    wait: oneshot::Receiver<AckResult>,
    limit: Duration,
    deadline: Instant,
) -> AckFuture {
    let plugin = Arc::clone(plugin);
    async move {
        let answer = match tokio::time::timeout_at(deadline, wait).await {
            Ok(Ok(result)) => Answer::Given(result),
            Ok(Err(_)) => Answer::Dropped,
            Err(_) => Answer::Late,
        };
        judge(&plugin, key, answer, limit)
    }
    .boxed()
}

/// A change event and the receiver of its acknowledgement.
pub(crate) fn change(
    key: String,
    value: Option<Bytes>,
    prev_value: Option<Bytes>,
    revision: u64,
) -> (Event, oneshot::Receiver<AckResult>) {
    let (done, wait) = Done::pair();
    let event = ChangeEvent::new(key, value, prev_value, revision, done);
    (Event::Change(event), wait)
}

/// Time limits of a resync delivery.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ResyncLimits {
    /// How long the event may wait for room in the plugin's channel.
    pub(crate) accept: Duration,
    /// How long the plugin may take to acknowledge once the event is in its channel.
    pub(crate) ack: Duration,
}

/// Delivers a resync event to `registration` and waits for its acknowledgement.
///
/// # Errors
/// [`DatasyncError::NotAccepted`] when the channel stayed full, [`DatasyncError::Closed`]
/// when the watcher is gone, and the acknowledgement errors.
pub(crate) async fn resync(
    registration: &Registration,
    values: Vec<KvEntry>,
    cause: ResyncCause,
    limits: ResyncLimits,
) -> Result<(), DatasyncError> {
    let (done, wait) = Done::pair();
    let event = Event::Resync(ResyncEvent::new(values, cause, done));
    match tokio::time::timeout(limits.accept, registration.events.send(event)).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) => {
            return Err(DatasyncError::Closed {
                plugin: registration.name.to_string(),
            });
        }
        Err(_) => {
            return Err(DatasyncError::NotAccepted {
                plugin: registration.name.to_string(),
                after: limits.accept,
            });
        }
    }
    let deadline = Instant::now() + limits.ack;
    ack(&registration.name, None, wait, limits.ack, deadline).await
}
