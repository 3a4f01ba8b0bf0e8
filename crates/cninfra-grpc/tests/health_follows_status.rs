//! The standard health service follows the status check: SERVING only while the agent is OK.

mod support;

use std::time::Duration;

use cninfra_grpc::GrpcConfig;
use cninfra_health::State;
use support::start;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

fn request(service: &str) -> HealthCheckRequest {
    HealthCheckRequest {
        service: service.to_owned(),
    }
}

#[tokio::test]
async fn check_and_watch_flip_with_the_agent_state() {
    let stack = start(GrpcConfig::loopback()).await;
    let mut health = HealthClient::new(stack.channel().await);
    let check = async |health: &mut HealthClient<_>, service: &str| {
        health
            .check(request(service))
            .await
            .map(|r| r.into_inner().status)
    };
    let serving = ServingStatus::Serving as i32;
    let not_serving = ServingStatus::NotServing as i32;

    assert_eq!(check(&mut health, "").await.unwrap(), serving);
    assert_eq!(
        check(&mut health, "cninfra.example.v1.Echo").await.unwrap(),
        serving
    );
    let unknown = check(&mut health, "no.Such").await.unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);

    let mut watch = health.watch(request("")).await.unwrap().into_inner();
    assert_eq!(watch.message().await.unwrap().unwrap().status, serving);

    // A plugin in ERROR makes the agent not OK.
    stack.status.register("db", None);
    assert_eq!(watch.message().await.unwrap().unwrap().status, not_serving);
    stack
        .status
        .report_state_change("db", State::Error, Some("connection refused".into()))
        .unwrap();
    assert_eq!(check(&mut health, "").await.unwrap(), not_serving);
    assert_eq!(
        check(&mut health, "cninfra.example.v1.Echo").await.unwrap(),
        not_serving
    );

    stack
        .status
        .report_state_change("db", State::Ok, None)
        .unwrap();
    assert_eq!(watch.message().await.unwrap().unwrap().status, serving);
    assert_eq!(check(&mut health, "").await.unwrap(), serving);

    // Stopping: watchers hear NOT_SERVING and their stream ends, so the stop is not held up.
    let stopping = tokio::spawn(stack.agent.stop());
    assert_eq!(watch.message().await.unwrap().unwrap().status, not_serving);
    assert!(watch.message().await.unwrap_or(None).is_none());
    // Well within the 10 s drain limit: the open watch did not hold the stop up.
    tokio::time::timeout(Duration::from_secs(5), stopping)
        .await
        .expect("stop is not held up by the watch")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn health_can_be_turned_off() {
    let stack = start(GrpcConfig {
        health: false,
        ..GrpcConfig::loopback()
    })
    .await;
    let mut health = HealthClient::new(stack.channel().await);
    let status = health.check(request("")).await.unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    stack.agent.stop().await.unwrap();
}
