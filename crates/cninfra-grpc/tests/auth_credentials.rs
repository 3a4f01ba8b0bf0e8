//! Basic and bearer authentication: calls without valid credentials get UNAUTHENTICATED.

mod support;

use base64::Engine as _;
use cninfra_grpc::{AuthConfig, GrpcConfig};
use support::{say, start};
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

fn basic(pair: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

#[tokio::test]
async fn calls_need_valid_credentials() {
    let stack = start(GrpcConfig {
        auth: AuthConfig {
            username: "admin".into(),
            password: "pa55".into(),
            token: "t0ken".into(),
        },
        ..GrpcConfig::loopback()
    })
    .await;
    let channel = stack.channel().await;

    let refused = [
        None,
        Some("Bearer wrong".to_owned()),
        Some(basic("admin:wrong")),
        Some(basic("root:pa55")),
        Some("Token t0ken".to_owned()),
    ];
    for authorization in refused {
        let status = say(&channel, "hi", authorization.as_deref())
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            Code::Unauthenticated,
            "{authorization:?}: {status}"
        );
    }

    let reply = say(&channel, "hi", Some("Bearer t0ken")).await.unwrap();
    assert_eq!(reply.caller, "admin");
    let reply = say(&channel, "hi", Some(&basic("admin:pa55")))
        .await
        .unwrap();
    assert_eq!(reply.caller, "admin");

    // Probes cannot send credentials: the health service needs none.
    let health = HealthClient::new(channel)
        .check(HealthCheckRequest::default())
        .await
        .unwrap();
    assert_eq!(health.into_inner().status, 1, "SERVING");
    stack.agent.stop().await.unwrap();
}
