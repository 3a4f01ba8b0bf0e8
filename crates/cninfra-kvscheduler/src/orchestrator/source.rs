//! [`Source`]: one labelled NB source, and [`SourceTxn`]: its transactions.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use super::{ItemLabels, LOG, Orchestrator, OrchestratorError};
use crate::txn::{ResyncKind, TxnError};
use crate::value::Value;

/// One NB source of the [`Orchestrator`] (the KV store, the local client, gRPC), by label.
/// Its transactions change its own share of the desired state; the scheduler gets the
/// merge of all shares. Cheap to clone.
///
/// # Examples
/// ```
/// use cninfra_kvscheduler::orchestrator::{Orchestrator, LOCAL_SOURCE};
/// use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let orchestrator = Orchestrator::new(Scheduler::new(SchedulerConfig::default())?);
/// let local = orchestrator.source(LOCAL_SOURCE);
/// local.txn().put("config/demo/v1/a", Value::from_json(serde_json::json!({"x": 1}))).commit().await?;
/// assert_eq!(local.values().len(), 1);
/// assert_eq!(orchestrator.provider("config/demo/v1/a").as_deref(), Some(LOCAL_SOURCE));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Source {
    orchestrator: Orchestrator,
    label: Arc<str>,
}

impl Source {
    pub(super) fn new(orchestrator: Orchestrator, label: Arc<str>) -> Self {
        Self {
            orchestrator,
            label,
        }
    }

    /// The source label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// A transaction of changes: each key set or deleted in this source's share.
    pub fn txn(&self) -> SourceTxn {
        SourceTxn::new(self.clone(), false)
    }

    /// A resync: the values given replace this source's whole share (keys left out are
    /// removed from it); the scheduler gets a full resync with the merge of all sources.
    pub fn resync(&self) -> SourceTxn {
        SourceTxn::new(self.clone(), true)
    }

    /// This source's share of the desired state, sorted by key.
    pub fn values(&self) -> BTreeMap<String, Value> {
        let store = self.orchestrator.inner.store.lock();
        store
            .share(&self.label)
            .map(|share| {
                share
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The value this source holds for `key` (whether or not it wins).
    pub fn value(&self, key: &str) -> Option<Value> {
        self.orchestrator
            .inner
            .store
            .lock()
            .get(&self.label, key)
            .cloned()
    }

    /// The item labels this source gave `key` (empty when none).
    pub fn item_labels(&self, key: &str) -> ItemLabels {
        self.orchestrator
            .inner
            .store
            .lock()
            .item_labels(&self.label, key)
            .cloned()
            .unwrap_or_default()
    }
}

/// A transaction of one [`Source`]: [`Source::txn`] (changes) or [`Source::resync`]
/// (the source's full state). Setting a key twice keeps the last value.
#[must_use = "a transaction does nothing until committed"]
pub struct SourceTxn {
    source: Source,
    resync: bool,
    values: Vec<(Arc<str>, Option<Value>)>,
    /// Item labels of the keys set with some (the last set of a key decides).
    item_labels: HashMap<Arc<str>, ItemLabels>,
    retry: bool,
    description: Option<String>,
}

impl fmt::Debug for SourceTxn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceTxn")
            .field("source", &self.source.label)
            .field("resync", &self.resync)
            .field("values", &self.values.len())
            .finish_non_exhaustive()
    }
}

impl SourceTxn {
    fn new(source: Source, resync: bool) -> Self {
        Self {
            source,
            resync,
            values: Vec::new(),
            item_labels: HashMap::new(),
            retry: false,
            description: None,
        }
    }

    /// Sets `key` to `value`; `None` deletes it (in a resync: leaves it out). The key
    /// has no item labels in this source afterwards.
    pub fn set(&mut self, key: impl Into<Arc<str>>, value: Option<Value>) -> &mut Self {
        let key = key.into();
        if !self.item_labels.is_empty() {
            self.item_labels.remove(&key);
        }
        self.values.push((key, value));
        self
    }

    /// Sets `key` to `value` with its item labels (upstream's per-item labels, string
    /// pairs with reverse-DNS keys such as `com.example.owner`), which replace the labels
    /// this source gave the key before. Deleting (`None`) drops them.
    pub fn set_labeled(
        &mut self,
        key: impl Into<Arc<str>>,
        value: Option<Value>,
        labels: ItemLabels,
    ) -> &mut Self {
        let key = key.into();
        self.set(Arc::clone(&key), value);
        if !labels.is_empty() {
            self.item_labels.insert(key, labels);
        }
        self
    }

