//! Concurrent writers keep indexes consistent; random operation sequences match a model.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use cninfra_idxmap::Event;
use proptest::prelude::*;
use support::{Item, Mirror, assert_indexes_consistent, contents, item, items_map};

#[test]
fn concurrent_writers_keep_indexes_and_watchers_consistent() {
    let map = items_map(1 << 20);
    let mut channel = map.subscribe("channel").unwrap();
    let callback_mirror = Arc::new(Mutex::new(Mirror::default()));
    let sink = Arc::clone(&callback_mirror);
    let _h = map
        .watch("callback", move |ev: &Event<Item>| {
            sink.lock().unwrap().apply(ev)
        })
        .unwrap();
    let writers: Vec<_> = (0..4u32)
        .map(|t| {
            let map = map.clone();
            thread::spawn(move || {
                for i in 0..3_000u32 {
                    let name = format!("n{}", (i * 7 + t) % 64);
                    let kind = format!("k{}", (i + t) % 5);
                    let tag = format!("t{}", i % 3);
                    match (i + t) % 6 {
                        0 => drop(map.delete(&name)),
                        1 => drop(map.update(&name, item(&kind, &[&tag]))),
                        2 if i % 500 == 0 => drop(map.clear()),
                        _ => drop(map.put(&name, item(&kind, &[&tag, "all"]))),
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    assert_indexes_consistent(&map);
    let mut channel_mirror = Mirror::default();
    channel_mirror.drain(&mut channel, Duration::from_millis(50));
    assert_eq!(channel_mirror.resyncs, 0);
    assert_eq!(channel_mirror.entries, contents(&map));
    assert_eq!(callback_mirror.lock().unwrap().entries, contents(&map));
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, u8, Vec<u8>),
    Update(u8, u8, Vec<u8>),
    Delete(u8),
    Clear,
}

fn op() -> impl Strategy<Value = Op> {
    let tags = proptest::collection::vec(0u8..4, 0..3);
    prop_oneof![
        6 => (0u8..12, 0u8..4, tags.clone()).prop_map(|(n, k, t)| Op::Put(n, k, t)),
        2 => (0u8..12, 0u8..4, tags).prop_map(|(n, k, t)| Op::Update(n, k, t)),
        3 => (0u8..12).prop_map(Op::Delete),
        1 => Just(Op::Clear),
    ]
}

fn make(kind: u8, tags: &[u8]) -> Item {
    let tags: Vec<String> = tags.iter().map(|t| format!("t{t}")).collect();
    Item {
        kind: format!("k{kind}"),
        tags,
    }
}

/// The hand-kept model: a map plus indexes rebuilt by scanning.
fn model_index(
    model: &HashMap<String, Item>,
) -> (
    BTreeMap<String, BTreeSet<String>>,
    BTreeMap<String, BTreeSet<String>>,
) {
    let (mut kinds, mut tags) = (BTreeMap::new(), BTreeMap::new());
    for (name, v) in model {
        kinds
            .entry(v.kind.clone())
            .or_insert_with(BTreeSet::new)
            .insert(name.clone());
        for t in &v.tags {
            tags.entry(t.clone())
                .or_insert_with(BTreeSet::new)
                .insert(name.clone());
        }
    }
    (kinds, tags)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_operations_match_a_model(ops in proptest::collection::vec(op(), 1..80)) {
        let map = items_map(4);
        let mut sub = map.subscribe("mirror").unwrap();
        let mut model: HashMap<String, Item> = HashMap::new();
        for op in &ops {
            match op {
                Op::Put(n, k, t) => {
                    let name = format!("n{n}");
                    let prev = map.put(&name, make(*k, t)).map(|v| (*v).clone());
                    prop_assert_eq!(prev, model.insert(name, make(*k, t)));
                }
                Op::Update(n, k, t) => {
                    let name = format!("n{n}");
                    let prev = map.update(&name, make(*k, t)).map(|v| (*v).clone());
                    let expected = model.get_mut(&name).map(|slot| std::mem::replace(slot, make(*k, t)));
                    prop_assert_eq!(prev, expected);
                }
                Op::Delete(n) => {
                    let name = format!("n{n}");
                    prop_assert_eq!(map.delete(&name).map(|v| (*v).clone()), model.remove(&name));
                }
                Op::Clear => {
                    prop_assert_eq!(map.clear(), model.len());
                    model.clear();
                }
            }
            let (kinds, tags) = model_index(&model);
            for k in 0..4 {
                let key = format!("k{k}");
                let found: BTreeSet<String> = map.lookup_by_index("by-kind", &key).unwrap().iter().map(|n| n.to_string()).collect();
                prop_assert_eq!(found, kinds.get(&key).cloned().unwrap_or_default());
                let key = format!("t{k}");
                let found: BTreeSet<String> = map.lookup_by_index("by-tag", &key).unwrap().iter().map(|n| n.to_string()).collect();
                prop_assert_eq!(found, tags.get(&key).cloned().unwrap_or_default());
            }
            prop_assert_eq!(map.len(), model.len());
        }
        // A capacity-4 subscriber that reads only at the end still ends exact (via resync).
        let mut mirror = Mirror::default();
        while let Ok(notification) = sub.try_recv() {
            mirror.apply_notification(notification);
        }
        let expected: BTreeMap<String, Item> = model.into_iter().collect();
        prop_assert_eq!(mirror.entries, expected);
    }
}
