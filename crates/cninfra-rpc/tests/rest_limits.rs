//! Time limits and size limits of `http.conf`.

mod support;

use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::{get, post};
use cninfra_rpc::rest::HttpConfig;
use support::{loopback, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Reads until the server closes the connection; returns what it sent.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut all = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut all))
        .await
        .expect("the server closes the connection within 5 s")
        .expect("read");
    String::from_utf8_lossy(&all).into_owned()
}

#[tokio::test]
async fn a_handler_slower_than_write_timeout_gets_503() {
    let router = Router::new()
        .route("/stuck", get(std::future::pending::<&'static str>))
        .route("/quick", get(|| async { "quick" }));
    let config = HttpConfig {
        write_timeout: Duration::from_millis(200),
        ..loopback()
    };
    let (agent, addr, _http) = serve(config, router).await;
    let stuck = reqwest::get(format!("http://{addr}/stuck")).await.unwrap();
    assert_eq!(stuck.status(), 503);
    let quick = reqwest::get(format!("http://{addr}/quick")).await.unwrap();
    assert_eq!(quick.status(), 200);
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn an_oversized_request_head_is_refused() {
    let router = Router::new().route("/", get(|| async { "ok" }));
    let config = HttpConfig {
        max_header_bytes: 8192,
        ..loopback()
    };
    let (agent, addr, _http) = serve(config, router).await;
    let client = reqwest::Client::new();
    let small = client
        .get(format!("http://{addr}/"))
        .header("x-pad", "a".repeat(1000))
        .send()
        .await
        .unwrap();
    assert_eq!(small.status(), 200);
    let big = client
        .get(format!("http://{addr}/"))
        .header("x-pad", "a".repeat(20_000))
        .send()
        .await;
    match big {
        Ok(response) => assert_eq!(response.status(), 431),
        // hyper may also close the connection before the client finished writing.
        Err(err) => assert!(err.is_request() || err.is_body(), "{err}"),
    }
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_idle_timeout() {
    let router = Router::new().route("/", get(|| async { "ok" }));
    let config = HttpConfig {
        idle_timeout: Duration::from_millis(300),
        read_header_timeout: Duration::ZERO,
        ..loopback()
    };
    let (agent, addr, _http) = serve(config, router).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let answered = Instant::now();
    let text = read_to_close(&mut stream).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        answered.elapsed() >= Duration::from_millis(250),
        "closed too early"
    );
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_client_slower_than_read_header_timeout_is_disconnected() {
    let router = Router::new().route("/", get(|| async { "ok" }));
    let config = HttpConfig {
        read_header_timeout: Duration::from_millis(300),
        idle_timeout: Duration::ZERO,
        ..loopback()
    };
    let (agent, addr, _http) = serve(config, router).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let began = Instant::now();
    stream
        .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n")
        .await
        .unwrap();
    let text = read_to_close(&mut stream).await;
    assert!(!text.contains("200"), "{text}");
    assert!(
        began.elapsed() >= Duration::from_millis(250),
        "closed too early"
    );
    agent.stop().await.unwrap();
}

#[tokio::test]
async fn a_request_body_slower_than_read_timeout_is_refused() {
    let router = Router::new().route("/upload", post(|body: String| async move { body }));
    let config = HttpConfig {
        read_timeout: Duration::from_millis(300),
        ..loopback()
    };
    let (agent, addr, _http) = serve(config, router).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /upload HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nab")
        .await
        .unwrap();
    let text = read_to_close_or_answer(&mut stream).await;
    let status: u16 = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    assert!((400..500).contains(&status), "{text}");
    agent.stop().await.unwrap();
}

/// Reads the first response (the server may keep the connection open after an error).
async fn read_to_close_or_answer(stream: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("an answer within 5 s")
        .expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}
