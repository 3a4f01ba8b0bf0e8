//! Property test: the memory store behaves like a plain sorted map under any sequence of
//! puts, deletes, prefix deletes and transactions, and a watch from revision 1 replays
//! exactly the changes that were made.

use std::collections::BTreeMap;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use proptest::prelude::*;

use cninfra_kv::{ChangeKind, DeleteOptions, KvStore, MemoryStore, PutOptions, Txn, WatchEvent};

#[derive(Debug, Clone)]
enum Op {
    Put(String, u8),
    Delete(String),
    DeletePrefix(String),
    Txn(Vec<(String, Option<u8>)>),
}

fn key() -> impl Strategy<Value = String> {
    "[ab]{1,3}"
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (key(), any::<u8>()).prop_map(|(k, v)| Op::Put(k, v)),
        key().prop_map(Op::Delete),
        "[ab]{0,2}".prop_map(Op::DeletePrefix),
        prop::collection::vec((key(), prop::option::of(any::<u8>())), 1..4).prop_map(Op::Txn),
    ]
}

async fn check(ops: Vec<Op>) {
    let store = MemoryStore::new();
    let mut model: BTreeMap<String, Bytes> = BTreeMap::new();
    let mut changes = 0usize;
    for op in ops {
        match op {
            Op::Put(k, v) => {
                store
                    .put(&k, vec![v].into(), PutOptions::default())
                    .await
                    .unwrap();
                model.insert(k, vec![v].into());
                changes += 1;
            }
            Op::Delete(k) => {
                let existed = store.delete(&k, DeleteOptions::default()).await.unwrap();
                assert_eq!(existed, model.remove(&k).is_some());
                changes += usize::from(existed);
            }
            Op::DeletePrefix(p) => {
                let doomed: Vec<String> = model
                    .keys()
                    .filter(|k| k.starts_with(&p))
                    .cloned()
                    .collect();
                let existed = store.delete(&p, DeleteOptions::prefix()).await.unwrap();
                assert_eq!(existed, !doomed.is_empty());
                changes += doomed.len();
                for k in doomed {
                    model.remove(&k);
                }
            }
            Op::Txn(items) => {
                let mut txn = Txn::new();
                for (k, v) in items {
                    match v {
                        Some(v) => {
                            txn = txn.put(k.clone(), vec![v]);
                            model.insert(k, vec![v].into());
                            changes += 1;
                        }
                        None => {
                            txn = txn.delete(k.clone());
                            changes += usize::from(model.remove(&k).is_some());
                        }
                    }
                }
                txn.commit(&store).await.unwrap();
            }
        }
    }
    let listed: Vec<(String, Bytes)> = store
        .list_values("")
        .map_ok(|e| (e.key, e.value))
        .try_collect()
        .await
        .unwrap();
    let expected: Vec<(String, Bytes)> = model.clone().into_iter().collect();
    assert_eq!(listed, expected);

    // Replaying the whole history onto an empty map rebuilds the same state.
    let mut replayed: BTreeMap<String, Bytes> = BTreeMap::new();
    let mut watch = store.watch(&[""], Some(1)).await.unwrap();
    let mut last_revision = 0;
    for _ in 0..changes {
        let Some(Ok(WatchEvent::Change(c))) = watch.next().await else {
            panic!("missing change")
        };
        assert!(c.revision >= last_revision);
        last_revision = c.revision;
        match c.kind {
            ChangeKind::Put => {
                replayed.insert(c.key, c.value);
            }
            ChangeKind::Delete => {
                assert!(
                    replayed.remove(&c.key).is_some(),
                    "delete of an absent key replayed"
                );
            }
        }
    }
    assert_eq!(replayed, model);
    assert_eq!(store.revision().await.unwrap(), last_revision);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn memory_store_matches_a_sorted_map(ops in prop::collection::vec(op(), 0..40)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(check(ops));
    }
}
