//! The per-client rate limit: calls beyond the burst get RESOURCE_EXHAUSTED; another
//! client (another address) has its own budget.

mod support;

use std::net::IpAddr;

use cninfra_grpc::{GrpcConfig, RateLimitConfig};
use support::{say, start, tcp_channel_from};
use tonic::Code;

#[tokio::test]
async fn calls_beyond_the_burst_are_refused_per_client() {
    let stack = start(GrpcConfig {
        // Two calls at once, then one per 1000 s: the refill never matters in the test.
        rate_limit: RateLimitConfig {
            limit: 0.001,
            burst: 2,
        },
        ..GrpcConfig::loopback()
    })
    .await;
    let first: IpAddr = [127, 0, 0, 1].into();
    let second: IpAddr = [127, 0, 0, 2].into();
    let channel = tcp_channel_from(stack.addr(), first).await;

    say(&channel, "1", None).await.unwrap();
    say(&channel, "2", None).await.unwrap();
    let status = say(&channel, "3", None).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status}");
    assert!(status.message().contains("rate limit"), "{status}");

    // A new connection from the same address shares the budget...
    let again = tcp_channel_from(stack.addr(), first).await;
    let status = say(&again, "4", None).await.unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    // ...another address has its own.
    let other = tcp_channel_from(stack.addr(), second).await;
    say(&other, "5", None).await.unwrap();
    stack.agent.stop().await.unwrap();
}
