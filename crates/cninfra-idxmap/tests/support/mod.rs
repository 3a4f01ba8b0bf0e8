//! Fixtures shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use cninfra_idxmap::{Event, IdxMap, Notification, Subscription};

/// A value with one single-valued index (`kind`) and one multi-valued index (`tags`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: String,
    pub tags: Vec<String>,
}

pub fn item(kind: &str, tags: &[&str]) -> Item {
    Item {
        kind: kind.to_owned(),
        tags: tags.iter().map(|t| (*t).to_owned()).collect(),
    }
}

/// A map of [`Item`]s indexed `by-kind` (emit form) and `by-tag` (collection form).
pub fn items_map(capacity: usize) -> IdxMap<Item> {
    IdxMap::builder("items")
        .with_index_emit("by-kind", |v: &Item, emit| emit(&v.kind))
        .with_index("by-tag", |v: &Item| v.tags.clone())
        .with_channel_capacity(capacity)
        .build()
        .expect("valid builder")
}

pub fn sorted(names: Vec<Arc<str>>) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    names.sort();
    names
}

/// Checks every index of `map` against a scan of its entries.
pub fn assert_indexes_consistent(map: &IdxMap<Item>) {
    let mut by_kind: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut by_tag: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (name, value) in map.list_all() {
        by_kind
            .entry(value.kind.clone())
            .or_default()
            .insert(name.to_string());
        for tag in &value.tags {
            by_tag
                .entry(tag.clone())
                .or_default()
                .insert(name.to_string());
        }
    }
    for (index, expected) in [("by-kind", &by_kind), ("by-tag", &by_tag)] {
        for (key, names) in expected {
            let found: BTreeSet<String> = map
                .lookup_by_index(index, key)
                .unwrap()
                .iter()
                .map(|n| n.to_string())
                .collect();
            assert_eq!(&found, names, "index {index} key {key}");
        }
    }
}

/// A copy of a map rebuilt from its events.
#[derive(Debug, Default)]
pub struct Mirror {
    pub entries: BTreeMap<String, Item>,
    pub next_seq: Option<u64>,
    pub resyncs: u64,
    pub missed: u64,
}

impl Mirror {
    pub fn apply(&mut self, event: &Event<Item>) {
        if let Some(expected) = self.next_seq {
            assert!(
                event.seq >= expected,
                "seq went back: {} < {expected}",
                event.seq
            );
        }
        self.next_seq = Some(event.seq + 1);
        match &event.value {
            Some(value) => {
                let prev = self
                    .entries
                    .insert(event.name.to_string(), (**value).clone());
                assert_eq!(
                    prev.as_ref(),
                    event.prev.as_deref(),
                    "prev of {}",
                    event.name
                );
            }
            None => {
                let prev = self.entries.remove(&*event.name);
                assert_eq!(
                    prev.as_ref(),
                    event.prev.as_deref(),
                    "prev of {}",
                    event.name
                );
            }
        }
    }

    pub fn apply_notification(&mut self, notification: Notification<Item>) {
        match notification {
            Notification::Event(event) => self.apply(&event),
            Notification::Resync { missed, entries } => {
                self.resyncs += 1;
                self.missed += missed;
                self.next_seq = None;
                self.entries = entries
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), (*v).clone()))
                    .collect();
            }
        }
    }

    /// Applies what is buffered, waiting up to `idle` for more.
    pub fn drain(&mut self, sub: &mut Subscription<Item>, idle: Duration) {
        while let Ok(notification) = sub.recv_timeout(idle) {
            self.apply_notification(notification);
        }
    }
}

pub fn contents(map: &IdxMap<Item>) -> BTreeMap<String, Item> {
    map.list_all()
        .into_iter()
        .map(|(k, v)| (k.to_string(), (*v).clone()))
        .collect()
}
