//! A file that fails to parse is reported with file and line and keeps its previous
//! values (no spurious deletes); fixing it applies the change.

mod fixture;

use cninfra_kv::{ChangeKind, KvStore};
use cninfra_kv_filedb::{FileDbError, FileDbStore};
use cninfra_testsupport::wait_until;
use fixture::{Fixture, WAIT, config, next_change, write, yaml};

#[tokio::test]
async fn a_malformed_edit_keeps_the_previous_values_and_names_file_and_line() {
    let f = Fixture::new(&[
        ("a.yaml", &yaml(&[("a/1", "1"), ("a/2", "2")])),
        ("b.yaml", &yaml(&[("b/1", "1")])),
    ])
    .await;
    let mut watch = f.store.watch(&[""], None).await.unwrap();

    // Line 4 misspells `value`.
    write(
        &f.data("a.yaml"),
        "data:\n  - key: a/1\n    value: 1\n  - key: a/2\n    vaule: 3\n",
    );
    wait_until("the problem is reported", WAIT, || {
        !f.store.problems().is_empty()
    })
    .await;
    let problem = &f.store.problems()[0];
    assert_eq!(
        problem.path,
        std::fs::canonicalize(f.data("a.yaml")).unwrap()
    );
    assert!(
        problem.line.is_some_and(|l| (4..=5).contains(&l)),
        "{problem}"
    );
    assert!(problem.message.contains("vaule"), "{problem}");
    assert_eq!(
        f.value("a/2").await.as_deref(),
        Some("2"),
        "previous values stay"
    );

    // No delete came: the next event is the one of another file.
    write(&f.data("b.yaml"), &yaml(&[("b/1", "10")]));
    let change = next_change(&mut watch).await;
    assert_eq!((change.key.as_str(), change.kind), ("b/1", ChangeKind::Put));

    // Fixed: the change applies and the problem is gone.
    write(&f.data("a.yaml"), &yaml(&[("a/1", "1"), ("a/2", "3")]));
    let change = next_change(&mut watch).await;
    assert_eq!(
        (change.key.as_str(), change.value.as_ref()),
        ("a/2", &b"3"[..])
    );
    assert!(f.store.problems().is_empty(), "{:?}", f.store.problems());
}

#[tokio::test]
async fn a_malformed_file_at_start_is_reported_and_loaded_once_fixed() {
    let f = Fixture::new(&[
        (
            "bad.json",
            "{\"data\": [\n  {\"key\": \"x\", \"value\": }\n]}",
        ),
        ("good.yaml", &yaml(&[("g", "1")])),
    ])
    .await;
    assert_eq!(f.value("g").await.as_deref(), Some("1"));
    let problems = f.store.problems();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].line, Some(2), "{}", problems[0]);
    assert!(
        problems[0].to_string().contains("bad.json:2:"),
        "{}",
        problems[0]
    );

    let mut watch = f.store.watch(&[""], None).await.unwrap();
    write(
        &f.data("bad.json"),
        r#"{"data": [{"key": "x", "value": true}]}"#,
    );
    let change = next_change(&mut watch).await;
    assert_eq!(
        (change.key.as_str(), change.value.as_ref()),
        ("x", &b"true"[..])
    );
    assert!(f.store.problems().is_empty());
}

#[tokio::test]
async fn an_emptied_file_keeps_its_values_until_it_has_content() {
    let f = Fixture::new(&[("a.yaml", &yaml(&[("a/1", "1")]))]).await;
    let mut watch = f.store.watch(&[""], None).await.unwrap();
    write(&f.data("a.yaml"), "");
    write(&f.data("b.yaml"), &yaml(&[("b/1", "1")]));
    let change = next_change(&mut watch).await;
    assert_eq!(
        change.key, "b/1",
        "no delete for the emptied file: {change:?}"
    );
    assert_eq!(f.value("a/1").await.as_deref(), Some("1"));
    // An explicit empty list does drop its keys.
    write(&f.data("a.yaml"), "data: []\n");
    let change = next_change(&mut watch).await;
    assert_eq!(
        (change.key.as_str(), change.kind),
        ("a/1", ChangeKind::Delete)
    );
}

#[tokio::test]
async fn a_malformed_status_file_fails_the_open_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    write(
        &dir.path().join("status.yaml"),
        "data:\n  - key: a\n    value: [1,\n",
    );
    let err = FileDbStore::open(config(dir.path())).await.unwrap_err();
    assert!(matches!(err, FileDbError::MalformedStatus(_)), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("status.yaml:"), "{text}");
    // The file was left as it was.
    let kept = std::fs::read_to_string(dir.path().join("status.yaml")).unwrap();
    assert!(kept.ends_with("[1,\n"));
}

#[tokio::test]
async fn a_missing_configuration_path_fails_the_open_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let err = FileDbStore::open(config(dir.path())).await.unwrap_err();
    assert!(
        matches!(err, FileDbError::ConfigurationPath { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains(dir.path().join("data").to_str().unwrap()),
        "{err}"
    );
}