    /// Sets `key` to `value`.
    pub fn put(mut self, key: impl Into<Arc<str>>, value: Value) -> Self {
        self.set(key, Some(value));
        self
    }

    /// Deletes `key` from this source's share.
    pub fn delete(mut self, key: impl Into<Arc<str>>) -> Self {
        self.set(key, None);
        self
    }

    /// Retries failed operations with the scheduler's default retry settings (as upstream
    /// does for KV-store events).
    pub fn with_retry_default(mut self) -> Self {
        self.retry = true;
        self
    }

    /// A description for the transaction log (the source label is added in front).
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Number of values set so far.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value was set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Updates the source's share and applies what changed in the merged desired state.
    ///
    /// Returns the sequence number of the scheduler transaction, or `None` when nothing
    /// reached the scheduler (every key is held by a source of higher precedence). A
    /// value left PENDING (waiting for its dependencies) is a success.
    ///
    /// # Errors
    /// [`OrchestratorError::Keys`] with the keys of this transaction that failed (INVALID,
    /// FAILED, RETRYING; the others stay applied), [`OrchestratorError::Txn`] when the
    /// scheduler did not run the transaction. The source's share is updated either way:
    /// it is the desired state, whatever the southbound made of it.
    ///
    /// # Cancellation
    /// Dropping the future once it runs may leave the share updated without the
    /// scheduler transaction; the next resync of any source applies the merge again.
    pub async fn commit(self) -> Result<Option<u64>, OrchestratorError> {
        let inner = Arc::clone(&self.source.orchestrator.inner);
        let label = Arc::clone(&self.source.label);
        // One source transaction at a time: the scheduler sees them in store order.
        let _ordered = inner.commit_lock.lock().await;
        let description = match &self.description {
            Some(text) => format!("source `{label}`: {text}"),
            None => format!("source `{label}`"),
        };
        let mut txn = inner.scheduler.txn().with_description(description);
        if self.retry {
            txn = txn.with_retry_default();
        }
        // Keys this transaction answers for: those it set (a resync: its new share).
        let mut own = HashSet::new();
        let mut item_labels = self.item_labels;
        {
            let mut store = inner.store.lock();
            if self.resync {
                let share: HashMap<Arc<str>, Value> = self
                    .values
                    .into_iter()
                    .filter_map(|(key, value)| value.map(|value| (key, value)))
                    .collect();
                item_labels.retain(|key, _| share.contains_key(key));
                store.replace(&label, share);
                store.replace_item_labels(&label, item_labels);
                txn = txn.with_resync(ResyncKind::Full);
                // Every source in precedence order: the scheduler keeps the last value of
                // a key set twice, which is the winner's.
                for (key, value) in store.layered() {
                    txn.set(Arc::clone(key), Some(value.clone()));
                }
            } else {
                for (key, value) in self.values {
                    // The labels of the key's last set (a key may be set more than once).
                    let labels = value.as_ref().and_then(|_| item_labels.get(&key).cloned());
                    store.set_item_labels(&label, &key, labels);
                    store.set(&label, Arc::clone(&key), value);
                    own.insert(key);
                }
                for key in &own {
                    if !store.shadowed(&label, key) {
                        let winning = store.winner(key).map(|(_, value)| value.clone());
                        txn.set(Arc::clone(key), winning);
                    }
                }
            }
        }
        if txn.is_empty() && !self.resync {
            tracing::debug!(target: LOG, source = %label, "every key is held by a source of higher precedence");
            return Ok(None);
        }
        let answers_for = |key: &str| {
            if self.resync {
                // The share cannot change meanwhile: this transaction holds the order lock.
                inner.store.lock().get(&label, key).is_some()
            } else {
                own.contains(key)
            }
        };
        match txn.commit().await {
            Ok(seq) => Ok(Some(seq)),
            Err(TxnError::Failed { seq, errors }) => {
                let errors: Vec<_> = errors.into_iter().filter(|e| answers_for(&e.key)).collect();
                if errors.is_empty() {
                    Ok(Some(seq))
                } else {
                    Err(OrchestratorError::Keys {
                        label: label.to_string(),
                        seq,
                        errors,
                    })
                }
            }
            Err(cause) => Err(OrchestratorError::Txn {
                label: label.to_string(),
                cause,
            }),
        }
    }
}
