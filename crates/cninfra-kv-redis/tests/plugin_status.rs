//! The `redis` plugin: disabled without config; with a status check, a lost server turns
//! its status to ERROR and its return back to OK, and the connection state flips alike.

mod support;

use std::time::Duration;

use cninfra_core::Agent;
use cninfra_health::{State, StatusCheckPlugin};
use cninfra_kv::KvConnector;
use cninfra_kv_redis::{ConnectionState, RedisConfig, RedisPlugin};
use cninfra_testsupport::wait_for_state;
use support::RedisServer;
use support::ServerConfig as _;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_goes_error_when_redis_dies_and_ok_when_it_returns() {
    let mut server = RedisServer::start(&[]);
    let status = StatusCheckPlugin::new();
    let config = RedisConfig {
        dial_timeout: Duration::from_millis(500),
        read_timeout: Duration::from_millis(500),
        write_timeout: Duration::from_millis(500),
        ..server.config()
    };
    let redis = RedisPlugin::builder()
        .with_config(config)
        .with_check_interval(Duration::from_millis(100))
        .build();
    let running = cninfra_testsupport::start_agent(
        Agent::builder()
            .plugin(status.clone())
            .plugin(redis.clone()),
    )
    .await;
    let mut connection = redis.connection();
    let store = redis.kv().unwrap().expect("connected");
    store.get("k").await.unwrap();
    let redis_state = || status.plugin_status("redis").map(|s| s.state);

    wait_for_state("redis status", WAIT, Some(State::Ok), redis_state).await;
    server.kill();
    wait_for_state("redis status", WAIT, Some(State::Error), redis_state).await;
    let error = status.plugin_status("redis").and_then(|s| s.error);
    assert!(
        error.is_some_and(|e| e.contains("redis")),
        "the error names the store"
    );
    tokio::time::timeout(
        WAIT,
        connection.wait_for(|s| matches!(s, ConnectionState::Disconnected { .. })),
    )
    .await
    .expect("the connection state flips to disconnected")
    .unwrap();

    server.restart();
    wait_for_state("redis status", WAIT, Some(State::Ok), redis_state).await;
    tokio::time::timeout(WAIT, connection.wait_for(ConnectionState::is_connected))
        .await
        .expect("the connection state flips back")
        .unwrap();

    running.stop().await.unwrap();
}

#[tokio::test]
async fn without_config_the_plugin_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let redis = RedisPlugin::new();
    let running = Agent::builder()
        .plugin(redis.clone())
        .with_args(["test", "--config-dir", dir.path().to_str().unwrap()])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    assert!(redis.is_disabled());
    assert!(redis.store().unwrap().is_none() && redis.kv().unwrap().is_none());
    assert_eq!(*redis.connection().borrow(), ConnectionState::Disabled);
    running.stop().await.unwrap();
}

#[tokio::test]
async fn the_config_file_is_read_and_an_unreachable_server_fails_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let port = support::free_port();
    std::fs::write(
        dir.path().join("redis.conf"),
        format!("endpoint: 127.0.0.1:{port}\ndial-timeout: 300ms\n"),
    )
    .unwrap();
    let err = Agent::builder()
        .plugin(RedisPlugin::new())
        .with_args(["test", "--config-dir", dir.path().to_str().unwrap()])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    let text = format!("{err:#} {:?}", std::error::Error::source(&err));
    assert!(text.contains("redis"), "{text}");
    assert!(
        text.contains(&port.to_string()),
        "the error names the endpoint: {text}"
    );
}
