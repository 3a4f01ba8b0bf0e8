//! Read-only queries: statuses, dumps, history, statistics, metadata maps.

use std::sync::Arc;
use std::time::SystemTime;

use cninfra_idxmap::IdxMap;
use serde::{Deserialize, Serialize};

use super::Scheduler;
use crate::descriptor::DescId;
use crate::engine::{base_status, value_status};
use crate::error::KvSchedulerError;
use crate::history::{FlagStats, RecordedNode};
use crate::state::{BaseValueStatus, Origin, ValueState, ValueStatus};
use crate::stats::SchedulerStats;
use crate::txn::RecordedTxn;
use crate::value::Value;

/// Which values a status query covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusSelector {
    /// Every base value.
    All,
    /// One key.
    Key(String),
    /// Base values of a descriptor.
    Descriptor(String),
    /// Base values under a key prefix.
    KeyPrefix(String),
}

/// Which view a dump reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum DumpView {
    /// The southbound now (calls `retrieve`; waits for the queue).
    #[default]
    #[serde(rename = "SB")]
    Sb,
    /// What NB asked for last (no derived or obtained values).
    #[serde(rename = "NB")]
    Nb,
    /// The scheduler's graph.
    #[serde(rename = "cached")]
    Cached,
}

/// A dumped value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DumpedKv {
    /// The key.
    pub key: String,
    /// The value.
    pub value: Value,
    /// The metadata (debug form), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metadata: Option<String>,
    /// Its origin.
    pub origin: Origin,
}

impl Scheduler {
    /// The status of `key` and its derived values (NONEXISTENT for an unknown key).
    pub fn status(&self, key: &str) -> BaseValueStatus {
        base_status(&self.core().read().graph, key)
    }

    /// The statuses of the selected base values, sorted by key.
    ///
    /// # Errors
    /// [`KvSchedulerError::UnknownDescriptor`].
    pub fn statuses(
        &self,
        selector: &StatusSelector,
    ) -> Result<Vec<BaseValueStatus>, KvSchedulerError> {
        let core = self.core().read();
        let graph = &core.graph;
        let mut keys: Vec<Arc<str>> = match selector {
            StatusSelector::Key(key) => return Ok(vec![base_status(graph, key)]),
            StatusSelector::All => graph
                .with_prefix("")
                .filter(|n| !n.is_derived())
                .map(|n| Arc::clone(&n.key))
                .collect(),
            StatusSelector::KeyPrefix(prefix) => graph
                .with_prefix(prefix)
                .filter(|n| !n.is_derived())
                .map(|n| Arc::clone(&n.key))
                .collect(),
            StatusSelector::Descriptor(name) => {
                let id = descriptor_id(&core.registry, name)?;
                let prefix = core.registry.get(id).key_prefix().to_owned();
                graph
                    .with_prefix(&prefix)
                    .filter(|n| !n.is_derived() && n.descriptor == Some(id))
                    .map(|n| Arc::clone(&n.key))
                    .collect()
            }
        };
        keys.sort_unstable();
        Ok(keys.iter().map(|k| base_status(graph, k)).collect())
    }

    /// Statuses of every value (base and derived) in `state`.
    pub fn values_in_state(&self, state: ValueState) -> Vec<ValueStatus> {
        let core = self.core().read();
        let mut out: Vec<ValueStatus> = core
            .graph
            .nodes()
            .filter(|n| n.state == state)
            .map(|n| value_status(&core.graph, n))
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }

    /// Names of the registered descriptors, in registration order.
    pub fn descriptor_names(&self) -> Vec<String> {
        self.core()
            .read()
            .registry
            .names()
            .map(str::to_owned)
            .collect()
    }

