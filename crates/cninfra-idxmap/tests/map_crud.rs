//! Basic reads and writes of the map.

mod support;

use std::sync::Arc;

use cninfra_idxmap::{IdxMap, IdxMapError};
use support::{item, items_map, sorted};

#[test]
fn put_get_overwrite_and_delete() {
    let map = items_map(16);
    assert_eq!(map.title(), "items");
    assert!(map.is_empty());
    assert!(map.put("a", item("x", &[])).is_none());
    let prev = map.put("a", item("y", &[])).expect("previous value");
    assert_eq!(prev.kind, "x");
    assert_eq!(map.get("a").unwrap().kind, "y");
    assert!(map.contains("a"));
    assert_eq!(map.len(), 1);
    assert_eq!(map.delete("a").unwrap().kind, "y");
    assert!(map.delete("a").is_none());
    assert!(map.get("a").is_none());
    assert!(map.is_empty());
}

#[test]
fn update_changes_only_present_entries() {
    let map = items_map(16);
    assert!(map.update("a", item("x", &[])).is_none());
    assert!(map.get("a").is_none(), "update must not create");
    map.put("a", item("x", &[]));
    assert_eq!(map.update("a", item("y", &[])).unwrap().kind, "x");
    assert_eq!(map.get("a").unwrap().kind, "y");
}

#[test]
fn values_are_shared_not_copied() {
    let map: IdxMap<String> = IdxMap::new("shared");
    let value = Arc::new("v".to_owned());
    map.put("a", Arc::clone(&value));
    assert!(Arc::ptr_eq(&map.get("a").unwrap(), &value));
}

#[test]
fn list_and_clear() {
    let map = items_map(16);
    for name in ["c", "a", "b"] {
        map.put(name, item("k", &["t"]));
    }
    assert_eq!(sorted(map.list_names()), ["a", "b", "c"]);
    let all = map.list_all();
    assert_eq!(all.len(), 3);
    assert_eq!(map.clear(), 3);
    assert!(map.is_empty());
    assert!(map.lookup_by_index("by-kind", "k").unwrap().is_empty());
    assert!(map.lookup_by_index("by-tag", "t").unwrap().is_empty());
    map.put("a", item("k", &[]));
    assert_eq!(sorted(map.lookup_by_index("by-kind", "k").unwrap()), ["a"]);
}

#[test]
fn clones_are_handles_to_one_map() {
    let map = items_map(16);
    let other = map.clone();
    other.put("a", item("k", &[]));
    assert_eq!(map.get("a").unwrap().kind, "k");
    assert!(format!("{map:?}").contains("items"));
}

#[test]
fn builder_rejects_duplicate_index_and_zero_capacity() {
    let err = IdxMap::<u32>::builder("m")
        .with_index("i", |v: &u32| [v.to_string()])
        .with_index("i", |v: &u32| [v.to_string()])
        .build()
        .unwrap_err();
    assert_eq!(
        err,
        IdxMapError::DuplicateIndex {
            map: "m".into(),
            index: "i".into()
        }
    );
    assert!(err.to_string().contains("`i`"));
    let err = IdxMap::<u32>::builder("m")
        .with_channel_capacity(0)
        .build()
        .unwrap_err();
    assert!(matches!(err, IdxMapError::ZeroCapacity { .. }));
}
