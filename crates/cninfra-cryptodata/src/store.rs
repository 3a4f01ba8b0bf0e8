//! [`DecryptingStore`]: a KV store whose reads and watch events come decrypted.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStream, KvValue, LeaseId, PutOptions,
    TxnOp, WatchEvent, WatchStream,
};
use futures::StreamExt;

use crate::decrypter::Decrypter;

/// A view of a store that decrypts every value it hands out (upstream's
/// `CoreBrokerWatcherWrapper`): [`get`](KvStore::get), [`list_values`](KvStore::list_values)
/// and the values and previous values of [`watch`](KvStore::watch) events go through the
/// [`Decrypter`]; writes, deletes, transactions and key listings pass through unchanged.
/// So data sync watchers, typed brokers and the KVScheduler over this store see plaintext
/// values without the `"encrypted"` marker, and the encrypted form never leaves it.
///
/// A value that cannot be decrypted is a [`KvError::Decode`] naming the key (its source
/// names the field and why, never the ciphertext); in a listing or a watch it is one `Err`
/// item and the stream goes on. A previous value that cannot be decrypted is dropped
/// (`prev_value: None`). The RSA work runs on the blocking thread pool.
///
/// # Examples
/// ```
/// use std::sync::Arc;
/// use cninfra_cryptodata::{Decrypter, DecryptingStore, PrivateKeys, ProtoFields};
/// use cninfra_kv::{KvStore, MemoryStore};
///
/// let decrypter = Arc::new(Decrypter::new(PrivateKeys::default(), ProtoFields::new()));
/// let store: Arc<dyn KvStore> = Arc::new(DecryptingStore::new(MemoryStore::new(), decrypter));
/// assert_eq!(store.name(), "memory");
/// ```
#[derive(Debug, Clone)]
pub struct DecryptingStore<S> {
    inner: S,
    decrypter: Arc<Decrypter>,
}

impl<S: KvStore> DecryptingStore<S> {
    /// `inner` seen through `decrypter`.
    pub fn new(inner: S, decrypter: Arc<Decrypter>) -> Self {
        Self { inner, decrypter }
    }

    /// The underlying store (its values are the stored, encrypted ones).
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

/// Decrypts one value of `key`, off the async threads when there is work to do.
async fn decrypt(decrypter: &Arc<Decrypter>, key: &str, value: Bytes) -> Result<Bytes, KvError> {
    if !decrypter.may_decrypt(key, &value) {
        return Ok(value);
    }
    let task = {
        let decrypter = Arc::clone(decrypter);
        let key = key.to_owned();
        tokio::task::spawn_blocking(move || decrypter.decrypt(&key, value))
    };
    let decoded = match task.await {
        Ok(decoded) => decoded,
        Err(join) => Err(cninfra_models::DecodeError {
            message: crate::ENCRYPTED_JSON.to_owned(),
            path: String::new(),
            reason: format!("the decryption task failed: {join}"),
        }),
    };
    decoded.map_err(|source| KvError::Decode {
        key: key.to_owned(),
        source: Box::new(source),
    })
}

async fn decrypt_event(
    decrypter: &Arc<Decrypter>,
    event: WatchEvent,
) -> Result<WatchEvent, KvError> {
    let WatchEvent::Change(mut change) = event else {
        return Ok(event);
    };
    if !change.value.is_empty() {
        change.value = decrypt(decrypter, &change.key, change.value).await?;
    }
    if let Some(prev) = change.prev_value.take() {
        change.prev_value = decrypt(decrypter, &change.key, prev).await.ok();
    }
    Ok(WatchEvent::Change(change))
}

#[async_trait]
impl<S: KvStore> KvStore for DecryptingStore<S> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        let Some(mut got) = self.inner.get(key).await? else {
            return Ok(None);
        };
        got.value = decrypt(&self.decrypter, key, got.value).await?;
        Ok(Some(got))
    }

    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        let decrypter = &self.decrypter;
        self.inner
            .list_values(prefix)
            .then(move |entry| async move {
                let mut entry = entry?;
                entry.value = decrypt(decrypter, &entry.key, entry.value).await?;
                Ok(entry)
            })
            .boxed()
    }

    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        self.inner.list_keys(prefix)
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        self.inner.put(key, value, options).await
    }

    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        self.inner.delete(key, options).await
    }

    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        self.inner.txn(ops).await
    }

    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        let events = self.inner.watch(prefixes, from_revision).await?;
        let decrypter = Arc::clone(&self.decrypter);
        Ok(events
            .then(move |event| {
                let decrypter = Arc::clone(&decrypter);
                async move { decrypt_event(&decrypter, event?).await }
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
        self.inner.put_if_absent(key, value, options).await
    }

    /// Compares `old` with the value as stored: an encrypted value never equals the
    /// plaintext a read returned, so a swap of one fails (nothing is written).
    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.inner.compare_and_swap(key, old, new, options).await
    }

    /// Compares `old` with the value as stored, as [`compare_and_swap`](Self::compare_and_swap).
    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        self.inner.compare_and_delete(key, old).await
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
