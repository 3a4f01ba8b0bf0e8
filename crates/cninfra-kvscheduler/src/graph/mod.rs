//! The in-memory graph of values, with dependency edges indexed both ways.
//!
//! - Nodes live in a hash map keyed by the key (`Arc<str>`, shared with every index), plus
//!   an ordered key set for prefix queries.
//! - Reverse edges: *dependants by target key* (key dependencies) and *dependants by
//!   prefix* (any-of dependencies), so a key that appears or goes away finds the values
//!   waiting for it with a few hash lookups (one per distinct prefix length) plus the
//!   answers, never a scan of the graph.
//! - Simulation works on the real graph with an undo log: the first change of each node
//!   saves its previous version, and a rollback restores those nodes and their index
//!   entries. Cost is proportional to the nodes the simulated transaction touched.

mod keyset;
mod node;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use crate::descriptor::{DepTarget, Dependency};
use crate::hash::FastMap;
pub(crate) use keyset::KeySet;
pub(crate) use node::{LastUpdate, Node, NodeError, no_deps, no_keys};

/// The graph of values.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    nodes: FastMap<Arc<str>, Node>,
    keys: BTreeSet<Arc<str>>,
    by_target: FastMap<Arc<str>, KeySet>,
    by_prefix: FastMap<Arc<str>, KeySet>,
    /// Distinct any-of prefix lengths with their use counts.
    prefix_lens: BTreeMap<usize, usize>,
    /// Sources with a selector-only any-of dependency (tested against every key).
    unprefixed: KeySet,
    undo: Option<FastMap<Arc<str>, Option<Node>>>,
    /// Keys changed since `track_changes` (each once: nodes carry the mark).
    touched: Option<Vec<Arc<str>>>,
    /// Mark of the current change tracking.
    mark: u64,
}

impl Graph {
    pub(crate) fn len(&self) -> usize {
        self.nodes.len()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.nodes.get(key)
    }

