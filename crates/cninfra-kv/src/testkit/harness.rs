//! Shared plumbing of the checks: keys under the check's own prefix, error wrapping,
//! watch reading with a deadline, cleanup.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use super::{CheckFailure, Outcome};
use crate::error::KvError;
use crate::store::{Capabilities, DeleteOptions, KvEntry, KvStore, KvValue, PutOptions};
use crate::watch::{KeyChange, WatchEvent, WatchStream};

/// How long a check waits for an expected watch event or expiry.
pub(super) const WAIT: Duration = Duration::from_secs(15);

/// One running check: its name, the store and the check's key prefix.
pub(super) struct Check {
    pub(super) name: &'static str,
    pub(super) store: Arc<dyn KvStore>,
    pub(super) base: String,
    pub(super) caps: Capabilities,
}

impl Check {
    /// Starts check `name` under `<prefix><name>/`, which must be empty.
    pub(super) async fn start(
        name: &'static str,
        store: &Arc<dyn KvStore>,
        prefix: &str,
    ) -> Result<Self, CheckFailure> {
        let check = Self {
            name,
            store: Arc::clone(store),
            base: format!("{prefix}{name}/"),
            caps: store.capabilities(),
        };
        let leftovers = check.keys("").await?;
        check.ensure(
            leftovers.is_empty(),
            format!(
                "prefix `{}` must start empty (use a unique prefix per run); found {} keys",
                check.base,
                leftovers.len()
            ),
        )?;
        Ok(check)
    }

    /// A failure of this check.
    pub(super) fn fail(&self, message: impl Into<String>) -> CheckFailure {
        CheckFailure {
            check: self.name,
            message: message.into(),
        }
    }

    /// Fails with `message` unless `condition` holds.
    pub(super) fn ensure(
        &self,
        condition: bool,
        message: impl Into<String>,
    ) -> Result<(), CheckFailure> {
        if condition {
            Ok(())
        } else {
            Err(self.fail(message))
        }
    }

    /// Wraps a store error with what the check was doing.
    pub(super) fn op<T>(&self, what: &str, result: Result<T, KvError>) -> Result<T, CheckFailure> {
        result.map_err(|err| self.fail(format!("{what} failed: {err}")))
    }

    /// The full key of `rel`.
    pub(super) fn key(&self, rel: &str) -> String {
        format!("{}{rel}", self.base)
    }

    pub(super) async fn put(
        &self,
        rel: &str,
        value: impl Into<Bytes>,
    ) -> Result<u64, CheckFailure> {
        let key = self.key(rel);
        let result = self
            .store
            .put(&key, value.into(), PutOptions::default())
            .await;
        self.op(&format!("put `{key}`"), result)
    }

    pub(super) async fn get(&self, rel: &str) -> Result<Option<KvValue>, CheckFailure> {
        let key = self.key(rel);
        let result = self.store.get(&key).await;
        self.op(&format!("get `{key}`"), result)
    }

    pub(super) async fn delete(&self, rel: &str, prefix: bool) -> Result<bool, CheckFailure> {
        let key = self.key(rel);
        let options = DeleteOptions { prefix };
        let result = self.store.delete(&key, options).await;
        self.op(&format!("delete `{key}` (prefix: {prefix})"), result)
    }

    /// The full keys under `<base><rel>`, in the order the store lists them.
    pub(super) async fn keys(&self, rel: &str) -> Result<Vec<String>, CheckFailure> {
        let prefix = self.key(rel);
        let result = self.store.list_keys(&prefix).try_collect().await;
        self.op(&format!("list_keys `{prefix}`"), result)
    }

    /// The entries under `<base><rel>`, in the order the store lists them.
    pub(super) async fn values(&self, rel: &str) -> Result<Vec<KvEntry>, CheckFailure> {
        let prefix = self.key(rel);
        let result = self.store.list_values(&prefix).try_collect().await;
        self.op(&format!("list_values `{prefix}`"), result)
    }

    /// Watches `<base><rel>` for each of `rels`.
    pub(super) async fn watch(
        &self,
        rels: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, CheckFailure> {
        let prefixes: Vec<String> = rels.iter().map(|rel| self.key(rel)).collect();
        let refs: Vec<&str> = prefixes.iter().map(String::as_str).collect();
        let result = self.store.watch(&refs, from_revision).await;
        self.op(
            &format!("watch {prefixes:?} from {from_revision:?}"),
            result,
        )
    }

    /// The next item of `watch`, failing after [`WAIT`], on an error item or the end.
    pub(super) async fn next_event(
        &self,
        watch: &mut WatchStream,
        expecting: &str,
    ) -> Result<WatchEvent, CheckFailure> {
        match tokio::time::timeout(WAIT, watch.next()).await {
            Ok(Some(Ok(event))) => Ok(event),
            Ok(Some(Err(err))) => Err(self.fail(format!("watch error while {expecting}: {err}"))),
            Ok(None) => Err(self.fail(format!("watch stream ended while {expecting}"))),
            Err(_) => Err(self.fail(format!("no watch event within {WAIT:?} while {expecting}"))),
        }
    }

    /// The next change of `watch`; a resync signal fails the check.
    pub(super) async fn next_change(
        &self,
        watch: &mut WatchStream,
        expecting: &str,
    ) -> Result<KeyChange, CheckFailure> {
        match self.next_event(watch, expecting).await? {
            WatchEvent::Change(change) => Ok(change),
            WatchEvent::Resync(reason) => Err(self.fail(format!(
                "unexpected resync signal ({reason}) while {expecting}"
            ))),
        }
    }

    /// Removes what the check wrote (best effort: errors are ignored).
    pub(super) async fn cleanup(&self) {
        if self.caps.delete_prefix {
            let _ = self.store.delete(&self.base, DeleteOptions::prefix()).await;
            return;
        }
        if let Ok(keys) = self.keys("").await {
            for key in keys {
                let _ = self.store.delete(&key, DeleteOptions::default()).await;
            }
        }
    }

    /// Runs the cleanup and passes `result` on.
    pub(super) async fn finish(
        &self,
        result: Result<Outcome, CheckFailure>,
    ) -> Result<Outcome, CheckFailure> {
        self.cleanup().await;
        result
    }
}
