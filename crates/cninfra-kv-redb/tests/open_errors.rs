//! Opening errors name the file; a created file gets exactly the configured mode.

use std::os::unix::fs::PermissionsExt;

use cninfra_kv::KvStore;
use cninfra_kv_redb::{RedbConfig, RedbError, RedbStore};

#[tokio::test]
async fn a_file_that_is_not_a_redb_database_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "this is not a database, just some text ".repeat(200)).unwrap();
    let err = RedbStore::open(RedbConfig::at(&path)).await.unwrap_err();
    assert!(matches!(err, RedbError::Open { .. }), "{err:?}");
    assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");
    // The file was left alone.
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("this is not")
    );
}

#[tokio::test]
async fn a_path_below_a_regular_file_cannot_be_created() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("plain-file");
    std::fs::write(&blocker, "x").unwrap();
    let path = blocker.join("kv.redb");
    let err = RedbStore::open(RedbConfig::at(&path)).await.unwrap_err();
    assert!(matches!(err, RedbError::Create { .. }), "{err:?}");
    assert!(err.to_string().contains(path.to_str().unwrap()), "{err}");
}

#[tokio::test]
async fn an_empty_path_is_refused() {
    let err = RedbStore::open(RedbConfig::at("")).await.unwrap_err();
    assert!(matches!(err, RedbError::EmptyPath), "{err:?}");
}

#[tokio::test]
async fn a_new_file_gets_exactly_the_configured_mode_and_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    for mode in [0o600, 0o664] {
        let path = dir.path().join(format!("sub/dir/{mode:o}.redb"));
        let config = RedbConfig {
            file_mode: mode,
            ..RedbConfig::at(&path)
        };
        let store = RedbStore::open(config).await.unwrap();
        let got = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(got, mode, "mode of {}", path.display());
        store.close().await.unwrap();
    }
}

#[tokio::test]
async fn an_existing_file_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kv.redb");
    let store = RedbStore::open(RedbConfig::at(&path)).await.unwrap();
    store.close().await.unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let config = RedbConfig {
        file_mode: 0o666,
        ..RedbConfig::at(&path)
    };
    let store = RedbStore::open(config).await.unwrap();
    let got = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(got, 0o600);
    store.close().await.unwrap();
}
