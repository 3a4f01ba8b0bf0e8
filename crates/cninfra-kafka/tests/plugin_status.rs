//! The `kafka` plugin: disabled without config, clear error for unreachable brokers, status.

mod support;

use std::time::{Duration, Instant};

use cninfra_core::Agent;
use cninfra_health::{State, StatusCheckPlugin};
use cninfra_kafka::{KafkaConfig, KafkaPlugin, Multiplexer};

#[tokio::test]
async fn without_config_the_plugin_is_disabled() {
    let kafka = KafkaPlugin::new();
    let running = cninfra_testsupport::start_agent(Agent::builder().plugin(kafka.clone())).await;
    assert!(kafka.is_disabled());
    running.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_brokers_fail_in_time_naming_them() {
    let config = KafkaConfig {
        addrs: vec!["127.0.0.1:1".into()],
        timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let started = Instant::now();
    let err = Multiplexer::connect(config, "g").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    assert!(err.to_string().contains("127.0.0.1:1"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_reachability_feeds_the_status_check() {
    let status = StatusCheckPlugin::new();
    let kafka = KafkaPlugin::builder()
        .with_config(support::config(&support::broker()))
        .with_check_interval(Duration::from_millis(100))
        .build();
    let running = cninfra_testsupport::start_agent(
        Agent::builder()
            .plugin(status.clone())
            .plugin(kafka.clone()),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while status.plugin_status("kafka").map(|s| s.state) != Some(State::Ok) {
        assert!(
            Instant::now() < deadline,
            "kafka never reported OK: {:?}",
            status.plugin_status("kafka")
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(kafka.multiplexer().unwrap().is_some());
    running.stop().await.unwrap();
}
