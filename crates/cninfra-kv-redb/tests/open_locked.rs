//! One holder per file: a second store (in this process or another) gets a clear error
//! naming the file, or waits up to `lock-timeout`; closing releases the file.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use cninfra_kv::KvStore;
use cninfra_kv_redb::{RedbConfig, RedbError, RedbStore};

const CHILD: &str = env!("CARGO_BIN_EXE_redb-test-child");

/// Starts a child holding the store at `path`, once it has it open.
fn child_holding(path: &std::path::Path) -> Child {
    let mut child = Command::new(CHILD)
        .args(["hold", path.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(line.trim(), "open");
    child
}

#[tokio::test]
async fn a_second_store_in_this_process_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.redb");
    let first = RedbStore::open(RedbConfig::at(&path)).await.unwrap();
    let err = RedbStore::open(RedbConfig::at(&path)).await.unwrap_err();
    assert!(err.is_locked(), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains(path.to_str().unwrap()) && text.contains("in use"),
        "{text}"
    );

    first.close().await.unwrap();
    let again = RedbStore::open(RedbConfig::at(&path)).await.unwrap();
    again.close().await.unwrap();
}

#[tokio::test]
async fn another_process_holding_the_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.redb");
    let mut child = child_holding(&path);

    let config = RedbConfig {
        lock_timeout: Duration::from_millis(200),
        ..RedbConfig::at(&path)
    };
    let err = RedbStore::open(config).await.unwrap_err();
    match &err {
        RedbError::Locked { path: p, waited } => {
            assert_eq!(p, &path);
            assert!(*waited >= Duration::from_millis(200), "{waited:?}");
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
}

#[tokio::test]
async fn lock_timeout_waits_for_the_other_process_to_let_go() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.redb");
    let mut child = child_holding(&path);
    let stdin = child.stdin.take().unwrap();

    let config = RedbConfig {
        lock_timeout: Duration::from_secs(20),
        ..RedbConfig::at(&path)
    };
    let opening = tokio::spawn(RedbStore::open(config));
    // Still waiting while the child holds the file...
    tokio::task::yield_now().await;
    assert!(!opening.is_finished());
    // ...and open once it lets go.
    drop(stdin);
    assert!(child.wait().unwrap().success());
    let store = opening.await.unwrap().unwrap();
    assert_eq!(store.revision().await.unwrap(), 0);
    store.close().await.unwrap();
}
