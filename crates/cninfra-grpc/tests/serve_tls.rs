//! TLS and mutual TLS with certificates generated in the test.

mod support;

use cninfra_grpc::{AuthConfig, GrpcConfig};
use support::{GrpcPki as _, TlsFiles, error_chain, say, start, tcp_channel};

#[tokio::test]
async fn serves_tls_with_the_configured_certificate() {
    let pki = TlsFiles::temp();
    let stack = start(pki.config()).await;
    assert!(stack.grpc.is_tls());

    let channel = pki.channel(stack.addr(), None).await.unwrap();
    assert_eq!(
        say(&channel, "secret", None).await.unwrap().message,
        "secret"
    );

    // A plain-text client gets no answer from a TLS server.
    let plain = tcp_channel(stack.addr()).await;
    say(&plain, "plain", None).await.unwrap_err();
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn mutual_tls_refuses_clients_without_a_certificate() {
    let pki = TlsFiles::temp();
    let stack = start(GrpcConfig {
        ca_files: vec![pki.ca.clone()],
        ..pki.config()
    })
    .await;

    let with_cert = pki
        .channel(stack.addr(), Some(pki.client("client")))
        .await
        .unwrap();
    assert_eq!(say(&with_cert, "mtls", None).await.unwrap().message, "mtls");

    // Without a certificate the handshake (at connect, or at the first call) fails.
    let refusal = match pki.channel(stack.addr(), None).await {
        Err(err) => error_chain(&err),
        Ok(channel) => format!("{:?}", say(&channel, "anonymous", None).await.unwrap_err()),
    };
    assert!(refusal.contains("CertificateRequired"), "{refusal}");
    // A certificate from another CA is refused too.
    let stranger = TlsFiles::temp().client("client");
    let refused = match pki.channel(stack.addr(), Some(stranger)).await {
        Err(_) => true,
        Ok(channel) => say(&channel, "stranger", None).await.is_err(),
    };
    assert!(refused, "a certificate of an unknown CA was accepted");
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_certificate_naming_the_user_authenticates() {
    let pki = TlsFiles::temp();
    let stack = start(GrpcConfig {
        ca_files: vec![pki.ca.clone()],
        auth: AuthConfig {
            username: "operator".into(),
            token: "t0ken".into(),
            ..AuthConfig::default()
        },
        ..pki.config()
    })
    .await;

    let operator = pki
        .channel(stack.addr(), Some(pki.client("operator")))
        .await
        .unwrap();
    let reply = say(&operator, "by certificate", None).await.unwrap();
    assert_eq!(reply.caller, "operator");

    let other = pki
        .channel(stack.addr(), Some(pki.client("intern")))
        .await
        .unwrap();
    let status = say(&other, "by certificate", None).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status}");
    // The same connection with the token is let in.
    let reply = say(&other, "by token", Some("Bearer t0ken")).await.unwrap();
    assert_eq!(reply.caller, "operator");
    stack.agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_key_that_does_not_fit_fails_the_start_naming_the_file() {
    let pki = TlsFiles::temp();
    let other = TlsFiles::temp();
    let config = GrpcConfig {
        key_file: other.server_key.clone(),
        ..pki.config()
    };
    let err = support::try_start_with(Some(config), &[], |_| Ok(()))
        .await
        .unwrap_err();
    let text = error_chain(&err);
    assert!(text.contains("key-file"), "{text}");
    assert!(
        text.contains(&other.server_key.display().to_string()),
        "{text}"
    );
}
