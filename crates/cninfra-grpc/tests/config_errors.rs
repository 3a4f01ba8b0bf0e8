//! Without `grpc.conf` the plugin is disabled; with it, it serves; a busy port fails the
//! start naming the endpoint.

mod support;

use cninfra_grpc::GrpcConfig;
use cninfra_grpc_echo::EchoService;
use support::{error_chain, say, tcp_channel, try_start_with};

#[tokio::test]
async fn without_a_config_file_the_plugin_is_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let config_dir = dir.path().display().to_string();
    let stack = try_start_with(None, &["--config-dir", &config_dir], EchoService::register)
        .await
        .unwrap();
    assert!(stack.grpc.is_disabled());
    assert_eq!(stack.grpc.local_addr(), None);
    assert!(!stack.grpc.is_tls());
    // Services added later are dropped quietly too.
    stack
        .grpc
        .add_service(EchoService::server(&stack.grpc))
        .unwrap();
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_config_file_in_the_config_dir_turns_the_server_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grpc.conf"),
        "endpoint: 127.0.0.1:0\nmax-msg-size: 8388608\n",
    )
    .unwrap();
    let config_dir = dir.path().display().to_string();
    let stack = try_start_with(None, &["--config-dir", &config_dir], EchoService::register)
        .await
        .unwrap();
    assert!(!stack.grpc.is_disabled());
    assert_eq!(stack.grpc.max_recv_msg_size(), 8 << 20);
    let channel = tcp_channel(stack.addr()).await;
    assert_eq!(
        say(&channel, "configured", None).await.unwrap().message,
        "configured"
    );

    // Services cannot be added once the server serves.
    let err = stack
        .grpc
        .add_service(EchoService::server(&stack.grpc))
        .unwrap_err();
    assert!(err.to_string().contains("cninfra.example.v1.Echo"), "{err}");
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_port_in_use_fails_the_start_naming_the_endpoint() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = taken.local_addr().unwrap().to_string();
    let config = GrpcConfig {
        endpoint: endpoint.clone(),
        ..GrpcConfig::default()
    };
    let err = try_start_with(Some(config), &[], |_| Ok(()))
        .await
        .unwrap_err();
    let text = error_chain(&err);
    assert!(text.contains("grpc"), "{text}");
    assert!(text.contains(&endpoint), "{text}");
    assert!(text.to_lowercase().contains("in use"), "{text}");
}

#[tokio::test]
async fn a_bad_config_value_fails_the_start_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("grpc.conf"),
        "endpoint: 127.0.0.1:0\nnetwork: udp\n",
    )
    .unwrap();
    let config_dir = dir.path().display().to_string();
    let err = try_start_with(None, &["--config-dir", &config_dir], |_| Ok(()))
        .await
        .unwrap_err();
    let text = error_chain(&err);
    assert!(text.contains("grpc.conf:2"), "{text}");
    assert!(text.contains("udp"), "{text}");

    let packet = GrpcConfig {
        endpoint: "/tmp/x.sock".into(),
        network: cninfra_grpc::Network::Unixpacket,
        ..GrpcConfig::default()
    };
    let err = try_start_with(Some(packet), &[], |_| Ok(()))
        .await
        .unwrap_err();
    assert!(
        error_chain(&err).contains("unixpacket"),
        "{}",
        error_chain(&err)
    );
}
