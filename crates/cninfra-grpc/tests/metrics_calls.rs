//! Prometheus metrics of calls: counts by method and code, a latency histogram.

mod support;

use cninfra_grpc::{AuthConfig, GrpcConfig};
use cninfra_grpc_echo::pb::RepeatRequest;
use cninfra_grpc_echo::pb::echo_client::EchoClient;
use support::{say, start};

const TOKEN: &str = "Bearer t0ken";

fn line_value(metrics: &str, prefix: &str) -> Option<f64> {
    metrics
        .lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

#[tokio::test]
async fn calls_are_counted_by_method_and_code_and_timed() {
    let stack = start(GrpcConfig {
        prometheus_metrics: true,
        extended_logging: true,
        auth: AuthConfig {
            token: "t0ken".into(),
            ..AuthConfig::default()
        },
        ..GrpcConfig::loopback()
    })
    .await;
    let channel = stack.channel().await;
    say(&channel, "a", Some(TOKEN)).await.unwrap();
    say(&channel, "b", Some(TOKEN)).await.unwrap();
    say(&channel, "c", None).await.unwrap_err();
    let mut request = tonic::Request::new(RepeatRequest {
        message: "x".into(),
        count: 5000,
        interval_ms: 0,
    });
    request
        .metadata_mut()
        .insert("authorization", TOKEN.parse().unwrap());
    EchoClient::new(channel.clone())
        .repeat(request)
        .await
        .unwrap_err();
    // A path no service has: counted, under `unknown`.
    let odd = tonic::Request::new(RepeatRequest::default());
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.unwrap();
    let unknown = grpc
        .unary::<_, RepeatRequest, _>(
            odd,
            "/no.Such/Thing".parse().unwrap(),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::Unauthenticated);

    let text = stack.prometheus.encode().unwrap();
    let say = r#"grpc_service="cninfra.example.v1.Echo",grpc_method="Say""#;
    let repeat = r#"grpc_service="cninfra.example.v1.Echo",grpc_method="Repeat""#;
    let value = |prefix: String| line_value(&text, &prefix);
    assert_eq!(
        value(format!("grpc_server_started_total{{{say}}}")),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        value(format!(
            r#"grpc_server_handled_total{{{say},grpc_code="OK"}}"#
        )),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        value(format!(
            r#"grpc_server_handled_total{{{say},grpc_code="Unauthenticated"}}"#
        )),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(format!(
            r#"grpc_server_handled_total{{{repeat},grpc_code="InvalidArgument"}}"#
        )),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(format!("grpc_server_handling_seconds_count{{{say}}}")),
        Some(3.0),
        "{text}"
    );
    assert_eq!(
        value(r#"grpc_server_started_total{grpc_service="unknown",grpc_method="unknown"}"#.into()),
        Some(1.0),
        "{text}"
    );
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn without_the_switch_no_metrics_are_registered() {
    let stack = start(GrpcConfig::loopback()).await;
    say(&stack.channel().await, "a", None).await.unwrap();
    let text = stack.prometheus.encode().unwrap();
    assert!(!text.contains("grpc_server"), "{text}");
    stack.agent.stop().await.unwrap();
}
