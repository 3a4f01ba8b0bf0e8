//! Stopping the agent lets requests in flight complete.

mod support;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use support::{eventually, loopback, serve};
use tokio::sync::Notify;

#[tokio::test]
async fn a_slow_request_in_flight_completes_after_stop_is_requested() {
    let entered = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let router = {
        let (entered, release) = (entered.clone(), release.clone());
        Router::new().route(
            "/slow",
            get(move || async move {
                entered.notify_one();
                release.notified().await;
                "finished"
            }),
        )
    };
    let (agent, addr, _http) = serve(loopback(), router).await;

    let request = tokio::spawn(async move {
        let response = reqwest::get(format!("http://{addr}/slow")).await?;
        Ok::<_, reqwest::Error>((response.status(), response.text().await?))
    });
    entered.notified().await;

    let stopping = tokio::spawn(agent.stop());
    // The server stops accepting new connections...
    eventually(
        "the listener refuses after stop",
        Duration::from_secs(5),
        || async move { tokio::net::TcpStream::connect(addr).await.is_err() },
    )
    .await;
    // ...but waits for the request in flight.
    assert!(
        !stopping.is_finished(),
        "stop finished before the request in flight"
    );

    release.notify_one();
    let (status, body) = request.await.unwrap().unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, "finished");
    stopping.await.unwrap().unwrap();
}