    pub(crate) fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    /// Nodes whose key starts with `prefix`, in key order.
    pub(crate) fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a Node> + 'a {
        self.keys
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |k| k.starts_with(prefix))
            .filter_map(|k| self.nodes.get(k))
    }

    fn save_undo(&mut self, key: &str) {
        if let Some(undo) = &mut self.undo
            && !undo.contains_key(key)
        {
            let saved = self.nodes.get(key).cloned();
            let k = saved
                .as_ref()
                .map_or_else(|| Arc::from(key), |n| Arc::clone(&n.key));
            undo.insert(k, saved);
        }
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        if self.undo.is_some() {
            self.save_undo(key);
        }
        let node = self.nodes.get_mut(key)?;
        if let Some(touched) = &mut self.touched
            && node.mark != self.mark
        {
            node.mark = self.mark;
            touched.push(Arc::clone(&node.key));
        }
        Some(node)
    }

    /// The node of `key`, created empty if absent.
    pub(crate) fn get_or_insert(&mut self, key: &Arc<str>) -> &mut Node {
        if !self.nodes.contains_key(&**key) {
            if self.undo.is_some() {
                self.save_undo(key);
            }
            self.keys.insert(Arc::clone(key));
            self.nodes
                .insert(Arc::clone(key), Node::new(Arc::clone(key)));
        }
        match self.get_mut(key) {
            Some(node) => node,
            None => unreachable!("inserted above"),
        }
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<Node> {
        if !self.nodes.contains_key(key) {
            return None;
        }
        if self.undo.is_some() {
            self.save_undo(key);
        }
        let node = self.nodes.remove(key)?;
        if let Some(touched) = &mut self.touched
            && node.mark != self.mark
        {
            touched.push(Arc::clone(&node.key));
        }
        self.keys.remove(key);
        self.unindex(&node.key, &node.deps);
        Some(node)
    }

    /// Replaces the dependencies of `key` (and their index entries).
    pub(crate) fn set_deps(&mut self, key: &str, deps: Arc<[Dependency]>) {
        let Some(old) = self
            .nodes
            .get(key)
            .map(|n| (Arc::clone(&n.key), Arc::clone(&n.deps)))
        else {
            return;
        };
        if self.undo.is_some() {
            self.save_undo(key);
        }
        self.unindex(&old.0, &old.1);
        self.index(&old.0, &deps);
        if let Some(node) = self.nodes.get_mut(key) {
            node.deps = deps;
        }
    }

    fn index(&mut self, source: &Arc<str>, deps: &[Dependency]) {
        for dep in deps {
            match &dep.target {
                DepTarget::Key(target) => self
                    .by_target
                    .entry(Arc::clone(target))
                    .or_default()
                    .insert(source),
                DepTarget::AnyOf { prefixes, .. } if prefixes.is_empty() => {
                    self.unprefixed.insert(source);
                }
                DepTarget::AnyOf { prefixes, .. } => {
                    for prefix in prefixes.iter() {
                        let set = self.by_prefix.entry(Arc::clone(prefix)).or_default();
                        let before = set.iter().any(|k| k == source);
                        set.insert(source);
                        if !before {
                            *self.prefix_lens.entry(prefix.len()).or_default() += 1;
                        }
                    }
                }
            }
        }
    }

    fn unindex(&mut self, source: &Arc<str>, deps: &[Dependency]) {
        for dep in deps {
            match &dep.target {
                DepTarget::Key(target) => {
                    if let Some(set) = self.by_target.get_mut(&**target) {
                        set.remove(source);
                        if set.is_empty() {
                            self.by_target.remove(&**target);
                        }
                    }
                }
                DepTarget::AnyOf { prefixes, .. } if prefixes.is_empty() => {
                    self.unprefixed.remove(source);
                }
                DepTarget::AnyOf { prefixes, .. } => {
                    for prefix in prefixes.iter() {
                        let Some(set) = self.by_prefix.get_mut(&**prefix) else {
                            continue;
                        };
                        if !set.iter().any(|k| k == source) {
                            continue;
                        }
                        set.remove(source);
                        if set.is_empty() {
                            self.by_prefix.remove(&**prefix);
                        }
                        if let Some(count) = self.prefix_lens.get_mut(&prefix.len()) {
                            *count -= 1;
                            if *count == 0 {
                                self.prefix_lens.remove(&prefix.len());
                            }
                        }
                    }
                }
            }
        }
    }

    /// Keys of the values with a dependency that `key` can satisfy, sorted and unique.
    pub(crate) fn dependants(&self, key: &str) -> Vec<Arc<str>> {
        let mut found: Vec<Arc<str>> = Vec::new();
        if let Some(set) = self.by_target.get(key) {
            found.extend(set.iter().cloned());
        }
        let matching = |source: &Arc<str>| {
            self.nodes
                .get(&**source)
                .is_some_and(|n| n.deps.iter().any(|d| d.matches(key)))
        };
        for &len in self.prefix_lens.keys() {
            if let Some(prefix) = key.get(..len)
                && let Some(set) = self.by_prefix.get(prefix)
            {
                found.extend(set.iter().filter(|s| matching(s)).cloned());
            }
        }
        found.extend(self.unprefixed.iter().filter(|s| matching(s)).cloned());
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Whether some value has a dependency that `key` can satisfy.
    pub(crate) fn has_dependants(&self, key: &str) -> bool {
        if self.by_target.contains_key(key) {
            return true;
        }
        let matching = |source: &Arc<str>| {
            self.nodes
                .get(&**source)
                .is_some_and(|n| n.deps.iter().any(|d| d.matches(key)))
        };
        self.prefix_lens.keys().any(|&len| {
            key.get(..len)
                .and_then(|prefix| self.by_prefix.get(prefix))
                .is_some_and(|set| set.iter().any(matching))
        }) || self.unprefixed.iter().any(matching)
    }

    /// Starts recording an undo log (simulation).
    pub(crate) fn begin_undo(&mut self) {
        self.undo = Some(FastMap::default());
    }

    /// Restores every node changed since `begin_undo`.
    pub(crate) fn rollback(&mut self) {
        let Some(saved) = self.undo.take() else {
            return;
        };
        for (key, before) in saved {
            if let Some(current) = self.nodes.remove(&*key) {
                self.keys.remove(&*key);
                self.unindex(&current.key, &current.deps);
            }
            if let Some(node) = before {
                self.index(&node.key, &Arc::clone(&node.deps));
                self.keys.insert(Arc::clone(&node.key));
                self.nodes.insert(Arc::clone(&node.key), node);
            }
        }
    }

    /// Starts collecting the keys changed (for the history).
    pub(crate) fn track_changes(&mut self) {
        self.mark += 1;
        self.touched = Some(Vec::new());
    }

    /// The keys changed since `track_changes`.
    pub(crate) fn take_changes(&mut self) -> Vec<Arc<str>> {
        self.touched.take().unwrap_or_default()
    }

    /// Pauses change tracking (during simulation), returning what was collected.
    pub(crate) fn pause_changes(&mut self) -> Option<Vec<Arc<str>>> {
        self.touched.take()
    }

    pub(crate) fn resume_changes(&mut self, touched: Option<Vec<Arc<str>>>) {
        self.touched = touched;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Arc<str> {
        Arc::from(k)
    }

    #[test]
    fn dependants_by_key_and_prefix() {
        let mut g = Graph::default();
        g.get_or_insert(&key("a"));
        g.set_deps("a", Arc::from([Dependency::on_key("x", "t/1")]));
        g.get_or_insert(&key("b"));
        g.set_deps(
            "b",
            Arc::from([Dependency::any_of("y", ["t/"]).with_selector(|k| k.ends_with('2'))]),
        );
        assert_eq!(g.dependants("t/1"), [key("a")]);
        assert_eq!(g.dependants("t/2"), [key("b")]);
        assert!(g.dependants("u/2").is_empty());
        g.remove("b");
        assert!(g.dependants("t/2").is_empty());
        assert!(g.prefix_lens.is_empty());
    }

    #[test]
    fn rollback_restores_nodes_and_indexes() {
        let mut g = Graph::default();
        g.get_or_insert(&key("a")).available = true;
        g.begin_undo();
        if let Some(n) = g.get_mut("a") {
            n.available = false;
        }
        g.get_or_insert(&key("b"));
        g.set_deps("b", Arc::from([Dependency::on_key("x", "a")]));
        g.remove("a");
        g.rollback();
        assert!(g.get("a").is_some_and(|n| n.available));
        assert!(g.get("b").is_none());
        assert!(g.dependants("a").is_empty());
        assert_eq!(g.with_prefix("").count(), 1);
    }
}
