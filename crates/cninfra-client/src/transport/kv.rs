//! The KV-store transport: writes the keys the agent watches (`/vnf-agent/<label>/...`),
//! values as proto3 JSON, as upstream's `remoteclient` over a `keyval.ProtoBroker`.
//!
//! The agent applies what the store holds after the store took it, so replies carry no
//! status and no sequence number; the southbound state and status changes are not in
//! the store (`dump_state`, `subscribe` and waiting are unsupported).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use async_trait::async_trait;
use cninfra_kv::{KvStore, KvStoreExt, Prefixed, Txn};
use cninfra_models::{Model, ModelRegistry};
use futures::TryStreamExt;

use super::Transport;
use crate::error::ClientError;
use crate::filter::Filter;
use crate::item::{ConfigItem, Item, ItemResult, Reply, StateItem, Value};
use crate::request::{Op, SetConfig};
use crate::subscription::Subscription;

const NAME: &str = "the KV store";

/// Operations per store transaction: etcd's default `--max-txn-ops` (agentctl's
/// `import --txops` default too).
pub(crate) const TXN_OPS: usize = 128;

/// The agent's keys in a KV store.
#[derive(Debug)]
pub(crate) struct KvTransport {
    store: Prefixed<Arc<dyn KvStore>>,
    models: Arc<ModelRegistry>,
}

impl KvTransport {
    /// The keys of the agent labelled `label` in `store`.
    pub(crate) fn new(store: Arc<dyn KvStore>, label: &str, models: Arc<ModelRegistry>) -> Self {
        Self {
            store: store.with_prefix(agent_prefix(label)),
            models,
        }
    }

    fn kv_error(
        &self,
        operation: impl Into<String>,
    ) -> impl FnOnce(cninfra_kv::KvError) -> ClientError {
        let store = self.store.name().to_owned();
        let operation = operation.into();
        move |source| ClientError::kv(&store, operation, source)
    }

    /// The keys of the client's `config` models in the store.
    async fn config_keys(&self) -> Result<Vec<String>, ClientError> {
        let mut keys = Vec::new();
        for model in self.config_models() {
            let prefix = model.key_prefix();
            let listed: Vec<String> = self
                .store
                .list_keys(prefix)
                .try_collect()
                .await
                .map_err(self.kv_error(format!("list keys `{prefix}`")))?;
            keys.extend(listed.into_iter().filter(|key| self.owns(model, key)));
        }
        Ok(keys)
    }

    /// Whether `key` is an instance key of `model` (not of a model with a longer prefix).
    fn owns(&self, model: &Arc<Model>, key: &str) -> bool {
        self.models
            .for_key(key)
            .is_some_and(|owner| Arc::ptr_eq(owner, model))
    }

    fn config_models(&self) -> impl Iterator<Item = &Arc<Model>> {
        self.models
            .models()
            .iter()
            .filter(|m| m.spec().class == "config")
    }

    /// Applies `ops` in transactions of [`TXN_OPS`] (single operations for a store
    /// without transactions).
    async fn apply(&self, ops: Vec<(String, Option<Vec<u8>>)>) -> Result<(), ClientError> {
        if !self.store.capabilities().txn {
            for (key, value) in ops {
                match value {
                    Some(value) => self
                        .store
                        .put(&key, value.into(), Default::default())
                        .await
                        .map(drop)
                        .map_err(self.kv_error(format!("put `{key}`")))?,
                    None => self
                        .store
                        .delete(&key, Default::default())
                        .await
                        .map(drop)
                        .map_err(self.kv_error(format!("delete `{key}`")))?,
                }
            }
            return Ok(());
        }
        let total = ops.len();
        let mut ops = ops.into_iter().peekable();
        let mut done = 0;
        while ops.peek().is_some() {
            let mut txn = Txn::new();
            for (key, value) in ops.by_ref().take(TXN_OPS) {
                txn = match value {
                    Some(value) => txn.put(key, value),
                    None => txn.delete(key),
                };
            }
            let size = txn.ops().len();
            txn.commit(&self.store)
                .await
                .map_err(self.kv_error(format!(
                    "transaction of keys {}..{} of {total}",
                    done + 1,
                    done + size
                )))?;
            done += size;
        }
        Ok(())
    }
}

