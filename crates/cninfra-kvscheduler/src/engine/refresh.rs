//! Refresh: reads the southbound with the descriptors' `retrieve` and fixes the graph.

use crate::hash::FastSet;
use crate::stats::Method;
use std::sync::Arc;
use std::time::Instant;

use super::{Core, Kv, LOG};
use crate::descriptor::{CorrelateEntry, DescId, ErasedDescriptor, RetrievedKv};
use crate::state::{Origin, TxnOperation, ValueState};

/// The values of a resync, for correlation.
#[derive(Debug)]
pub(crate) struct ResyncData<'a> {
    /// First resync since start: correlate with these values instead of the graph.
    pub(crate) first: bool,
    pub(crate) values: &'a [Kv],
}

impl Core {
    /// What the graph believes exists for a descriptor (last requested NB values).
    pub(crate) fn correlate_from_graph(&self, id: DescId) -> Vec<CorrelateEntry> {
        let descriptor = self.registry.get(id);
        self.graph
            .with_prefix(descriptor.key_prefix())
            .filter(|n| n.descriptor == Some(id) && !n.is_derived())
            .filter_map(|n| {
                let value = match &n.last_update {
                    Some(update) => update.value.clone(),
                    None => n.value.clone(),
                }?;
                Some(CorrelateEntry {
                    key: Arc::clone(&n.key),
                    value,
                    origin: n.origin,
                    metadata: n.metadata.clone(),
                })
            })
            .collect()
    }

    /// Refreshes the values of every descriptor (or only `keys`), in retrieve order.
    pub(crate) fn refresh(
        &mut self,
        keys: Option<&FastSet<Arc<str>>>,
        resync: Option<ResyncData<'_>>,
        verbose: bool,
        dry_run: bool,
    ) {
        let mut refreshed: FastSet<Arc<str>> = FastSet::default();
        let mut retrieved: Vec<DescId> = Vec::new();
        for id in self.registry.retrieve_order().to_vec() {
            let descriptor = Arc::clone(self.registry.get(id));
            if let Some(keys) = keys
                && !keys.iter().any(|k| descriptor.key_selector(k))
            {
                continue;
            }
            let correlate: Vec<CorrelateEntry> = match &resync {
                Some(data) if data.first => data
                    .values
                    .iter()
                    .filter(|kv| descriptor.key_selector(&kv.key))
                    .filter_map(|kv| {
                        Some(CorrelateEntry {
                            key: Arc::clone(&kv.key),
                            value: kv.value.clone()?,
                            origin: kv.origin,
                            metadata: None,
                        })
                    })
                    .collect(),
                _ => self.correlate_from_graph(id),
            };
            let started = Instant::now();
            let found = descriptor.retrieve(&correlate);
            self.stats
                .record_call(id, Method::Retrieve, started.elapsed());
            let found = match found {
                None => continue,
                Some(Err(err)) => {
                    tracing::error!(target: LOG, descriptor = descriptor.name(), error = %err,
                        "cannot retrieve values: refresh of the descriptor skipped");
                    continue;
                }
                Some(Ok(found)) => found,
            };
            if verbose {
                for kv in &found {
                    tracing::info!(target: LOG, descriptor = descriptor.name(), key = %kv.key,
                        value = %kv.value, origin = ?kv.origin, "retrieved");
                }
            }
            retrieved.push(id);
            for kv in found {
                if keys.is_some_and(|keys| !keys.contains(&kv.key)) {
                    continue;
                }
                // The correlation list is sorted by key (resync values, graph order).
                let hint = correlate
                    .binary_search_by(|c| c.key.cmp(&kv.key))
                    .ok()
                    .map(|i| correlate[i].origin);
                self.refresh_value(id, &descriptor, kv, hint, dry_run, &mut refreshed);
            }
        }
        self.mark_not_found(&retrieved, keys, &refreshed);
    }

