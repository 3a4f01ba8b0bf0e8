//! Conditional writes and leases of the memory store: each runs under the write lock, so
//! the condition and the write are one step.

use std::time::Duration;

use bytes::Bytes;

use super::state::Entry;
use super::{MemoryStore, NAME, check_lease};
use crate::error::KvError;
use crate::lease::LeaseId;
use crate::store::{Capabilities, PutOptions, validate_key};

impl MemoryStore {
    /// Puts `value` under `key` if `condition` holds for the key's live entry; the revision
    /// of the put, or `None` when the condition did not hold.
    pub(super) fn put_when(
        &self,
        key: &str,
        value: Bytes,
        options: &PutOptions,
        condition: impl FnOnce(Option<&Entry>) -> bool,
    ) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        options.check(NAME, Capabilities::ALL)?;
        let revision = self.write(|state, now| {
            check_lease(state, options, now)?;
            if !condition(state.live(key, now)) {
                return Ok(None);
            }
            let revision = state.revision + 1;
            let lease = options.lease.map(|l| l.0);
            state.put(key, value, options.ttl, lease, revision, now);
            Ok(Some(revision))
        })??;
        if revision.is_some() && (options.ttl.is_some() || options.lease.is_some()) {
            self.expiry_scheduled();
        }
        Ok(revision)
    }

    /// Deletes `key` if its live value is `old`; the revision of the delete or `None`.
    pub(super) fn delete_if(&self, key: &str, old: &[u8]) -> Result<Option<u64>, KvError> {
        validate_key(key)?;
        self.write(|state, now| {
            if state.live(key, now).is_none_or(|entry| entry.value != old) {
                return None;
            }
            let revision = state.revision + 1;
            state.delete(key, false, revision);
            Some(revision)
        })
    }

    pub(super) fn grant(&self, ttl: Duration) -> Result<LeaseId, KvError> {
        if ttl.is_zero() {
            return Err(KvError::Backend {
                store: NAME.to_owned(),
                op: "grant_lease",
                source: "a lease needs a TTL above zero".into(),
            });
        }
        let id = self.write(|state, now| state.grant_lease(ttl, now))?;
        Ok(LeaseId(id))
    }

    pub(super) fn refresh(&self, lease: LeaseId) -> Result<bool, KvError> {
        let alive = self.write(|state, now| state.keep_lease_alive(lease.0, now))?;
        if alive {
            self.expiry_scheduled();
        }
        Ok(alive)
    }

    pub(super) fn revoke(&self, lease: LeaseId) -> Result<bool, KvError> {
        self.write(|state, now| {
            let revision = state.revision + 1;
            state.revoke_lease(lease.0, revision, now)
        })
    }
}

/// Whether `entry` exists (for put-if-absent).
pub(super) fn absent(entry: Option<&Entry>) -> bool {
    entry.is_none()
}
