//! [`ConsulStore`]: the [`KvStore`] API on Consul's HTTP KV API.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStream, KvValue, PutOptions, TxnOp,
    WatchStream, async_trait, validate_key,
};
use futures::{StreamExt, TryStreamExt, stream};
use tokio_util::sync::CancellationToken;

use crate::api::{Api, TxnKv, TxnOutcome};
use crate::config::ConsulConfig;
use crate::error::ConsulError;
use crate::keys;
use crate::tls;

/// What Consul supports: revisions (`ModifyIndex`), transactions, prefix deletes, sorted
/// lists, watches with previous values and conditional writes (check-and-set); no TTL on
/// keys, no leases (Consul's sessions are not mapped yet) and no history to watch from.
pub(crate) const CAPABILITIES: Capabilities = {
    let mut caps = Capabilities::ALL;
    caps.ttl = false;
    caps.leases = false;
    caps.watch_from_revision = false;
    caps
};

/// A precondition of [`ConsulStore::txn_if`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Check {
    /// The key exists with this modify index (its revision).
    Revision {
        /// The key.
        key: String,
        /// The revision it must have.
        revision: u64,
    },
    /// The key does not exist.
    Absent {
        /// The key.
        key: String,
    },
}

/// The KV broker API on a Consul agent's HTTP API: revisions are Consul's `ModifyIndex`,
/// puts and transactions go through `/v1/txn` (so a put returns its exact revision), lists
/// are `?recurse`/`?keys` reads (sorted, one request each), watches are blocking queries.
/// Keys lose a leading `/` on the way in and get it back on the way out (see the
/// [crate docs](crate)). Cloning is cheap.
///
/// # Examples
/// ```no_run
/// use cninfra_kv::{KvStore, PutOptions};
/// use cninfra_kv_consul::{ConsulConfig, ConsulStore};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let store = ConsulStore::connect(&ConsulConfig::new("127.0.0.1:8500"), |_| None).await?;
/// let revision = store.put("/vnf-agent/vpp1/config/a", "1".into(), PutOptions::default()).await?;
/// let got = store.get("/vnf-agent/vpp1/config/a").await?.expect("just written");
/// assert_eq!(got.revision, revision);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ConsulStore {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) api: Arc<Api>,
    pub(crate) closed: CancellationToken,
}

impl fmt::Debug for ConsulStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsulStore")
            .field("name", &self.inner.api.store)
            .field("closed", &self.inner.closed.is_cancelled())
            .finish_non_exhaustive()
    }
}