/// `/vnf-agent/<label>/`: where an agent's keys live.
pub(crate) fn agent_prefix(label: &str) -> String {
    format!("/vnf-agent/{label}/")
}

/// The ops with a key given twice reduced to its last op, in first-seen order (a store
/// transaction takes each key once).
fn last_op_per_key(ops: Vec<Op>) -> Vec<Op> {
    let mut last: BTreeMap<String, usize> = BTreeMap::new();
    for (index, op) in ops.iter().enumerate() {
        last.insert(op.key.clone(), index);
    }
    let keep: HashSet<usize> = last.into_values().collect();
    ops.into_iter()
        .enumerate()
        .filter_map(|(index, op)| keep.contains(&index).then_some(op))
        .collect()
}

#[async_trait]
impl Transport for KvTransport {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn set_config(&self, request: SetConfig) -> Result<Reply, ClientError> {
        if request.wait.is_some() {
            return Err(ClientError::Unsupported {
                transport: NAME,
                operation: "waiting for the values' status",
            });
        }
        if request.has_labels() {
            return Err(ClientError::Unsupported {
                transport: NAME,
                operation: "item labels",
            });
        }
        let ops = last_op_per_key(request.ops);
        let results = ops
            .iter()
            .map(|op| ItemResult {
                key: op.key.clone(),
                model: op.model.as_ref().map(|m| m.name().to_owned()),
                status: None,
            })
            .collect();
        let listed: HashSet<&str> = ops
            .iter()
            .filter(|op| op.value.is_some())
            .map(|op| op.key.as_str())
            .collect();
        let stale = if request.resync {
            self.config_keys()
                .await?
                .into_iter()
                .filter(|key| !listed.contains(key.as_str()))
                .collect()
        } else {
            Vec::new()
        };
        let mut writes: Vec<(String, Option<Vec<u8>>)> =
            stale.into_iter().map(|k| (k, None)).collect();
        writes.extend(
            ops.into_iter()
                .filter(|op| !(request.resync && op.value.is_none()))
                .map(|op| (op.key, op.value.as_ref().map(Value::to_json_bytes))),
        );
        self.apply(writes).await?;
        Ok(Reply { seq: None, results })
    }

    async fn get_config(&self, filter: &Filter) -> Result<Vec<ConfigItem>, ClientError> {
        if !filter.labels.is_empty() {
            return Err(ClientError::Unsupported {
                transport: NAME,
                operation: "label filters",
            });
        }
        let mut items = Vec::new();
        for model in self.config_models() {
            let prefix = model.key_prefix();
            let entries: Vec<cninfra_kv::KvEntry> = self
                .store
                .list_values(prefix)
                .try_collect()
                .await
                .map_err(self.kv_error(format!("list `{prefix}`")))?;
            for entry in entries {
                if !self.owns(model, &entry.key) || !filter.matches_key(&entry.key) {
                    continue;
                }
                let value = Value::decode(Some(model), &entry.key, &entry.value)?;
                items.push(ConfigItem {
                    item: Item {
                        key: entry.key,
                        model: Some(model.name().to_owned()),
                        value,
                    },
                    status: None,
                    labels: BTreeMap::new(),
                });
            }
        }
        items.sort_by(|a, b| a.item.key.cmp(&b.item.key));
        Ok(items)
    }

    async fn dump_state(&self) -> Result<Vec<StateItem>, ClientError> {
        Err(ClientError::Unsupported {
            transport: NAME,
            operation: "dumping the southbound state",
        })
    }

    async fn subscribe(&self, _keys: &[String]) -> Result<Subscription, ClientError> {
        Err(ClientError::Unsupported {
            transport: NAME,
            operation: "status subscriptions",
        })
    }
}