    fn refresh_value(
        &mut self,
        id: DescId,
        descriptor: &Arc<dyn ErasedDescriptor>,
        kv: RetrievedKv,
        hint: Option<Origin>,
        dry_run: bool,
        refreshed: &mut FastSet<Arc<str>>,
    ) {
        let key = Arc::clone(&kv.key);
        let node = self.graph.get_or_insert(&key);
        let origin = match kv.origin {
            Origin::Unknown => hint.unwrap_or(if node.last_update.is_some() {
                Origin::FromNb
            } else {
                Origin::FromSb
            }),
            known => known,
        };
        let state = if origin == Origin::FromSb {
            ValueState::Obtained
        } else if node.last_update.is_none() {
            ValueState::Discovered
        } else {
            ValueState::Configured
        };
        // A failure keeps its state and error until the retry.
        if !node.state.is_failure() {
            node.state = state;
            node.error = None;
        }
        node.value = Some(kv.value.clone());
        node.descriptor = Some(id);
        node.origin = origin;
        node.base = None;
        node.available = true;
        if descriptor.with_metadata() {
            node.metadata = kv.metadata.clone();
            if !dry_run {
                let label = descriptor.key_label(&key).into_owned();
                match &kv.metadata {
                    Some(m) => descriptor.metadata_put(&label, m),
                    None => descriptor.metadata_delete(&label),
                }
            }
        }
        let prev_derived = Arc::clone(&node.derived);
        let deps = descriptor.dependencies(&key, &kv.value);
        self.graph.set_deps(&key, Arc::from(deps));
        self.not_ready.invalidate();
        refreshed.insert(Arc::clone(&key));

        let derived = descriptor.derived_values(&key, &kv.value);
        let mut derived_keys: Vec<Arc<str>> = Vec::with_capacity(derived.len());
        for value in derived {
            let dkey: Arc<str> = Arc::from(value.key);
            let desc_id = self.registry.lookup(&dkey);
            let deps = desc_id
                .map(|d| self.registry.get(d).dependencies(&dkey, &value.value))
                .unwrap_or_default();
            let dnode = self.graph.get_or_insert(&dkey);
            dnode.value = Some(value.value);
            dnode.base = Some(Arc::clone(&key));
            dnode.origin = origin;
            dnode.descriptor = desc_id;
            dnode.available = true;
            dnode.state = state;
            dnode.error = None;
            self.graph.set_deps(&dkey, Arc::from(deps));
            refreshed.insert(Arc::clone(&dkey));
            derived_keys.push(dkey);
        }
        derived_keys.sort_unstable();
        for old in prev_derived.iter() {
            if derived_keys.binary_search(old).is_err() {
                self.graph.remove(old);
            }
        }
        if let Some(node) = self.graph.get_mut(&key) {
            node.derived = Arc::from(derived_keys);
        }
    }

    /// Values the graph believes exist but `retrieve` did not find.
    fn mark_not_found(
        &mut self,
        retrieved: &[DescId],
        keys: Option<&FastSet<Arc<str>>>,
        refreshed: &FastSet<Arc<str>>,
    ) {
        for &id in retrieved {
            let prefix = self.registry.get(id).key_prefix().to_owned();
            let stale: Vec<Arc<str>> = self
                .graph
                .with_prefix(&prefix)
                .filter(|n| n.descriptor == Some(id) && !n.is_derived() && n.available)
                .filter(|n| !refreshed.contains(&n.key))
                .filter(|n| keys.is_none_or(|k| k.contains(&n.key)))
                .map(|n| Arc::clone(&n.key))
                .collect();
            for key in stale {
                let Some(node) = self.graph.get(&key) else {
                    continue;
                };
                let derived = Arc::clone(&node.derived);
                let drop_node =
                    node.origin == Origin::FromSb || node.state == ValueState::Discovered;
                for d in derived.iter() {
                    self.graph.remove(d);
                }
                if drop_node {
                    self.graph.remove(&key);
                    continue;
                }
                if let Some(node) = self.graph.get_mut(&key) {
                    let deleted = node
                        .last_update
                        .as_ref()
                        .is_some_and(|u| u.op == TxnOperation::Delete);
                    node.available = false;
                    node.error = None;
                    node.derived = crate::graph::no_keys();
                    node.state = if deleted {
                        ValueState::Removed
                    } else {
                        ValueState::Missing
                    };
                }
            }
        }
    }
}
