//! Benchmark: unary call throughput through the gRPC plugin (Prometheus metrics and
//! bearer-token authentication on) against a bare tonic server with the same service, in
//! the same run.
//!
//! Run with `cargo bench -p cninfra-grpc --bench unary_throughput` (release build, about
//! 20 s once built). Goal: ratio plugin (metrics + auth) / bare tonic >= 0.9.
//!
//! A third server, the plugin with its defaults (no metrics, no auth; health and
//! reflection on), splits the gap into what the plugin's server costs and what metrics and
//! authentication add.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, ensure};
use cninfra_core::{Agent, BoxError, InitContext, Plugin, RunningAgent, async_trait};
use cninfra_grpc::{AuthConfig, GrpcConfig, GrpcPlugin};
use cninfra_grpc_echo::EchoService;
use cninfra_grpc_echo::pb::SayRequest;
use cninfra_grpc_echo::pb::echo_client::EchoClient;
use cninfra_grpc_echo::pb::echo_server::EchoServer;
use cninfra_health::StatusCheckPlugin;
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use cninfra_testsupport::measure::Rate;
use tonic::metadata::MetadataValue;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Channel, Endpoint, Server};

/// HTTP/2 connections per server.
const CHANNELS: usize = 4;
/// Calls in flight at any time, spread over the connections.
const WORKERS: usize = 32;
/// Length of one measured slice; slices rotate between the servers, so that all see the
/// same background load (the machine may be shared).
const SLICE: Duration = Duration::from_millis(250);
/// Measured slices per server (plus one warm-up slice each).
const SLICES: u32 = 20;
/// The bearer token of the authenticated server.
const TOKEN: &str = "bench-token";

/// A plugin serving the example service on the gRPC plugin.
struct App {
    grpc: Arc<GrpcPlugin>,
}

#[async_trait]
impl Plugin for App {
    fn name(&self) -> &str {
        "bench-app"
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.grpc.clone()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, _ctx: &InitContext) -> Result<(), BoxError> {
        self.grpc.add_service(EchoServer::new(EchoService))?;
        Ok(())
    }
}

/// An agent whose gRPC plugin serves the example service with `config`.
async fn agent(config: GrpcConfig) -> anyhow::Result<(RunningAgent, SocketAddr)> {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "127.0.0.1:0".into(),
            ..HttpConfig::default()
        })
        .build();
    let grpc = GrpcPlugin::builder().with_config(config).build();
    let agent = Agent::builder()
        .plugin(Arc::new(App { grpc: grpc.clone() }))
        .plugin(StatusCheckPlugin::new())
        .plugin(PrometheusPlugin::new())
        .plugin(http)
        .with_args(["bench"])
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await?;
    let addr = grpc.local_addr().context("gRPC server bound")?;
    Ok((agent, addr))
}

/// A bare tonic server with the same service.
async fn bare_server() -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    tokio::spawn(
        Server::builder()
            .add_service(EchoServer::new(EchoService))
            .serve_with_incoming(incoming),
    );
    Ok(addr)
}

/// `Say` from `WORKERS` tasks over `channels` for one slice.
async fn load(channels: &[Channel]) -> anyhow::Result<Rate> {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let token: MetadataValue<_> = format!("Bearer {TOKEN}").parse()?;
    let begin = Instant::now();
    let deadline = begin + SLICE;
    let mut workers = Vec::with_capacity(WORKERS);
    for worker in 0..WORKERS {
        let mut client = EchoClient::new(channels[worker % channels.len()].clone());
        let (done, failed, token) = (done.clone(), failed.clone(), token.clone());
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let mut request = tonic::Request::new(SayRequest {
                    message: "ping".into(),
                });
                request
                    .metadata_mut()
                    .insert("authorization", token.clone());
                let ok = client
                    .say(request)
                    .await
                    .is_ok_and(|reply| reply.get_ref().message == "ping");
                let counter = if ok { &done } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for worker in workers {
        worker.await?;
    }
    let seconds = begin.elapsed().as_secs_f64();
    let failed = failed.load(Ordering::Relaxed);
    ensure!(failed == 0, "{failed} calls failed");
    Ok(Rate {
        ops: done.load(Ordering::Relaxed),
        seconds,
    })
}

async fn channels(addr: SocketAddr) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(CHANNELS);
    for _ in 0..CHANNELS {
        let channel = Endpoint::from_shared(format!("http://{addr}"))?
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(10))
            .connect()
            .await?;
        channels.push(channel);
    }
    Ok(channels)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let bare_addr = bare_server().await?;
    let (plain_agent, plain_addr) = agent(GrpcConfig::loopback()).await?;
    let (full_agent, full_addr) = agent(GrpcConfig {
        prometheus_metrics: true,
        auth: AuthConfig {
            token: TOKEN.into(),
            ..AuthConfig::default()
        },
        ..GrpcConfig::loopback()
    })
    .await?;
    let servers = [
        ("bare tonic", channels(bare_addr).await?),
        ("plugin, defaults", channels(plain_addr).await?),
        ("plugin, metrics + auth", channels(full_addr).await?),
    ];
    println!(
        "unary throughput: {WORKERS} calls in flight over {CHANNELS} HTTP/2 connections, \
         {SLICES} rotating slices of {SLICE:?} per server"
    );
    for (_, channels) in &servers {
        load(channels).await?; // warm-up
    }
    let mut measured = [Rate::default(); 3];
    let mut round_ratios = Vec::with_capacity(SLICES as usize);
    for round in 0..SLICES as usize {
        // Rotate the order, so that no server always follows the same one.
        let mut this_round = [Rate::default(); 3];
        for offset in 0..servers.len() {
            let index = (round + offset) % servers.len();
            this_round[index] = load(&servers[index].1).await?;
            measured[index].add(this_round[index]);
        }
        round_ratios.push(this_round[2].per_second() / this_round[0].per_second());
    }
    for (rate, (name, _)) in measured.iter().zip(&servers) {
        println!("{name:<24} {:>9.0} calls/s", rate.per_second());
    }
    let [bare, plain, full] = measured.map(Rate::per_second);
    println!(
        "server overhead:    plugin defaults / bare tonic = {:.3}",
        plain / bare
    );
    println!(
        "metrics + auth:     plugin full / plugin defaults = {:.3}",
        full / plain
    );
    println!(
        "all slices:         plugin full / bare tonic      = {:.3}",
        full / bare
    );
    // The median of the rounds' ratios: a burst of load from elsewhere on the machine
    // skews one round, not the result.
    round_ratios.sort_by(f64::total_cmp);
    let ratio = round_ratios[round_ratios.len() / 2];
    println!(
        "RATIO plugin (metrics + auth) / bare tonic = {ratio:.3} (median of {} rounds, \
         range {:.3}..{:.3}; goal >= 0.9: {})",
        round_ratios.len(),
        round_ratios[0],
        round_ratios[round_ratios.len() - 1],
        if ratio >= 0.9 { "met" } else { "MISSED" }
    );
    plain_agent.stop().await?;
    full_agent.stop().await?;
    Ok(())
}