    /// The metadata map of a descriptor (declared `WITH_METADATA`), keyed by key label.
    /// `None` when the descriptor is unknown, keeps no metadata or `M` is not its type.
    pub fn metadata_map<M: Send + Sync + 'static>(&self, descriptor: &str) -> Option<IdxMap<M>> {
        let core = self.core().read();
        let id = core.registry.by_name(descriptor)?;
        let any = core.registry.get(id).metadata_map_any()?;
        any.downcast::<IdxMap<M>>().ok().map(|map| *map)
    }

    /// Dumps the values of a descriptor or under a key prefix, in one view.
    ///
    /// # Errors
    /// [`KvSchedulerError::UnknownDescriptor`], or [`KvSchedulerError::Stopped`] for the
    /// SB view of a stopped scheduler.
    pub async fn dump(
        &self,
        selector: &StatusSelector,
        view: DumpView,
    ) -> Result<Vec<DumpedKv>, KvSchedulerError> {
        let (ids, prefix) = {
            let core = self.core().read();
            match selector {
                StatusSelector::Descriptor(name) => {
                    (vec![descriptor_id(&core.registry, name)?], None)
                }
                StatusSelector::KeyPrefix(p) | StatusSelector::Key(p) => {
                    let ids = core
                        .registry
                        .ids()
                        .filter(|&id| {
                            let dp = core.registry.get(id).key_prefix();
                            dp.starts_with(p.as_str()) || p.starts_with(dp)
                        })
                        .collect();
                    (ids, Some(p.clone()))
                }
                StatusSelector::All => (core.registry.ids().collect(), None),
            }
        };
        let keep = |key: &str| prefix.as_deref().is_none_or(|p| key.starts_with(p));
        let mut out = Vec::new();
        match view {
            DumpView::Sb => {
                let found = self.retrieve(ids).await?;
                let core = self.core().read();
                for (id, result) in found {
                    let descriptor = core.registry.get(id);
                    if let Some(Ok(values)) = result {
                        out.extend(values.into_iter().filter(|kv| keep(&kv.key)).map(|kv| {
                            DumpedKv {
                                key: kv.key.to_string(),
                                metadata: kv
                                    .metadata
                                    .as_ref()
                                    .map(|m| descriptor.metadata_debug(m)),
                                value: kv.value,
                                origin: kv.origin,
                            }
                        }));
                    }
                }
            }
            DumpView::Nb | DumpView::Cached => {
                let core = self.core().read();
                for id in ids {
                    let descriptor = core.registry.get(id);
                    for node in core.graph.with_prefix(descriptor.key_prefix()) {
                        if node.descriptor != Some(id) || !keep(&node.key) {
                            continue;
                        }
                        let value = if view == DumpView::Nb {
                            if node.is_derived() || node.origin == Origin::FromSb {
                                continue;
                            }
                            // As NB gave it, decoded when it was raw JSON (so a
                            // message shows as proto3 JSON, as in the other views).
                            node.last_update
                                .as_ref()
                                .and_then(|u| u.value.clone())
                                .map(|v| descriptor.decode(&node.key, &v).unwrap_or(v))
                        } else {
                            node.value.clone()
                        };
                        let Some(value) = value else { continue };
                        out.push(DumpedKv {
                            key: node.key.to_string(),
                            value,
                            metadata: node.metadata.as_ref().map(|m| descriptor.metadata_debug(m)),
                            origin: node.origin,
                        });
                    }
                }
            }
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// Recorded transactions started within `[since, until]`.
    pub fn txn_history(
        &self,
        since: Option<SystemTime>,
        until: Option<SystemTime>,
    ) -> Vec<Arc<RecordedTxn>> {
        self.core().read().history.txns(since, until)
    }

    /// The recorded transaction `seq`.
    pub fn recorded_txn(&self, seq: u64) -> Option<Arc<RecordedTxn>> {
        self.core().read().history.txn(seq)
    }

    /// All revisions of `key`, or the one valid at `at`.
    pub fn key_timeline(&self, key: &str, at: Option<SystemTime>) -> Vec<RecordedNode> {
        let core = self.core().read();
        core.history.timeline(&core.registry, key, at)
    }

    /// The values as they were at `at` (from the recorded revisions).
    pub fn graph_snapshot(&self, at: SystemTime) -> Vec<RecordedNode> {
        let core = self.core().read();
        core.history.snapshot(&core.registry, at)
    }

    /// The values as they are now, in the recorded form (for the graph rendering).
    pub fn graph_nodes(&self) -> Vec<RecordedNode> {
        let core = self.core().read();
        crate::history::current_nodes(&core.graph, &core.registry, SystemTime::now())
    }

    /// Revision counts per value of `flag`, for keys under `prefixes` (all when empty).
    pub fn flag_stats(&self, flag: &str, prefixes: &[String]) -> FlagStats {
        let core = self.core().read();
        core.history.flag_stats(&core.registry, flag, prefixes)
    }

    /// Counters and timings.
    pub fn stats(&self) -> SchedulerStats {
        let core = self.core().read();
        let (recorded_txns, recorded_revisions) = core.history.counts();
        SchedulerStats {
            dropped_txns: self.dropped_txns(),
            dropped_status_updates: self.dropped_status_updates(),
            queue_capacity: self.queue_capacity(),
            graph_nodes: core.graph.len(),
            recorded_txns,
            recorded_revisions,
            ..core.stats.snapshot(&core.registry)
        }
    }
}

fn descriptor_id(
    registry: &crate::descriptor::Registry,
    name: &str,
) -> Result<DescId, KvSchedulerError> {
    registry
        .by_name(name)
        .ok_or_else(|| KvSchedulerError::UnknownDescriptor {
            name: name.to_owned(),
        })
}
