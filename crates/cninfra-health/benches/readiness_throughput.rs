//! Benchmark (a): `GET /readiness` throughput under concurrent keep-alive load, against a bare
//! axum server whose handler returns a JSON body of the same size, in the same run.
//!
//! Run with `cargo bench -p cninfra-health --bench readiness_throughput` (release build,
//! about 20 s once built). Goal: ratio `/readiness` / bare axum >= 0.9.
//!
//! A third endpoint, the same static body served by the agent's own HTTP plugin, splits the
//! gap into server overhead (HTTP plugin vs `axum::serve`) and handler overhead (probe vs
//! static body).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{Context, ensure};
use axum::Router;
use axum::body::Bytes;
use axum::http::header;
use axum::routing::{MethodRouter, get};
use cninfra_core::{Agent, RunningAgent};
use cninfra_health::{State, StatusCheckPlugin};
use cninfra_rpc::probe::ProbePlugin;
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use cninfra_testsupport::measure::Rate;

/// Concurrent clients, each with its own keep-alive connection.
const CONNECTIONS: usize = 32;
/// Length of one measured slice; short slices alternate between the endpoints, in rotating
/// order, so that all see the same background load (the machine may be shared).
const SLICE: Duration = Duration::from_millis(100);
/// Measured slices per server (plus one warm-up slice each).
const SLICES: u32 = 60;
/// Plugins registered with the status check (all OK, so readiness answers 200).
const PLUGINS: usize = 8;

/// A handler answering the body set in `body` (once known) as JSON.
fn static_json(body: Arc<OnceLock<Bytes>>) -> MethodRouter {
    get(move || {
        let body = body.get().cloned().unwrap_or_default();
        async move { ([(header::CONTENT_TYPE, "application/json")], body) }
    })
}

/// The agent with the probe plugin (its plugins all OK) and a static route on the same
/// HTTP plugin.
async fn agent(body: Arc<OnceLock<Bytes>>) -> anyhow::Result<(RunningAgent, SocketAddr)> {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "127.0.0.1:0".into(),
            ..HttpConfig::default()
        })
        .build();
    http.route("/static", static_json(body))?;
    let status = StatusCheckPlugin::new();
    let probe = ProbePlugin::new();
    let agent = Agent::builder()
        .plugin(probe)
        .plugin(http.clone())
        .plugin(status.clone())
        .plugin(PrometheusPlugin::new())
        .with_args(["bench"])
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await?;
    for index in 0..PLUGINS {
        let name = format!("plugin-{index}");
        status.register(name.clone(), None);
        status.report_state_change(&name, State::Ok, None)?;
    }
    let addr = http.local_addr().context("agent's HTTP server bound")?;
    Ok((agent, addr))
}

/// A bare axum server answering the body as JSON.
async fn bare_server(body: Arc<OnceLock<Bytes>>) -> anyhow::Result<SocketAddr> {
    let router = Router::new().route("/static", static_json(body));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(addr)
}

/// `GET url` from `CONNECTIONS` clients for `SLICE`.
async fn load(client: &reqwest::Client, url: &str) -> anyhow::Result<Rate> {
    let done = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let deadline = begin + SLICE;
    let mut workers = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        let (client, url) = (client.clone(), url.to_owned());
        let (done, failed) = (done.clone(), failed.clone());
        workers.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let ok = match client.get(&url).send().await {
                    Ok(response) => response.status() == 200 && response.bytes().await.is_ok(),
                    Err(_) => false,
                };
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
    ensure!(failed == 0, "{failed} requests to {url} failed");
    Ok(Rate {
        ops: done.load(Ordering::Relaxed),
        seconds,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let body = Arc::new(OnceLock::new());
    let (agent, agent_addr) = agent(body.clone()).await?;
    let bare_addr = bare_server(body.clone()).await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .timeout(Duration::from_secs(10))
        .build()?;

    let probe_url = format!("http://{agent_addr}/readiness");
    let first = client.get(&probe_url).send().await?;
    ensure!(
        first.status() == 200,
        "readiness answered {}",
        first.status()
    );
    let readiness = first.bytes().await?;
    let size = readiness.len();
    body.get_or_init(|| readiness);

    let endpoints = [
        (
            "bare axum, static body",
            format!("http://{bare_addr}/static"),
        ),
        (
            "HTTP plugin, static body",
            format!("http://{agent_addr}/static"),
        ),
        ("HTTP plugin, /readiness", probe_url),
    ];
    for (name, url) in &endpoints {
        let answer = client.get(url).send().await?.bytes().await?;
        ensure!(
            answer.len() == size,
            "{name} answered {} bytes, not {size}",
            answer.len()
        );
    }
    println!(
        "readiness throughput: {CONNECTIONS} keep-alive connections, body {size} bytes, \
         {PLUGINS} plugins, {SLICES} alternating slices of {SLICE:?} per endpoint"
    );
    for (_, url) in &endpoints {
        load(&client, url).await?; // warm-up
    }
    let mut measured = [Rate::default(); 3];
    for round in 0..SLICES as usize {
        // Rotate the order, so that no endpoint always follows the same one.
        for offset in 0..endpoints.len() {
            let index = (round + offset) % endpoints.len();
            measured[index].add(load(&client, &endpoints[index].1).await?);
        }
    }
    for (rate, (name, _)) in measured.iter().zip(&endpoints) {
        println!("{name:<26} {:>9.0} req/s", rate.per_second());
    }
    let [bare, own, probe] = measured.map(Rate::per_second);
    println!(
        "server overhead:  HTTP plugin static / bare axum   = {:.3}",
        own / bare
    );
    println!(
        "handler overhead: /readiness / HTTP plugin static  = {:.3}",
        probe / own
    );
    let ratio = probe / bare;
    println!(
        "RATIO /readiness / bare axum = {ratio:.3} (goal >= 0.9: {})",
        if ratio >= 0.9 { "met" } else { "MISSED" }
    );
    agent.stop().await?;
    Ok(())
}
