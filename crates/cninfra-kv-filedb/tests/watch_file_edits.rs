//! Edits by an editor become per-key change events: changed values only, added and removed
//! keys, files added, removed and renamed.

mod fixture;

use cninfra_kv::{ChangeKind, KvStore};
use fixture::{Fixture, next_change, write, yaml};

/// Writes a sentinel file and checks that the next event is its put: nothing else came.
async fn expect_nothing_else(f: &Fixture, watch: &mut cninfra_kv::WatchStream) {
    write(&f.data("zz-sentinel.yaml"), &yaml(&[("zz/sentinel", "1")]));
    let change = next_change(watch).await;
    assert_eq!(change.key, "zz/sentinel", "unexpected event {change:?}");
    std::fs::remove_file(f.data("zz-sentinel.yaml")).unwrap();
    assert_eq!(next_change(watch).await.kind, ChangeKind::Delete);
}

#[tokio::test]
async fn editing_one_value_reports_only_that_key_with_its_previous_value() {
    let f = Fixture::new(&[(
        "a.yaml",
        &yaml(&[("k/1", "1"), ("k/2", "{x: 2}"), ("k/3", "3")]),
    )])
    .await;
    let mut watch = f.store.watch(&[""], None).await.unwrap();
    write(
        &f.data("a.yaml"),
        &yaml(&[("k/1", "1"), ("k/2", "{x: 20}"), ("k/3", "3")]),
    );
    let change = next_change(&mut watch).await;
    assert_eq!((change.key.as_str(), change.kind), ("k/2", ChangeKind::Put));
    assert_eq!(change.value, r#"{"x":20}"#);
    assert_eq!(change.prev_value.as_deref(), Some(&br#"{"x":2}"#[..]));
    expect_nothing_else(&f, &mut watch).await;
}

#[tokio::test]
async fn keys_added_and_removed_in_a_file_become_puts_and_deletes_in_one_revision() {
    let f = Fixture::new(&[(
        "a.json",
        r#"{"data": [{"key": "k/1", "value": 1}, {"key": "k/2", "value": 2}]}"#,
    )])
    .await;
    let mut watch = f.store.watch(&["k/"], None).await.unwrap();
    write(
        &f.data("a.json"),
        r#"{"data": [{"key": "k/2", "value": 2}, {"key": "k/3", "value": "three"}]}"#,
    );
    let first = next_change(&mut watch).await;
    let second = next_change(&mut watch).await;
    assert_eq!(
        (first.key.as_str(), first.kind),
        ("k/1", ChangeKind::Delete)
    );
    assert_eq!((second.key.as_str(), second.kind), ("k/3", ChangeKind::Put));
    assert_eq!(second.value, "\"three\"");
    assert_eq!(first.revision, second.revision, "one edit, one revision");
    assert_eq!(f.value("k/1").await, None);
    assert_eq!(f.store.revision().await.unwrap(), second.revision);
}

#[tokio::test]
async fn files_added_in_new_folders_and_removed_files_are_followed() {
    let f = Fixture::new(&[("a.yaml", &yaml(&[("a/1", "1"), ("a/2", "2")]))]).await;
    let mut watch = f.store.watch(&[""], None).await.unwrap();

    write(&f.data("deep/er/b.yml"), &yaml(&[("b/1", "1")]));
    let added = next_change(&mut watch).await;
    assert_eq!((added.key.as_str(), added.kind), ("b/1", ChangeKind::Put));

    std::fs::remove_file(f.data("a.yaml")).unwrap();
    let mut deleted = [next_change(&mut watch).await, next_change(&mut watch).await];
    deleted.sort_by(|x, y| x.key.cmp(&y.key));
    let keys: Vec<_> = deleted.iter().map(|c| (c.key.as_str(), c.kind)).collect();
    assert_eq!(
        keys,
        [("a/1", ChangeKind::Delete), ("a/2", ChangeKind::Delete)]
    );
    assert_eq!(deleted[0].prev_value.as_deref(), Some(&b"1"[..]));

    // A whole folder removed takes its files' keys with it.
    std::fs::remove_dir_all(f.data("deep")).unwrap();
    let gone = next_change(&mut watch).await;
    assert_eq!((gone.key.as_str(), gone.kind), ("b/1", ChangeKind::Delete));
    expect_nothing_else(&f, &mut watch).await;
}

#[tokio::test]
async fn renames_move_keys_in_and_out_of_the_data() {
    let f = Fixture::new(&[("a.yaml", &yaml(&[("a/1", "1")]))]).await;
    let mut watch = f.store.watch(&[""], None).await.unwrap();

    // Renamed to a name that is not a data file: its keys go.
    std::fs::rename(f.data("a.yaml"), f.data("a.yaml.bak")).unwrap();
    let change = next_change(&mut watch).await;
    assert_eq!(
        (change.key.as_str(), change.kind),
        ("a/1", ChangeKind::Delete)
    );

    // Renamed back: they return.
    std::fs::rename(f.data("a.yaml.bak"), f.data("a.yaml")).unwrap();
    let change = next_change(&mut watch).await;
    assert_eq!((change.key.as_str(), change.kind), ("a/1", ChangeKind::Put));

    // An editor saving through a temporary file and a rename over the original.
    write(&f.data(".a.yaml.swp"), &yaml(&[("a/1", "2")]));
    std::fs::rename(f.data(".a.yaml.swp"), f.data("a.yaml")).unwrap();
    let change = next_change(&mut watch).await;
    assert_eq!(
        (change.key.as_str(), change.value.as_ref()),
        ("a/1", &b"2"[..])
    );
    assert_eq!(change.prev_value.as_deref(), Some(&b"1"[..]));
    expect_nothing_else(&f, &mut watch).await;
}

#[tokio::test]
async fn a_single_configured_file_is_watched_but_its_siblings_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("only.yaml");
    write(&file, &yaml(&[("k", "1")]));
    write(&dir.path().join("sibling.yaml"), &yaml(&[("s", "1")]));
    let store = cninfra_kv_filedb::FileDbStore::open(cninfra_kv_filedb::FileDbConfig {
        configuration_paths: vec![file.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(store.get("s").await.unwrap().is_none());
    let mut watch = store.watch(&[""], None).await.unwrap();
    write(&dir.path().join("sibling.yaml"), &yaml(&[("s", "2")]));
    write(&file, &yaml(&[("k", "2")]));
    let change = next_change(&mut watch).await;
    assert_eq!(
        (change.key.as_str(), change.value.as_ref()),
        ("k", &b"2"[..])
    );
    store.close().await.unwrap();
}
