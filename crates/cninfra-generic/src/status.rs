//! Value statuses as `ItemStatus`, and waiting until values are done.

use std::collections::HashSet;

use cninfra_kvscheduler::{Scheduler, StatusUpdate, StatusWatch, ValueState, ValueStatus};
use tokio::time::Instant;

use crate::pb::ItemStatus;

/// Upstream's form: the state's name, and the details (comma-separated) or else the error.
pub(crate) fn item_status(status: &ValueStatus) -> ItemStatus {
    let message = if status.details.is_empty() {
        status.error.clone()
    } else {
        status.details.join(", ")
    };
    ItemStatus {
        status: status.state.as_str().to_owned(),
        message,
    }
}

/// Whether a value may still change on its own: PENDING (waiting for dependencies) or
/// RETRYING (a retry is scheduled).
pub(crate) fn is_settling(state: ValueState) -> bool {
    matches!(state, ValueState::Pending | ValueState::Retrying)
}

/// Waits until none of `keys` is PENDING or RETRYING, or until `deadline`, whichever
/// comes first. `watch` was opened before the transaction of the keys, so no update
/// is missed; a lag signal re-reads the statuses.
pub(crate) async fn wait_settled(
    scheduler: &Scheduler,
    mut watch: StatusWatch,
    keys: impl IntoIterator<Item = String>,
    deadline: Instant,
) {
    let mut waiting: HashSet<String> = keys
        .into_iter()
        .filter(|key| is_settling(scheduler.status(key).value.state))
        .collect();
    while !waiting.is_empty() {
        let update = match tokio::time::timeout_at(deadline, watch.recv()).await {
            Ok(Some(update)) => update,
            // The deadline, or the scheduler is gone.
            Err(_) | Ok(None) => return,
        };
        match update {
            // The current state decides: queued updates may be older than it.
            StatusUpdate::Changed(status) => {
                let key = &status.value.key;
                if waiting.contains(key) && !is_settling(scheduler.status(key).value.state) {
                    waiting.remove(key);
                }
            }
            StatusUpdate::Lagged { .. } => {
                waiting.retain(|key| is_settling(scheduler.status(key).value.state));
            }
        }
    }
}
