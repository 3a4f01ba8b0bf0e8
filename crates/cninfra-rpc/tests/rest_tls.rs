//! HTTPS with certificates generated here, and mandatory client certificates.

mod support;

use axum::Router;
use axum::routing::get;
use cninfra_rpc::rest::HttpConfig;
use cninfra_testsupport::TlsFiles;
use support::{error_chain, loopback, serve, start};

fn client(pki: &TlsFiles, addr: std::net::SocketAddr, identity: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(pki.ca_pem.as_bytes()).unwrap())
        .resolve("localhost", addr);
    if identity {
        builder = builder.identity(reqwest::Identity::from_pem(pki.client_pem.as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

fn hello() -> Router {
    Router::new().route("/hello", get(|| async { "hello over tls" }))
}

#[tokio::test]
async fn serves_https_with_the_configured_certificate() {
    let pki = TlsFiles::temp();
    let config = HttpConfig {
        server_cert_file: pki.server_cert.clone(),
        server_key_file: pki.server_key.clone(),
        ..loopback()
    };
    let (agent, addr, http) = serve(config, hello()).await;
    assert!(http.is_tls());
    let url = format!("https://localhost:{}/hello", addr.port());

    let response = client(&pki, addr, false).get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "hello over tls");

    let plain = reqwest::get(format!("http://{addr}/hello")).await;
    assert!(plain.is_err(), "plain HTTP was answered on the HTTPS port");
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn client_certificates_are_required_when_client_cas_are_configured() {
    let pki = TlsFiles::temp();
    let config = HttpConfig {
        server_cert_file: pki.server_cert.clone(),
        server_key_file: pki.server_key.clone(),
        client_cert_files: vec![pki.ca.clone()],
        ..loopback()
    };
    let (agent, addr, _http) = serve(config, hello()).await;
    let url = format!("https://localhost:{}/hello", addr.port());

    let without = client(&pki, addr, false).get(&url).send().await;
    assert!(without.is_err(), "answered a client without a certificate");
    let with = client(&pki, addr, true).get(&url).send().await.unwrap();
    assert_eq!(with.status(), 200);
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_key_that_is_not_a_key_fails_the_start_naming_the_file() {
    let pki = TlsFiles::temp();
    let config = HttpConfig {
        server_cert_file: pki.server_cert.clone(),
        // A certificate where the key should be.
        server_key_file: pki.ca.clone(),
        ..loopback()
    };
    let http = cninfra_rpc::rest::HttpPlugin::builder()
        .with_config(config)
        .build();
    let text = error_chain(&start(vec![http]).await.unwrap_err());
    assert!(text.contains("server-key-file"), "{text}");
    assert!(text.contains(&pki.ca.display().to_string()), "{text}");
}
