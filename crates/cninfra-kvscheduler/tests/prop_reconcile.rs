//! Property: any sequence of puts and deletes over a random dependency graph ends in the
//! same southbound state as applying the final desired state from scratch, and no value is
//! ever created before its dependencies (nor deleted while a dependant exists).

mod scheduler_fixture;

use std::collections::{BTreeMap, BTreeSet};

use cninfra_kvscheduler::testkit::{TestSouthbound, TestValue};
use proptest::prelude::*;

const KEYS: usize = 6;

fn key(i: usize) -> String {
    format!("a/{i}")
}

/// A value for key `i`: its dependencies are keys of lower rank (a DAG whose order
/// differs from the key order), optionally a derived value depending on another key.
fn value_for(i: usize, lower: Vec<usize>) -> impl Strategy<Value = Option<TestValue>> {
    let any_key = 0..KEYS;
    prop::option::weighted(
        0.75,
        (
            0..3u8,
            prop::sample::subsequence(lower.clone(), 0..=lower.len().min(2)),
            prop::option::of(any_key),
        )
            .prop_map(move |(data, deps, derived_dep)| {
                let mut value =
                    TestValue::new(format!("v{data}")).with_deps(deps.into_iter().map(key));
                if let Some(d) = derived_dep {
                    value = value.with_derived(
                        format!("d/{i}"),
                        TestValue::new("derived").with_deps([key(d)]),
                    );
                }
                value
            }),
    )
}

fn txns() -> impl Strategy<Value = Vec<Vec<(usize, Option<TestValue>)>>> {
    Just((0..KEYS).collect::<Vec<usize>>())
        .prop_shuffle()
        .prop_flat_map(|rank| {
            let change = (0..KEYS).prop_flat_map(move |i| {
                let lower: Vec<usize> = (0..KEYS).filter(|&j| rank[j] < rank[i]).collect();
                value_for(i, lower).prop_map(move |v| (i, v))
            });
            prop::collection::vec(prop::collection::vec(change, 1..4), 1..8)
        })
}

/// What must exist: a value whose dependencies (transitively) exist; derived values too.
fn expected(desired: &BTreeMap<usize, TestValue>) -> BTreeSet<String> {
    let mut exists: BTreeSet<String> = BTreeSet::new();
    loop {
        let before = exists.len();
        for (i, value) in desired {
            if value.deps.iter().all(|d| exists.contains(d)) {
                exists.insert(key(*i));
            }
        }
        if exists.len() == before {
            break;
        }
    }
    let derived: Vec<String> = desired
        .iter()
        .filter(|(i, _)| exists.contains(&key(**i)))
        .flat_map(|(_, v)| v.derived.iter())
        .filter(|(_, d)| d.deps.iter().all(|k| exists.contains(k)))
        .map(|(k, _)| k.clone())
        .collect();
    exists.extend(derived);
    exists
}

async fn apply(
    sequence: &[Vec<(usize, Option<TestValue>)>],
) -> (TestSouthbound, TestSouthbound, BTreeSet<String>) {
    let (incremental, sb) = scheduler_fixture::setup();
    let mut desired: BTreeMap<usize, TestValue> = BTreeMap::new();
    for txn in sequence {
        let mut t = incremental.txn();
        for (i, value) in txn {
            t.set(key(*i), value.clone().map(TestValue::value));
            match value {
                Some(v) => desired.insert(*i, v.clone()),
                None => desired.remove(i),
            };
        }
        t.commit().await.expect("no failures are injected");
    }
    let (fresh, fresh_sb) = scheduler_fixture::setup();
    let mut t = fresh.txn();
    for (i, value) in &desired {
        t.set(key(*i), Some(value.clone().value()));
    }
    t.commit().await.expect("no failures are injected");
    (sb, fresh_sb, expected(&desired))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn incremental_equals_from_scratch(sequence in txns()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let (sb, fresh_sb, expected) = runtime.block_on(apply(&sequence));
        prop_assert_eq!(sb.values(), fresh_sb.values());
        prop_assert_eq!(sb.values().keys().cloned().collect::<BTreeSet<_>>(), expected);
        prop_assert!(sb.violations().is_empty(), "{:?}", sb.violations());
        prop_assert!(fresh_sb.violations().is_empty(), "{:?}", fresh_sb.violations());
    }
}
