//! The `consul` plugin: disabled without config, its file chosen by `CONSUL_CONFIG` or
//! `--consul-config` as upstream, and its status ERROR while the agent is away, OK again
//! when it is back.

use std::time::Duration;

use cninfra_core::Agent;
use cninfra_health::{State, StatusCheckPlugin};
use cninfra_kv::{KvConnector, KvStore, PutOptions};
use cninfra_kv_consul::testserver::ConsulTestServer;
use cninfra_kv_consul::{ConsulConfig, ConsulPlugin};
use cninfra_testsupport::wait_for_state;

fn write_config(dir: &tempfile::TempDir, name: &str, server: &ConsulTestServer) -> String {
    let path = dir.path().join(name);
    std::fs::write(
        &path,
        format!("address: {}\nrequest-timeout: 2s\n", server.address()),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn without_config_the_plugin_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let consul = ConsulPlugin::new();
    let running = Agent::builder()
        .plugin(consul.clone())
        .with_args(["test", "--config-dir", dir.path().to_str().unwrap()])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    assert!(consul.is_disabled());
    assert!(consul.store().unwrap().is_none() && consul.kv().unwrap().is_none());
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_config_file_is_chosen_by_variable_or_flag() {
    let server = ConsulTestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let by_env = write_config(&dir, "from-env.conf", &server);
    let by_flag = write_config(&dir, "from-flag.conf", &server);
    for (args, env) in [
        (
            vec!["test".to_owned()],
            vec![("CONSUL_CONFIG".to_owned(), by_env.clone())],
        ),
        (
            vec!["test".to_owned(), format!("--consul-config={by_flag}")],
            vec![],
        ),
    ] {
        let consul = ConsulPlugin::new();
        let running = Agent::builder()
            .plugin(consul.clone())
            .with_args(args)
            .with_env(env)
            .build()
            .unwrap()
            .start()
            .await
            .unwrap();
        let store = consul.kv().unwrap().expect("enabled by its config file");
        store
            .put("/p/k", "v".into(), PutOptions::default())
            .await
            .unwrap();
        running.stop().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_goes_error_while_the_agent_is_away() {
    let mut server = ConsulTestServer::start().await.unwrap();
    let status = StatusCheckPlugin::new();
    let consul = ConsulPlugin::builder()
        .with_config(ConsulConfig {
            request_timeout: Duration::from_millis(500),
            ..ConsulConfig::new(server.address().to_string())
        })
        .with_check_interval(Duration::from_millis(100))
        .build();
    let running =
        cninfra_testsupport::start_agent(Agent::builder().plugin(status.clone()).plugin(consul))
            .await;
    let consul_state = || status.plugin_status("consul").map(|s| s.state);
    let wait = Duration::from_secs(20);
    wait_for_state("consul status", wait, Some(State::Ok), consul_state).await;
    server.halt().await;
    wait_for_state("consul status", wait, Some(State::Error), consul_state).await;
    server.resume().await.unwrap();
    wait_for_state("consul status", wait, Some(State::Ok), consul_state).await;
    running.stop().await.unwrap();
}
