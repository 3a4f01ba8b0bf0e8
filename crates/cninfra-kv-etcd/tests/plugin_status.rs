//! The `etcd` plugin in an agent: disabled without a config file, a failed start naming
//! the endpoints, the status check following the connection (ERROR while etcd is down,
//! OK when it is back), a delayed start, endpoints from the environment.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, RunningAgent};
use cninfra_health::{State, StatusCheckPlugin};
use cninfra_kv::{KvConnector, KvStore, PutOptions};
use cninfra_kv_etcd::{ConnectionState, EtcdPlugin};
use cninfra_testsupport::{error_chain, wait_for_state};
use support::EtcdServer;

const WAIT: Duration = Duration::from_secs(15);

fn write_config(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("etcd.conf");
    std::fs::write(&path, text).unwrap();
    path
}

/// Quick checks so that the tests need not wait long.
fn config_text(endpoint: &str, extra: &str) -> String {
    format!(
        "endpoints: [\"{endpoint}\"]\ndial-timeout: 1s\noperation-timeout: 500ms\n\
         reconnect-interval: 100ms\n{extra}"
    )
}

async fn start(
    plugin: Arc<EtcdPlugin>,
    config: Option<&Path>,
    dir: &Path,
) -> Result<RunningAgent, cninfra_core::AgentError> {
    start_with(plugin, None, config, dir, Vec::new()).await
}

/// An agent with the plugin, a status check if given, and only the environment `env`.
async fn start_with(
    plugin: Arc<EtcdPlugin>,
    status: Option<Arc<StatusCheckPlugin>>,
    config: Option<&Path>,
    dir: &Path,
    env: Vec<(String, String)>,
) -> Result<RunningAgent, cninfra_core::AgentError> {
    let mut args = vec![
        "test".to_owned(),
        "--config-dir".to_owned(),
        dir.display().to_string(),
    ];
    if let Some(path) = config {
        args.extend(["--etcd-config".to_owned(), path.display().to_string()]);
    }
    let mut builder = Agent::builder();
    if let Some(status) = status {
        builder = builder.plugin(status);
    }
    builder
        .plugin(plugin)
        .with_args(args)
        .with_env(env)
        .build()?
        .start()
        .await
}

fn etcd_state(status: &StatusCheckPlugin) -> (State, Option<String>) {
    let found = status.plugin_status("etcd").expect("etcd registered");
    (found.state, found.error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_goes_error_then_ok_across_an_etcd_restart() {
    let mut server = EtcdServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), &config_text(&server.endpoint(), ""));
    let status = StatusCheckPlugin::new();
    let etcd = EtcdPlugin::new();
    let agent = start_with(
        etcd.clone(),
        Some(status.clone()),
        Some(&path),
        dir.path(),
        Vec::new(),
    )
    .await
    .unwrap();
    assert_eq!(etcd_state(&status), (State::Ok, None));
    assert_eq!(*etcd.connection().borrow(), ConnectionState::Connected);
    let mut connection = etcd.connection();

    server.kill();
    wait_for_state("etcd status", WAIT, State::Error, || etcd_state(&status).0).await;
    let (_, error) = etcd_state(&status);
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("etcd connection lost")),
        "{error:?}"
    );
    let health = status.health(&[]);
    assert!(
        health.live && !health.ready,
        "losing etcd fails readiness only"
    );
    assert!(matches!(
        *connection.borrow_and_update(),
        ConnectionState::Disconnected { .. }
    ));

    server.run().await;
    wait_for_state("etcd status", WAIT, State::Ok, || etcd_state(&status).0).await;
    assert_eq!(
        *connection.borrow_and_update(),
        ConnectionState::Reconnected { resync: true }
    );
    let store = etcd.store().unwrap().unwrap();
    store
        .put("/plugin/a", "1".into(), PutOptions::default())
        .await
        .unwrap();

    agent.stop().await.unwrap();
    assert_eq!(*etcd.connection().borrow(), ConnectionState::Closed);
    assert!(store.get("/plugin/a").await.unwrap_err().is_closed());
}

