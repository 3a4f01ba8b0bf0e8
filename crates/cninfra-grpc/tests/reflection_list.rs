//! Server reflection as `grpcurl list` / `grpcurl describe` use it, with tonic-reflection's
//! client types.

mod support;

use cninfra_grpc::GrpcConfig;
use support::start;
use tonic::Code;
use tonic::transport::Channel;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};
use tonic_reflection::pb::v1alpha;

async fn ask(channel: &Channel, request: MessageRequest) -> Result<MessageResponse, tonic::Status> {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut answers = ServerReflectionClient::new(channel.clone())
        .server_reflection_info(futures::stream::iter([request]))
        .await?
        .into_inner();
    let answer: ServerReflectionResponse = answers.message().await?.expect("one answer");
    Ok(answer.message_response.expect("a response"))
}

#[tokio::test]
async fn lists_every_service_and_describes_the_example() {
    let stack = start(GrpcConfig::loopback()).await;
    let channel = stack.channel().await;

    let MessageResponse::ListServicesResponse(list) =
        ask(&channel, MessageRequest::ListServices(String::new()))
            .await
            .unwrap()
    else {
        panic!("not a service list");
    };
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "cninfra.example.v1.Echo",
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
        ]
    );

    let MessageResponse::FileDescriptorResponse(files) = ask(
        &channel,
        MessageRequest::FileContainingSymbol("cninfra.example.v1.Echo".into()),
    )
    .await
    .unwrap() else {
        panic!("not a file descriptor");
    };
    let file = files.file_descriptor_proto.first().expect("one file");
    let text = String::from_utf8_lossy(file);
    assert!(text.contains("cninfra/example/v1/example.proto"), "{text}");
    assert!(
        text.contains("Repeat") && text.contains("SayRequest"),
        "{text}"
    );

    // The older protocol version answers too (grpcurl falls back to it).
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut answers = v1alpha::server_reflection_client::ServerReflectionClient::new(channel)
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let answer = answers.message().await.unwrap().expect("an answer");
    assert!(matches!(
        answer.message_response,
        Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list))
            if list.service.iter().any(|s| s.name == "cninfra.example.v1.Echo")
    ));
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn reflection_can_be_turned_off() {
    let stack = start(GrpcConfig {
        reflection: false,
        ..GrpcConfig::loopback()
    })
    .await;
    let status = ask(
        &stack.channel().await,
        MessageRequest::ListServices(String::new()),
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
    stack.agent.stop().await.unwrap();
}
