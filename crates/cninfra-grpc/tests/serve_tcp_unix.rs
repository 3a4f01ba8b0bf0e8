//! Calls over TCP and over a unix socket with a real tonic client.

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::time::Duration;

use cninfra_grpc::{GrpcConfig, Network};
use cninfra_grpc_echo::EchoService;
use cninfra_grpc_echo::pb::RepeatRequest;
use cninfra_grpc_echo::pb::echo_client::EchoClient;
use support::{error_chain, say, start, try_start_with, unix_channel};

#[tokio::test]
async fn unary_and_streaming_calls_over_tcp() {
    let stack = start(GrpcConfig::loopback()).await;
    let channel = stack.channel().await;

    let reply = say(&channel, "hello", None).await.unwrap();
    assert_eq!(reply.message, "hello");
    assert_eq!(reply.caller, "", "no authentication configured");

    let mut stream = EchoClient::new(channel)
        .repeat(RepeatRequest {
            message: "tick".into(),
            count: 3,
            interval_ms: 1,
        })
        .await
        .unwrap()
        .into_inner();
    let mut sequences = Vec::new();
    while let Some(reply) = stream.message().await.unwrap() {
        assert_eq!(reply.message, "tick");
        sequences.push(reply.sequence);
    }
    assert_eq!(sequences, [0, 1, 2]);
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn calls_over_a_unix_socket_with_its_mode_and_cleanup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/dir/grpc.sock");
    let stack = start(GrpcConfig {
        endpoint: path.display().to_string(),
        network: Network::Unix,
        permission: 660,
        ..GrpcConfig::default()
    })
    .await;
    assert_eq!(stack.grpc.socket_path().as_deref(), Some(path.as_path()));
    assert_eq!(stack.grpc.local_addr(), None);
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o660, "socket mode from `permission: 660`");

    let channel = unix_channel(&path).await.unwrap();
    assert_eq!(
        say(&channel, "over uds", None).await.unwrap().message,
        "over uds"
    );

    stack.agent.stop().await.unwrap();
    assert!(!path.exists(), "the socket file is removed on stop");
}

#[tokio::test]
async fn a_file_at_the_socket_path_needs_force_socket_removal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grpc.sock");
    std::fs::write(&path, "stale").unwrap();
    let config = GrpcConfig {
        endpoint: path.display().to_string(),
        network: Network::Unix,
        ..GrpcConfig::default()
    };

    let err = try_start_with(Some(config.clone()), &[], |grpc| {
        EchoService::register(grpc)
    })
    .await
    .unwrap_err();
    let text = error_chain(&err);
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("force-socket-removal"), "{text}");

    let forced = GrpcConfig {
        force_socket_removal: true,
        ..config
    };
    let stack = try_start_with(Some(forced), &[], EchoService::register)
        .await
        .unwrap();
    let channel = unix_channel(&path).await.unwrap();
    assert_eq!(
        say(&channel, "replaced", None).await.unwrap().message,
        "replaced"
    );
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn stream_limit_and_keepalive_settings_serve_calls() {
    let mut config = GrpcConfig::loopback();
    config.max_concurrent_streams = 2;
    config.keepalive.interval = Duration::from_millis(200);
    config.keepalive.timeout = Duration::from_secs(1);
    let stack = start(config).await;
    let channel = stack.channel().await;
    // The first call lets the client learn the server's stream limit (calls sent before
    // its SETTINGS frame arrives may be refused with REFUSED_STREAM).
    say(&channel, "first", None).await.unwrap();
    // Three calls at once on one connection, two streams allowed: the client queues the
    // third, all complete.
    let calls = (0..3).map(|n| {
        let channel = channel.clone();
        async move { say(&channel, &format!("call {n}"), None).await }
    });
    for reply in futures::future::join_all(calls).await {
        reply.unwrap();
    }
    stack.agent.stop().await.unwrap();
}
