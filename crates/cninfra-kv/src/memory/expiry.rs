//! The background task that deletes keys whose TTL passed, so that watchers see the
//! delete even when nobody writes. Reads never depend on it: they skip expired keys.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

use super::{MemoryStore, Shared};

impl MemoryStore {
    /// Called after a put with TTL: starts the expiry task on first use, else wakes it to
    /// look at the new deadline.
    pub(super) fn expiry_scheduled(&self) {
        let shared = &self.shared;
        if shared.expiry_task_started.swap(true, Ordering::AcqRel) {
            shared.expiry_wake.notify_one();
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let weak = Arc::downgrade(shared);
                let wake = Arc::clone(&shared.expiry_wake);
                handle.spawn(expire_loop(weak, wake));
            }
            Err(_) => {
                shared.expiry_task_started.store(false, Ordering::Release);
                tracing::warn!(
                    "memory store used outside a tokio runtime: expired keys are hidden \
                     but their delete events wait for the next write"
                );
            }
        }
    }
}

/// Deletes due keys, then sleeps until the next deadline or a wake-up; ends when the store
/// is dropped or closed.
async fn expire_loop(store: Weak<Shared>, wake: Arc<Notify>) {
    loop {
        let next = {
            let Some(shared) = store.upgrade() else {
                return;
            };
            let mut state = shared.state.write();
            if state.closed {
                return;
            }
            state.expire_due(Instant::now());
            state.next_expiry()
        };
        match next {
            Some(deadline) => {
                tokio::select! {
                    () = sleep_until(deadline) => {}
                    () = wake.notified() => {}
                }
            }
            None => wake.notified().await,
        }
    }
}