#[tokio::test]
async fn no_config_file_disables_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let status = StatusCheckPlugin::new();
    let etcd = EtcdPlugin::new();
    assert!(etcd.store().is_err(), "not ready before init");
    assert!(!etcd.is_disabled(), "disabled means: init found no config");
    let agent = start_with(
        etcd.clone(),
        Some(status.clone()),
        None,
        dir.path(),
        Vec::new(),
    )
    .await
    .unwrap();
    assert!(etcd.is_disabled() && etcd.store().unwrap().is_none() && etcd.kv().unwrap().is_none());
    assert_eq!(*etcd.connection().borrow(), ConnectionState::Disabled);
    assert!(
        status.plugin_status("etcd").is_none(),
        "a disabled plugin does not register"
    );
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn unreachable_etcd_fails_the_start_naming_the_endpoints() {
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("127.0.0.1:{}", support::free_port());
    let text = format!("endpoints: [\"{endpoint}\"]\ndial-timeout: 300ms\n");
    let path = write_config(dir.path(), &text);
    let err = start(EtcdPlugin::new(), Some(&path), dir.path())
        .await
        .unwrap_err();
    let chain = error_chain(&err);
    assert!(
        chain.contains("etcd") && chain.contains(&endpoint),
        "{chain}"
    );
    assert!(chain.contains("300ms"), "{chain}");
}

#[tokio::test]
async fn a_missing_tls_file_fails_the_start_even_with_delayed_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing-ca.pem");
    let extra = format!(
        "allow-delayed-start: true\nca-file: {}\n",
        missing.display()
    );
    let path = write_config(dir.path(), &config_text("127.0.0.1:1", &extra));
    let err = start(EtcdPlugin::new(), Some(&path), dir.path())
        .await
        .unwrap_err();
    let chain = error_chain(&err);
    assert!(
        chain.contains("ca-file") && chain.contains("missing-ca.pem"),
        "{chain}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_start_connects_when_etcd_appears() {
    let mut server = EtcdServer::new();
    let dir = tempfile::tempdir().unwrap();
    let text = config_text(&server.endpoint(), "allow-delayed-start: true\n");
    let path = write_config(dir.path(), &text);
    let status = StatusCheckPlugin::new();
    let etcd = EtcdPlugin::new();
    let agent = start_with(
        etcd.clone(),
        Some(status.clone()),
        Some(&path),
        dir.path(),
        Vec::new(),
    )
    .await
    .unwrap();

    assert_eq!(*etcd.connection().borrow(), ConnectionState::Connecting);
    assert_eq!(etcd_state(&status).0, State::Error);
    let store = etcd
        .store()
        .unwrap()
        .expect("the store exists before etcd does");
    let err = store.get("/late/a").await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");

    server.run().await;
    wait_for_state("etcd status", WAIT, State::Ok, || etcd_state(&status).0).await;
    assert_eq!(*etcd.connection().borrow(), ConnectionState::Connected);
    let revision = store
        .put("/late/a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        store.get("/late/a").await.unwrap().map(|v| v.revision),
        Some(revision)
    );
    agent.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_come_from_the_environment_when_the_config_has_none() {
    let endpoint = support::shared_endpoint();
    let dir = tempfile::tempdir().unwrap();
    let path = write_config(dir.path(), "dial-timeout: 2s\n");
    let etcd = EtcdPlugin::new();
    let env = vec![("ETCD_ENDPOINTS".to_owned(), endpoint.clone())];
    let agent = start_with(etcd.clone(), None, Some(&path), dir.path(), env)
        .await
        .unwrap();
    let kv = etcd.kv().unwrap().expect("enabled");
    assert!(kv.name().contains(&endpoint), "{}", kv.name());
    kv.revision().await.unwrap();
    agent.stop().await.unwrap();
}
