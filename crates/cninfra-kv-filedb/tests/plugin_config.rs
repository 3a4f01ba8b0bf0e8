//! The `filedb` plugin: disabled without a config file, loads the data from `filedb.conf`,
//! and fails to start naming a missing configuration path.

use std::sync::Arc;

use cninfra_core::Agent;
use cninfra_kv::{ConnectionState, KvConnector, KvStore};
use cninfra_kv_filedb::FileDbPlugin;

fn agent(plugin: &Arc<FileDbPlugin>, config_dir: &std::path::Path) -> Agent {
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
    let filedb = FileDbPlugin::new();
    let running = agent(&filedb, dir.path()).start().await.unwrap();
    assert!(filedb.is_disabled() && filedb.store().unwrap().is_none());
    running.stop().await.unwrap();
}

#[tokio::test]
async fn filedb_conf_loads_the_files_and_stop_closes_the_store() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(
        dir.path().join("data/a.json"),
        r#"{"data": [{"key": "/vnf-agent/vpp1/config/a", "value": {"x": 1}}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("filedb.conf"),
        format!(
            "configuration-paths: [{}]\nstatus-path: {}\n",
            dir.path().join("data").display(),
            dir.path().join("out/status.json").display()
        ),
    )
    .unwrap();
    let filedb = FileDbPlugin::new();
    let running = agent(&filedb, dir.path()).start().await.unwrap();
    let store = filedb.store().unwrap().expect("enabled by filedb.conf");
    let a = store
        .get("/vnf-agent/vpp1/config/a")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.value, r#"{"x":1}"#);
    store
        .put(
            "/vnf-agent/vpp1/status/a",
            "\"ok\"".into(),
            Default::default(),
        )
        .await
        .unwrap();
    assert!(dir.path().join("out/status.json").is_file());
    running.stop().await.unwrap();
    assert_eq!(*filedb.connection().borrow(), ConnectionState::Closed);
    assert!(
        store
            .get("/vnf-agent/vpp1/config/a")
            .await
            .unwrap_err()
            .is_closed()
    );
}

#[tokio::test]
async fn a_missing_configuration_path_fails_the_start_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("filedb.conf"),
        "configuration-paths: [/no/such/dir]\n",
    )
    .unwrap();
    let err = agent(&FileDbPlugin::new(), dir.path())
        .start()
        .await
        .unwrap_err();
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    assert!(
        text.contains("filedb") && text.contains("/no/such/dir"),
        "{text}"
    );
}