impl ConsulStore {
    /// Builds the client from `config` (address from the config, else `CONSUL_HTTP_ADDR`
    /// read through `env`, else `127.0.0.1:8500`; token likewise from `CONSUL_HTTP_TOKEN`)
    /// and checks that the agent answers `/v1/status/peers`, as upstream's start does.
    ///
    /// # Errors
    /// [`ConsulError::InvalidConfig`] or [`ConsulError::TlsFile`] for the config,
    /// [`ConsulError::Tls`] when the TLS handshake fails, [`ConsulError::Unreachable`]
    /// naming the URL when the agent does not answer.
    pub async fn connect(
        config: &ConsulConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConsulError> {
        let store = Self::new(config, env)?;
        store.check().await.map_err(|source| {
            let url = store.inner.api.base.clone();
            match crate::error::tls_failure(&source) {
                Some(tls) => ConsulError::Tls {
                    url,
                    reason: tls.to_string(),
                    source,
                },
                None => ConsulError::Unreachable { url, source },
            }
        })?;
        tracing::info!(target: crate::LOG, url = %store.inner.api.base, "connected to consul");
        Ok(store)
    }

    /// Builds the client without contacting the agent.
    ///
    /// # Errors
    /// As [`connect`](Self::connect), without `Unreachable`.
    pub fn new(
        config: &ConsulConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConsulError> {
        let base = config.base_url(&env)?;
        let http = tls::http_client(config)?;
        Ok(Self {
            inner: Arc::new(Inner {
                api: Arc::new(Api {
                    http,
                    store: format!("consul {base}"),
                    base,
                    token: config.effective_token(&env),
                    datacenter: (!config.datacenter.is_empty()).then(|| config.datacenter.clone()),
                    timeout: config.request_timeout,
                }),
                closed: CancellationToken::new(),
            }),
        })
    }

    /// Asks the agent for its Raft peers (the status probe).
    ///
    /// # Errors
    /// [`KvError::Unavailable`] or [`KvError::Timeout`] when it does not answer.
    pub async fn check(&self) -> Result<(), KvError> {
        self.open()?;
        self.inner.api.peers().await.map(drop)
    }

    /// Writes `value` only if the key's revision is `revision` (`0`: only if the key does
    /// not exist): Consul's check-and-set. Returns whether it was written.
    ///
    /// # Errors
    /// As [`KvStore::put`].
    pub async fn put_cas(&self, key: &str, value: Bytes, revision: u64) -> Result<bool, KvError> {
        self.open()?;
        consul_key(key)?;
        self.inner.api.put_cas(key, value, revision).await
    }

    /// Deletes the key only if its revision is `revision`. Returns whether it was deleted.
    ///
    /// # Errors
    /// As [`KvStore::delete`].
    pub async fn delete_cas(&self, key: &str, revision: u64) -> Result<bool, KvError> {
        self.open()?;
        consul_key(key)?;
        self.inner.api.delete(key, false, Some(revision)).await
    }

    /// A check-and-set transaction: applies `ops` only if every check holds, all at one
    /// revision. Returns that revision, or `None` when a check failed (nothing applied).
    ///
    /// # Errors
    /// As [`KvStore::txn`].
    ///
    /// # Examples
    /// ```no_run
    /// # async fn demo(store: cninfra_kv_consul::ConsulStore) -> Result<(), cninfra_kv::KvError> {
    /// use cninfra_kv::Txn;
    /// use cninfra_kv_consul::Check;
    /// let seen = store.get_revision("cfg/leader").await?;
    /// let ops = Txn::new().put("cfg/leader", "me").into_ops();
    /// let check = match seen {
    ///     Some(revision) => Check::Revision { key: "cfg/leader".into(), revision },
    ///     None => Check::Absent { key: "cfg/leader".into() },
    /// };
    /// let won = store.txn_if(&[check], ops).await?.is_some();
    /// # let _ = won; Ok(()) }
    /// ```
    pub async fn txn_if(&self, checks: &[Check], ops: Vec<TxnOp>) -> Result<Option<u64>, KvError> {
        let mut kv_ops = Vec::with_capacity(checks.len() + ops.len());
        for check in checks {
            kv_ops.push(match check {
                Check::Revision { key, revision } => {
                    consul_key(key)?;
                    TxnKv::new("check-index", key).with_index(*revision)
                }
                Check::Absent { key } => {
                    consul_key(key)?;
                    TxnKv::new("check-not-exists", key)
                }
            });
        }
        let first_op = kv_ops.len();
        kv_ops.extend(self.txn_ops(ops)?);
        match self.run_txn(&kv_ops).await? {
            Ok(entries) => Ok(Some(self.txn_revision(&entries).await?)),
            Err(errors) if errors.iter().all(|(op, _)| *op < first_op) => Ok(None),
            Err(errors) => Err(self.txn_failed(errors)),
        }
    }

    /// The revision of a key, `None` when it does not exist.
    ///
    /// # Errors
    /// As [`KvStore::get`].
    pub async fn get_revision(&self, key: &str) -> Result<Option<u64>, KvError> {
        Ok(self.get(key).await?.map(|v| v.revision))
    }

    pub(crate) fn name_str(&self) -> &str {
        &self.inner.api.store
    }

    pub(crate) fn open(&self) -> Result<(), KvError> {
        if self.inner.closed.is_cancelled() {
            return Err(KvError::Closed {
                store: self.name_str().to_owned(),
            });
        }
        Ok(())
    }

    /// The operations of a broker transaction as Consul verbs, refusing what Consul lacks.
    fn txn_ops(&self, ops: Vec<TxnOp>) -> Result<Vec<TxnKv>, KvError> {
        ops.into_iter()
            .map(|op| match op {
                TxnOp::Put {
                    key,
                    value,
                    options,
                } => {
                    consul_key(&key)?;
                    options.check(self.name_str(), CAPABILITIES)?;
                    Ok(TxnKv::new("set", &key).with_value(&value))
                }
                TxnOp::Delete { key, options } if options.prefix => {
                    Ok(TxnKv::new("delete-tree", &key))
                }
                TxnOp::Delete { key, .. } => {
                    consul_key(&key)?;
                    Ok(TxnKv::new("delete", &key))
                }
                _ => Err(KvError::unsupported(self.name_str(), "this txn operation")),
            })
            .collect()
    }

    async fn run_txn(&self, ops: &[TxnKv]) -> Result<TxnOutcome, KvError> {
        self.open()?;
        self.inner.api.txn(ops).await
    }

    /// The revision of a transaction: the modify index its writes got, or (for one that
    /// only deleted, whose index Consul does not return) the store revision right after.
    async fn txn_revision(&self, entries: &[crate::api::Entry]) -> Result<u64, KvError> {
        match entries.iter().map(|e| e.modify_index).max() {
            Some(index) => Ok(index),
            None => self.revision().await,
        }
    }

    fn txn_failed(&self, errors: Vec<(usize, String)>) -> KvError {
        let text: Vec<String> = errors
            .into_iter()
            .map(|(op, what)| format!("operation {op}: {what}"))
            .collect();
        KvError::Backend {
            store: self.name_str().to_owned(),
            op: "txn",
            source: text.join("; ").into(),
        }
    }
}

/// Checks a single key: not empty, and not empty once the leading `/` is dropped.
fn consul_key(key: &str) -> Result<&str, KvError> {
    validate_key(key)?;
    let consul = keys::to_consul(key);
    if consul.is_empty() {
        return Err(KvError::InvalidKey {
            key: key.to_owned(),
            reason: "a Consul key must have more than a leading `/`",
        });
    }
    Ok(consul)
}

#[async_trait]
impl KvStore for ConsulStore {
    fn name(&self) -> &str {
        self.name_str()
    }

    fn capabilities(&self) -> Capabilities {
        CAPABILITIES
    }

    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        self.open()?;
        consul_key(key)?;
        Ok(self.inner.api.get(key).await?.map(|entry| KvValue {
            value: entry.value,
            revision: entry.modify_index,
        }))
    }

    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        let asked = prefix.to_owned();
        let listing = async move {
            self.open()?;
            let (_, entries) = self.inner.api.list(&asked, None).await?;
            let entries = entries.into_iter().map(move |entry| {
                Ok(KvEntry {
                    key: keys::from_consul(entry.key, &asked),
                    value: entry.value,
                    revision: entry.modify_index,
                })
            });
            Ok::<_, KvError>(stream::iter(entries))
        };
        stream::once(listing).try_flatten().boxed()
    }

    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        let asked = prefix.to_owned();
        let listing = async move {
            self.open()?;
            let (_, found) = self.inner.api.keys(&asked, None).await?;
            let found = found
                .into_iter()
                .map(move |key| Ok(keys::from_consul(key, &asked)));
            Ok::<_, KvError>(stream::iter(found))
        };
        stream::once(listing).try_flatten().boxed()
    }

    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        let op = TxnOp::Put {
            key: key.to_owned(),
            value,
            options,
        };
        // Consul's refusals (a value too large, an ACL) do not always name the key.
        self.txn(vec![op]).await.map_err(|err| match err {
            KvError::Backend { store, source, .. } => KvError::Backend {
                store,
                op: "put",
                source: format!("`{key}`: {source}").into(),
            },
            other => other,
        })
    }

    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        self.open()?;
        if options.prefix {
            // Consul's DELETE answers `true` whatever it removed: list first to tell.
            let (_, found) = self.inner.api.keys(key, Some("/")).await?;
            if found.is_empty() {
                return Ok(false);
            }
            self.inner.api.delete(key, true, None).await?;
            return Ok(true);
        }
        consul_key(key)?;
        // `get` fails the transaction when the key is missing, so nothing is deleted and the
        // answer is exact.
        let ops = [TxnKv::new("get", key), TxnKv::new("delete", key)];
        match self.run_txn(&ops).await? {
            Ok(_) => Ok(true),
            Err(errors) if errors.iter().all(|(op, _)| *op == 0) => Ok(false),
            Err(errors) => Err(self.txn_failed(errors)),
        }
    }

    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        let ops = self.txn_ops(ops)?;
        if ops.is_empty() {
            return self.revision().await;
        }
        match self.run_txn(&ops).await? {
            Ok(entries) => self.txn_revision(&entries).await,
            Err(errors) => Err(self.txn_failed(errors)),
        }
    }

    async fn watch(
        &self,
        prefixes: &[&str],
        from_revision: Option<u64>,
    ) -> Result<WatchStream, KvError> {
        if from_revision.is_some() {
            return Err(KvError::unsupported(
                self.name(),
                "watch from a revision (Consul keeps no history: watch, then list)",
            ));
        }
        self.open()?;
        crate::watch::start(
            Arc::clone(&self.inner.api),
            self.inner.closed.clone(),
            prefixes,
        )
        .await
    }

    async fn revision(&self) -> Result<u64, KvError> {
        self.open()?;
        // The index of a read of the whole KV tree is the KV table's index (deletes
        // included); `?keys&separator=/` keeps the answer to the top-level names.
        let (index, _) = self.inner.api.keys("", Some("/")).await?;
        Ok(index)
    }

    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.put_if_absent_cas(key, value, options).await
    }

    async fn compare_and_swap(
        &self,
        key: &str,
        old: Bytes,
        new: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.compare_and_swap_cas(key, old, new, options).await
    }

    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        self.compare_and_delete_cas(key, old).await
    }

    async fn close(&self) -> Result<(), KvError> {
        self.inner.closed.cancel();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_are_only_a_slash_are_refused() {
        assert!(consul_key("/").unwrap_err().is_invalid_key());
        assert!(consul_key("").unwrap_err().is_invalid_key());
        assert_eq!(consul_key("/a").unwrap(), "a");
    }
}
