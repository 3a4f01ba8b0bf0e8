//! The fixture shared by the benches: values, names, and the hand-written baseline.
#![allow(dead_code, unreachable_pub)]

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use cninfra_idxmap::IdxMap;
use parking_lot::RwLock;

/// The benchmark value: a group (the indexed field, ~10 entries per group) and a payload.
#[derive(Debug)]
pub struct Item {
    pub group: String,
    pub payload: u64,
}

/// Names, group keys and one shared value per group, for `n` entries.
pub struct Fixture {
    pub names: Vec<String>,
    pub groups: Vec<String>,
    pub values: Vec<Arc<Item>>,
}

impl Fixture {
    pub fn new(n: usize) -> Self {
        let groups: Vec<String> = (0..(n / 10).max(1)).map(|g| format!("group-{g}")).collect();
        let values = groups
            .iter()
            .enumerate()
            .map(|(i, g)| {
                Arc::new(Item {
                    group: g.clone(),
                    payload: i as u64,
                })
            })
            .collect();
        let names = (0..n)
            .map(|i| format!("/vnf-agent/vpp1/config/interface/if-{i:08}"))
            .collect();
        Self {
            names,
            groups,
            values,
        }
    }

    /// The value of entry `i` in round `round` (each round moves every entry to the next
    /// group).
    pub fn value(&self, i: usize, round: usize) -> Arc<Item> {
        Arc::clone(&self.values[(i / 10 + round) % self.values.len()])
    }
}

pub fn idxmap() -> IdxMap<Item> {
    IdxMap::builder("bench")
        .with_index_emit("by-group", |v: &Item, emit| emit(&v.group))
        .build()
        .expect("valid builder")
}

/// What one would write by hand: a map and one index kept next to it, under one lock.
#[derive(Default)]
pub struct Baseline {
    inner: RwLock<BaselineState>,
}

#[derive(Default)]
struct BaselineState {
    map: HashMap<String, Arc<Item>>,
    by_group: HashMap<String, HashSet<String>>,
}

impl Baseline {
    pub fn put(&self, name: &str, value: Arc<Item>) -> Option<Arc<Item>> {
        let mut guard = self.inner.write();
        let state = &mut *guard;
        let prev = state.map.insert(name.to_owned(), Arc::clone(&value));
        if let Some(prev) = &prev {
            if prev.group == value.group {
                return Some(Arc::clone(prev));
            }
            if let Some(names) = state.by_group.get_mut(&prev.group) {
                names.remove(name);
                if names.is_empty() {
                    state.by_group.remove(&prev.group);
                }
            }
        }
        state
            .by_group
            .entry(value.group.clone())
            .or_default()
            .insert(name.to_owned());
        prev
    }

    pub fn get(&self, name: &str) -> Option<Arc<Item>> {
        self.inner.read().map.get(name).cloned()
    }

    pub fn lookup(&self, group: &str) -> Vec<String> {
        self.inner
            .read()
            .by_group
            .get(group)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    pub fn len(&self) -> usize {
        self.inner.read().map.len()
    }
}
