//! `max-msg-size` and `max-send-msg-size` hold for every service, whatever its own limits.

mod support;

use cninfra_grpc::GrpcConfig;
use cninfra_grpc_echo::EchoService;
use cninfra_grpc_echo::pb::echo_server::EchoServer;
use support::{say, try_start_with};
use tonic::Code;

#[tokio::test]
async fn messages_over_the_limits_are_refused() {
    let config = GrpcConfig {
        max_msg_size: 1000,
        max_send_msg_size: 2000,
        ..GrpcConfig::loopback()
    };
    // The service itself allows 4 MiB both ways: the limits below are the server's.
    let stack = try_start_with(Some(config), &[], |grpc| {
        grpc.add_service(EchoServer::new(EchoService))
    })
    .await
    .unwrap();
    let channel = stack.channel().await;

    assert!(say(&channel, &"a".repeat(900), None).await.is_ok());
    let status = say(&channel, &"b".repeat(1500), None).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
    assert!(status.message().contains("larger than max"), "{status}");

    // The request fits (3000 bytes is over the receive limit, so raise it), the reply does not.
    stack.agent.stop().await.unwrap();
    let config = GrpcConfig {
        max_send_msg_size: 2000,
        ..GrpcConfig::loopback()
    };
    let stack = try_start_with(Some(config), &[], |grpc| {
        grpc.add_service(EchoServer::new(EchoService))
    })
    .await
    .unwrap();
    let channel = stack.channel().await;
    assert!(say(&channel, &"c".repeat(1900), None).await.is_ok());
    let status = say(&channel, &"d".repeat(3000), None).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
    assert!(status.message().contains("send message larger"), "{status}");
    stack.agent.stop().await.unwrap();
}
