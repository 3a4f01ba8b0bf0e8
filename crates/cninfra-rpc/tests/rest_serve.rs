//! Serving routes from dependents, port resolution, and start errors.

mod support;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use cninfra_core::Agent;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin, RestError};
use support::{Routes, error_chain, loopback, serve, start};

#[tokio::test]
async fn routes_added_in_init_are_served_and_later_routes_are_refused() {
    let router = Router::new()
        .route("/hello", get(|| async { "hello" }))
        .route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.ip().to_string() }),
        );
    let (agent, addr, http) = serve(loopback(), router).await;

    let body = reqwest::get(format!("http://{addr}/hello"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "hello");
    let peer = reqwest::get(format!("http://{addr}/peer"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(peer, "127.0.0.1");
    let missing = reqwest::get(format!("http://{addr}/nope")).await.unwrap();
    assert_eq!(missing.status(), 404);

    let late = http.route("/late", get(|| async { "late" })).unwrap_err();
    assert!(
        matches!(&late, RestError::AlreadyServing { path } if path == "/late"),
        "{late}"
    );
    assert!(late.to_string().contains("init"), "{late}");
    assert!(matches!(
        http.merge(Router::new()),
        Err(RestError::AlreadyServing { .. })
    ));

    agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_port_in_use_fails_the_start_naming_address_and_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: addr.to_string(),
            ..HttpConfig::default()
        })
        .build();
    let err = start(vec![http]).await.unwrap_err();
    let text = error_chain(&err);
    assert!(text.contains(&addr.to_string()), "{text}");
    assert!(
        text.contains("--http-port") && text.contains("HTTP_PORT"),
        "{text}"
    );
    assert!(text.contains("`http`") && text.contains("init"), "{text}");
}

#[tokio::test]
async fn the_config_file_endpoint_is_used_when_no_port_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("http.conf");
    std::fs::write(&file, "endpoint: 127.0.0.1:0\n").unwrap();
    let http = HttpPlugin::new();
    let agent = Agent::builder()
        .plugin(http.clone())
        .with_args([
            "test".into(),
            "--http-config".into(),
            file.display().to_string(),
        ])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap();
    let addr = http.local_addr().unwrap();
    assert!(addr.ip().is_loopback() && addr.port() != 9191, "{addr}");
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn an_explicit_http_port_beats_the_config_file() {
    // Holding 0.0.0.0:<port> makes the start fail exactly when the plugin tries that port,
    // which proves the variable won over the file's loopback endpoint.
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("http.conf");
    std::fs::write(&file, "endpoint: 127.0.0.1:0\n").unwrap();
    let err = Agent::builder()
        .plugin(HttpPlugin::new())
        .with_args([
            "test".into(),
            "--http-config".into(),
            file.display().to_string(),
        ])
        .with_env([("HTTP_PORT".to_owned(), port.to_string())])
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_err();
    let text = error_chain(&err);
    assert!(text.contains(&format!("0.0.0.0:{port}")), "{text}");
}

#[tokio::test]
async fn a_disabled_server_binds_nothing_and_ignores_routes() {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            disabled: true,
            ..loopback()
        })
        .build();
    let agent = start(vec![Routes::new(
        &http,
        Router::new().route("/x", get(|| async { "x" })),
    )])
    .await
    .unwrap();
    assert_eq!(http.local_addr(), None);
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_bad_config_value_fails_the_start_naming_the_field() {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            client_basic_auth: vec!["no-colon".into()],
            ..loopback()
        })
        .build();
    let text = error_chain(&start(vec![http]).await.unwrap_err());
    assert!(text.contains("client-basic-auth"), "{text}");

    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "localhost".into(),
            ..HttpConfig::default()
        })
        .build();
    let text = error_chain(&start(vec![http]).await.unwrap_err());
    assert!(
        text.contains("\"localhost\"") && text.contains("host:port"),
        "{text}"
    );
}
