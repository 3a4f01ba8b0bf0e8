//! The `redb` plugin: disabled without a config file, opens the store from `redb.conf`,
//! releases the file on stop, and fails to start naming the file when it is held.

use std::sync::Arc;

use cninfra_core::Agent;
use cninfra_kv::{ConnectionState, KvConnector, KvStore};
use cninfra_kv_redb::{RedbConfig, RedbPlugin, RedbStore};

fn agent(plugin: &Arc<RedbPlugin>, config_dir: &std::path::Path) -> Agent {
    Agent::builder()
        .plugin(Arc::clone(plugin))
        .with_args(["test", "--config-dir", config_dir.to_str().unwrap()])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
}

#[tokio::test]
async fn without_a_config_file_the_plugin_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let redb = RedbPlugin::new();
    let running = agent(&redb, dir.path()).start().await.unwrap();
    assert!(redb.is_disabled() && redb.store().unwrap().is_none());
    assert_eq!(*redb.connection().borrow(), ConnectionState::Disabled);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn redb_conf_opens_the_store_and_stop_releases_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data/kv.redb");
    std::fs::write(
        dir.path().join("redb.conf"),
        format!("db-path: {}\nfile-mode: 384\n", db.display()),
    )
    .unwrap();
    let redb = RedbPlugin::new();
    let running = agent(&redb, dir.path()).start().await.unwrap();
    let store = redb.store().unwrap().expect("enabled by redb.conf");
    assert_eq!(store.path(), db);
    assert_eq!(*redb.connection().borrow(), ConnectionState::Connected);
    let rev = store
        .put("a", "1".into(), Default::default())
        .await
        .unwrap();
    running.stop().await.unwrap();
    assert_eq!(*redb.connection().borrow(), ConnectionState::Closed);
    assert!(store.get("a").await.unwrap_err().is_closed());

    let reopened = RedbStore::open(RedbConfig::at(&db)).await.unwrap();
    assert_eq!(
        reopened.get("a").await.unwrap().map(|v| v.revision),
        Some(rev)
    );
    reopened.close().await.unwrap();
}

#[tokio::test]
async fn a_held_file_fails_the_start_naming_the_plugin_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kv.redb");
    let holder = RedbStore::open(RedbConfig::at(&db)).await.unwrap();
    let redb = RedbPlugin::builder()
        .with_config(RedbConfig::at(&db))
        .build();
    let err = agent(&redb, dir.path()).start().await.unwrap_err();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    assert!(
        text.contains("redb") && text.contains(db.to_str().unwrap()),
        "{text}"
    );
    assert!(text.contains("in use"), "{text}");
    holder.close().await.unwrap();
}
