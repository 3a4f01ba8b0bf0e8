//! [`Prefixed`]: a view of a store under a key prefix.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::StreamExt;

use crate::error::KvError;
use crate::lease::LeaseId;
use crate::store::{
    Capabilities, DeleteOptions, KvEntry, KvStore, KvStream, KvValue, PutOptions, validate_key,
};
use crate::txn::TxnOp;
use crate::watch::{WatchEvent, WatchStream};

/// A view of `S` under a fixed prefix, e.g. `/vnf-agent/vpp1/`: keys given to it are
/// relative (the prefix is prepended on every read, write, transaction and watch) and keys
/// it returns have the prefix stripped. Single-key operations refuse an empty relative key;
/// prefix operations with `""` cover the whole view.
///
/// Views nest (`store.with_prefix("a/").with_prefix("b/")` is `a/b/`). Build one with
/// [`KvStoreExt::with_prefix`](crate::KvStoreExt::with_prefix) or [`Prefixed::new`].
#[derive(Debug, Clone)]
pub struct Prefixed<S> {
    inner: S,
    prefix: String,
    name: String,
}

impl<S: KvStore> Prefixed<S> {
    /// A view of `inner` under `prefix`.
    pub fn new(inner: S, prefix: impl Into<String>) -> Self {
        let prefix = prefix.into();
        let name = format!("{} under `{prefix}`", inner.name());
        Self {
            inner,
            prefix,
            name,
        }
    }

    /// The prefix of this view.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The underlying store.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The underlying store, consuming the view.
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn full(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn full_key(&self, key: &str) -> Result<String, KvError> {
        validate_key(key)?;
        Ok(self.full(key))
    }
}

/// `key` without `prefix`; a key outside the prefix (which a correct store never returns)
/// is passed on whole rather than mangled.
fn strip(prefix: &str, key: String) -> String {
    match key.strip_prefix(prefix) {
        Some(rest) => rest.to_owned(),
        None => key,
    }
}

#[async_trait]
impl<S: KvStore> KvStore for Prefixed<S> {
    fn name(&self) -> &str {
        &self.name
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        self.inner.get(&self.full_key(key)?).await
    }

    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        let own = self.prefix.as_str();
        self.inner
            .list_values(&self.full(prefix))
            .map(move |entry| {
                entry.map(|mut entry| {
                    entry.key = strip(own, entry.key);
                    entry
                })
            })
            .boxed()
    }

    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        let own = self.prefix.as_str();
        self.inner
            .list_keys(&self.full(prefix))
            .map(move |key| key.map(|key| strip(own, key)))
            .boxed()
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        self.inner.put(&self.full_key(key)?, value, options).await
    }

    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        let full = if options.prefix {
            self.full(key)
        } else {
            self.full_key(key)?
        };
        self.inner.delete(&full, options).await
    }

    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        let ops = ops
            .into_iter()
            .map(|op| {
                let prefix_delete = matches!(&op, TxnOp::Delete { options, .. } if options.prefix);
                let full = if prefix_delete {
                    self.full(op.key())
                } else {
                    self.full_key(op.key())?
                };
                Ok(op.with_key(full))
            })
            .collect::<Result<Vec<_>, KvError>>()?;
        self.inner.txn(ops).await
    }

    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        let full: Vec<String> = prefixes.iter().map(|p| self.full(p)).collect();
        let full_refs: Vec<&str> = full.iter().map(String::as_str).collect();
        let own = self.prefix.clone();
        let stream = self.inner.watch(&full_refs, from_revision).await?;
        Ok(stream
            .map(move |event| {
                event.map(|event| match event {
                    WatchEvent::Change(mut change) => {
                        change.key = strip(&own, change.key);
                        WatchEvent::Change(change)
                    }
                    resync @ WatchEvent::Resync(_) => resync,
                })
            })
            .boxed())
    }

    async fn revision(&self) -> Result<u64, KvError> {
        self.inner.revision().await
    }

    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        let full = self.full_key(key)?;
        self.inner.put_if_absent(&full, value, options).await
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        let full = self.full_key(key)?;
        self.inner.compare_and_swap(&full, old, new, options).await
    }

    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        self.inner
            .compare_and_delete(&self.full_key(key)?, old)
            .await
    }

    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId, KvError> {
        self.inner.grant_lease(ttl).await
    }

    async fn keep_lease_alive(&self, lease: LeaseId) -> Result<bool, KvError> {
        self.inner.keep_lease_alive(lease).await
    }

    async fn revoke_lease(&self, lease: LeaseId) -> Result<bool, KvError> {
        self.inner.revoke_lease(lease).await
    }

    async fn close(&self) -> Result<(), KvError> {
        self.inner.close().await
    }
}
