//! gRPC needs the status check but not Prometheus (hence no HTTP server): without a
//! Prometheus plugin the server serves, health answers, and `prometheus-metrics` only
//! warns.

mod support;

use cninfra_core::Agent;
use cninfra_grpc::{GrpcConfig, GrpcPlugin};
use cninfra_grpc_echo::EchoService;
use cninfra_health::StatusCheckPlugin;
use support::{App, say, tcp_channel};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

#[tokio::test]
async fn serves_and_answers_health_with_the_status_check_only() {
    let grpc = GrpcPlugin::builder()
        .with_config(GrpcConfig {
            prometheus_metrics: true,
            ..GrpcConfig::loopback()
        })
        .build();
    let agent = Agent::builder()
        .plugin(App::new(grpc.clone(), EchoService::register))
        .plugin(StatusCheckPlugin::new())
        .with_args(["test"])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap();
    assert_eq!(agent.plugin_names(), ["status-check", "grpc", "app"]);
    let running = agent.start().await.unwrap();
    let channel = tcp_channel(grpc.local_addr().expect("bound on TCP")).await;
    assert_eq!(say(&channel, "hi", None).await.unwrap().message, "hi");
    let health = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .unwrap();
    assert_eq!(health.into_inner().status, 1, "SERVING");
    running.stop().await.unwrap();
}

#[test]
fn without_the_status_check_the_agent_does_not_build() {
    let err = Agent::builder()
        .plugin(GrpcPlugin::new())
        .with_args(["test"])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("grpc") && err.contains("StatusCheckPlugin"),
        "{err}"
    );
}
