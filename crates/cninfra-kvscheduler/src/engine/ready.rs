//! Readiness of a value: are its dependencies met?
//!
//! Every dependency needs one available target. A strongly connected group of pending
//! values counts as one value (upstream's rule for cycles): a target that is pending but
//! leads back to a value on the current search path satisfies the dependency, provided
//! the whole group's other dependencies are met.

use std::sync::Arc;

use crate::descriptor::{DepTarget, Dependency};
use crate::graph::{Graph, Node};
use crate::hash::FastMap;
use crate::state::{Origin, ValueState};

/// Values known not ready regardless of the search path. Valid until a value becomes
/// available or a value's dependencies change (the engine then calls `invalidate`).
#[derive(Debug, Default)]
pub(crate) struct NotReadyCache {
    generation: u64,
    entries: FastMap<Arc<str>, u64>,
}

impl NotReadyCache {
    pub(crate) fn invalidate(&mut self) {
        self.generation += 1;
        if self.entries.len() > 65_536 {
            self.entries.clear();
        }
    }

    fn contains(&self, key: &str) -> bool {
        self.entries.get(key) == Some(&self.generation)
    }

    fn insert(&mut self, key: &Arc<str>) {
        self.entries.insert(Arc::clone(key), self.generation);
    }
}

/// Whether the value of `key` can exist now.
pub(crate) fn is_ready(graph: &Graph, cache: &mut NotReadyCache, key: &str) -> bool {
    let Some(node) = graph.get(key) else {
        return false;
    };
    if node.origin == Origin::FromSb {
        return true;
    }
    // The common case: every dependency has an available target; no search needed.
    if node
        .deps()
        .iter()
        .all(|dep| targets(graph, dep).any(available))
    {
        return true;
    }
    let mut path = FastMap::default();
    Search {
        graph,
        cache,
        path: &mut path,
    }
    .ready(node, 0)
    .0
}

/// Labels of the dependencies of `node` that no available value satisfies.
pub(crate) fn missing_deps(graph: &Graph, node: &Node) -> Vec<String> {
    node.deps()
        .iter()
        .filter(|dep| !targets(graph, dep).any(available))
        .map(|dep| dep.label().to_owned())
        .collect()
}

fn available(node: &Node) -> bool {
    node.available && node.state != ValueState::Removed && node.value.is_some()
}

/// Candidate targets of a dependency that have a node.
fn targets<'g>(graph: &'g Graph, dep: &'g Dependency) -> Box<dyn Iterator<Item = &'g Node> + 'g> {
    match &dep.target {
        DepTarget::Key(key) => Box::new(graph.get(key).into_iter()),
        DepTarget::AnyOf { prefixes, .. } if prefixes.is_empty() => {
            Box::new(graph.nodes().filter(move |n| dep.matches(&n.key)))
        }
        DepTarget::AnyOf { prefixes, .. } => Box::new(
            prefixes
                .iter()
                .flat_map(move |p| graph.with_prefix(p))
                .filter(move |n| dep.matches(&n.key)),
        ),
    }
}

struct Search<'a> {
    graph: &'a Graph,
    cache: &'a mut NotReadyCache,
    path: &'a mut FastMap<Arc<str>, usize>,
}

impl Search<'_> {
    /// (ready, shallowest path depth a cycle reached; `usize::MAX` for none).
    fn ready(&mut self, node: &Node, depth: usize) -> (bool, usize) {
        self.path.insert(Arc::clone(&node.key), depth);
        let mut cycle = usize::MAX;
        let mut ready = true;
        for dep in node.deps().iter() {
            let mut satisfied = false;
            for target in targets(self.graph, dep) {
                if available(target) {
                    satisfied = true;
                    break;
                }
                if let Some(&at) = self.path.get(&target.key) {
                    cycle = cycle.min(at);
                    satisfied = true;
                    break;
                }
                if target.state != ValueState::Pending
                    || target.value.is_none()
                    || target.origin != Origin::FromNb
                    || self.cache.contains(&target.key)
                {
                    continue;
                }
                let (target_ready, target_cycle) = self.ready(target, depth + 1);
                if target_ready && target_cycle <= depth {
                    cycle = cycle.min(target_cycle);
                    satisfied = true;
                    break;
                }
                if !target_ready && target_cycle == usize::MAX {
                    self.cache.insert(&target.key);
                }
            }
            if !satisfied {
                ready = false;
                break;
            }
        }
        self.path.remove(&*node.key);
        (ready, cycle)
    }
}
