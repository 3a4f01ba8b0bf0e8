//! The descriptor registry: lookup of a key's descriptor by prefix, retrieve order.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::ErasedDescriptor;

/// Position of a descriptor in the registry.
pub(crate) type DescId = u32;

/// Registered descriptors with an index by key prefix.
///
/// Finding the descriptor of a key costs one hash lookup per distinct prefix length (a
/// handful), not one selector call per descriptor. Descriptors with an empty prefix are
/// tested one by one after that (a documented fallback).
#[derive(Default)]
pub(crate) struct Registry {
    descriptors: Vec<Arc<dyn ErasedDescriptor>>,
    by_name: HashMap<String, DescId>,
    by_prefix: HashMap<Box<str>, Vec<DescId>>,
    /// Distinct prefix lengths, longest first when iterated in reverse.
    prefix_lens: BTreeSet<usize>,
    fallback: Vec<DescId>,
    retrieve_order: Vec<DescId>,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("descriptors", &self.names().collect::<Vec<_>>())
            .finish()
    }
}

impl Registry {
    /// Adds a descriptor; `Err(name)` if the name is taken.
    pub(crate) fn add(&mut self, descriptor: Arc<dyn ErasedDescriptor>) -> Result<DescId, String> {
        let name = descriptor.name().to_owned();
        if self.by_name.contains_key(&name) {
            return Err(name);
        }
        let id = DescId::try_from(self.descriptors.len()).map_err(|_| name.clone())?;
        let prefix = descriptor.key_prefix();
        if prefix.is_empty() {
            self.fallback.push(id);
        } else {
            self.by_prefix.entry(prefix.into()).or_default().push(id);
            self.prefix_lens.insert(prefix.len());
        }
        self.by_name.insert(name, id);
        self.descriptors.push(descriptor);
        self.retrieve_order = self.compute_retrieve_order();
        Ok(id)
    }

    /// The descriptor owning `key`: the longest matching prefix wins, then the first
    /// registered among equal prefixes, then the fallbacks.
    pub(crate) fn lookup(&self, key: &str) -> Option<DescId> {
        for &len in self.prefix_lens.iter().rev() {
            let Some(prefix) = key.get(..len) else {
                continue;
            };
            if let Some(ids) = self.by_prefix.get(prefix)
                && let Some(&id) = ids
                    .iter()
                    .find(|&&id| self.descriptors[id as usize].key_selector(key))
            {
                return Some(id);
            }
        }
        self.fallback
            .iter()
            .copied()
            .find(|&id| self.descriptors[id as usize].key_selector(key))
    }

    pub(crate) fn get(&self, id: DescId) -> &Arc<dyn ErasedDescriptor> {
        &self.descriptors[id as usize]
    }

    pub(crate) fn by_name(&self, name: &str) -> Option<DescId> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.descriptors.iter().map(|d| d.name())
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = DescId> {
        (0..self.descriptors.len()).filter_map(|i| DescId::try_from(i).ok())
    }

    /// Descriptors in the order their `retrieve` must run (dependencies first; names that
    /// are not registered are ignored; a cycle falls back to registration order).
    pub(crate) fn retrieve_order(&self) -> &[DescId] {
        &self.retrieve_order
    }

    fn compute_retrieve_order(&self) -> Vec<DescId> {
        // Kahn's algorithm; ties keep registration order.
        let n = self.descriptors.len();
        let mut indegree = vec![0usize; n];
        let mut dependants: Vec<Vec<usize>> = vec![Vec::new(); n];
        for (i, d) in self.descriptors.iter().enumerate() {
            for dep in d.retrieve_dependencies() {
                if let Some(&j) = self.by_name.get(&dep) {
                    indegree[i] += 1;
                    dependants[j as usize].push(i);
                }
            }
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for &k in &dependants[i] {
                indegree[k] -= 1;
                if indegree[k] == 0 {
                    ready.insert(k);
                }
            }
        }
        if order.len() < n {
            let placed: BTreeSet<usize> = order.iter().copied().collect();
            order.extend((0..n).filter(|i| !placed.contains(i)));
        }
        order
            .into_iter()
            .filter_map(|i| DescId::try_from(i).ok())
            .collect()
    }
}
