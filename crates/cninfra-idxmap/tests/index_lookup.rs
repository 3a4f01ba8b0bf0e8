//! Secondary indexes: lookups, moves on overwrite, removal on delete.

mod support;

use std::collections::BTreeMap;

use cninfra_idxmap::{IdxMap, IdxMapError};
use support::{assert_indexes_consistent, item, items_map, sorted};

#[test]
fn lookup_finds_entries_by_single_and_multi_valued_index() {
    let map = items_map(16);
    map.put("eth0", item("ethernet", &["up", "wan"]));
    map.put("eth1", item("ethernet", &["down"]));
    map.put("lo", item("loopback", &["up"]));
    assert_eq!(
        sorted(map.lookup_by_index("by-kind", "ethernet").unwrap()),
        ["eth0", "eth1"]
    );
    assert_eq!(
        sorted(map.lookup_by_index("by-tag", "up").unwrap()),
        ["eth0", "lo"]
    );
    assert_eq!(
        sorted(map.lookup_by_index("by-tag", "wan").unwrap()),
        ["eth0"]
    );
    assert!(map.lookup_by_index("by-kind", "tunnel").unwrap().is_empty());
    assert_eq!(map.index_names().collect::<Vec<_>>(), ["by-kind", "by-tag"]);
    assert_indexes_consistent(&map);
}

#[test]
fn overwrite_moves_entry_to_its_new_index_values() {
    let map = items_map(16);
    map.put("a", item("x", &["t1", "t2"]));
    map.put("a", item("y", &["t2", "t3"]));
    assert!(map.lookup_by_index("by-kind", "x").unwrap().is_empty());
    assert_eq!(sorted(map.lookup_by_index("by-kind", "y").unwrap()), ["a"]);
    assert!(map.lookup_by_index("by-tag", "t1").unwrap().is_empty());
    assert_eq!(sorted(map.lookup_by_index("by-tag", "t2").unwrap()), ["a"]);
    assert_eq!(sorted(map.lookup_by_index("by-tag", "t3").unwrap()), ["a"]);
    map.update("a", item("z", &[]));
    assert!(map.lookup_by_index("by-kind", "y").unwrap().is_empty());
    assert!(map.lookup_by_index("by-tag", "t2").unwrap().is_empty());
    assert_indexes_consistent(&map);
}

#[test]
fn delete_removes_index_entries() {
    let map = items_map(16);
    map.put("a", item("x", &["t"]));
    map.put("b", item("x", &["t"]));
    map.delete("a");
    assert_eq!(sorted(map.lookup_by_index("by-kind", "x").unwrap()), ["b"]);
    assert_eq!(sorted(map.lookup_by_index("by-tag", "t").unwrap()), ["b"]);
    map.delete("b");
    assert!(map.lookup_by_index("by-kind", "x").unwrap().is_empty());
}

#[test]
fn list_fields_gives_index_values_of_one_entry() {
    let map = items_map(16);
    map.put("a", item("x", &["t1", "t2"]));
    let expected = BTreeMap::from([
        ("by-kind".to_owned(), vec!["x".to_owned()]),
        ("by-tag".to_owned(), vec!["t1".to_owned(), "t2".to_owned()]),
    ]);
    assert_eq!(map.list_fields("a"), Some(expected));
    assert_eq!(map.list_fields("missing"), None);
}

#[test]
fn unknown_index_is_an_error_naming_it() {
    let map = items_map(16);
    let err = map.lookup_by_index("by-colour", "red").unwrap_err();
    assert_eq!(
        err,
        IdxMapError::UnknownIndex {
            map: "items".into(),
            index: "by-colour".into()
        }
    );
    assert_eq!(
        err.to_string(),
        "idxmap `items`: no secondary index named `by-colour`"
    );
}

#[test]
fn repeated_index_values_of_one_value_are_harmless() {
    let map: IdxMap<Vec<String>> = IdxMap::builder("dups")
        .with_index("tag", |v: &Vec<String>| v.clone())
        .build()
        .unwrap();
    map.put("a", vec!["t".to_owned(), "t".to_owned()]);
    assert_eq!(sorted(map.lookup_by_index("tag", "t").unwrap()), ["a"]);
    map.put("a", vec!["u".to_owned()]);
    assert!(map.lookup_by_index("tag", "t").unwrap().is_empty());
    map.delete("a");
    assert!(map.lookup_by_index("tag", "u").unwrap().is_empty());
}

#[test]
fn many_index_values_per_entry_stay_consistent() {
    let map = items_map(16);
    let tags: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    let first: Vec<&str> = tags[..40].iter().map(String::as_str).collect();
    let second: Vec<&str> = tags[20..].iter().map(String::as_str).collect();
    map.put("a", item("k", &first));
    map.put("b", item("k", &second));
    map.put("a", item("k", &second));
    assert!(map.lookup_by_index("by-tag", "t0").unwrap().is_empty());
    assert_eq!(
        sorted(map.lookup_by_index("by-tag", "t45").unwrap()),
        ["a", "b"]
    );
    assert_indexes_consistent(&map);
}
