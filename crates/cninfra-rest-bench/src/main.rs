//! The REST server under load from a second process (`wrk`), against bare axum handlers
//! measured in the same run (issue 18, section 6).
//!
//! Run with `scripts/bench-rest-load.sh` (installs `wrk` when missing, then
//! `cargo run --release -p cninfra-rest-bench`); `--runs N --duration S --connections C
//! --threads T --values V` change the defaults (3 runs of 30 s, 32 connections, 2 wrk
//! threads, 100 000 values); `--only PATH` measures that endpoint alone; `--slices K`
//! (default 6) splits each server's duration into K slices, the servers alternating slice
//! by slice, so that both meet the same load from other processes of the machine (`1`:
//! one `wrk` of the whole duration per server, one after the other).
//!
//! The agent runs in this process: the HTTP plugin with its default settings (time limits
//! on), the probes, status check, Prometheus, log manager, and the KVScheduler with the
//! example descriptors holding `--values` interfaces (one resync). Beside it, on its own
//! port, `axum::serve` of bare handlers: `/readiness` answers the bytes the agent's
//! `/readiness` answered (the least a readiness handler does), `/scheduler/status` makes
//! the same status list the agent's handler makes and answers it as JSON (the handler's
//! own work, without the REST plugin around it). Each run loads each endpoint of each
//! server with `wrk --latency` for the duration, the two servers alternating in rotating
//! order, and prints requests/s and p99 latency, and the ratios agent / bare.

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use cninfra_core::{Agent, RunningAgent};
use cninfra_health::StatusCheckPlugin;
use cninfra_kvscheduler::{
    KvSchedulerPlugin, ResyncKind, Scheduler, SchedulerConfig, StatusSelector, Value,
};
use cninfra_kvscheduler_example::{self as example, ExampleDescriptorsPlugin};
use cninfra_logging::LogManagerPlugin;
use cninfra_rpc::axum::body::Bytes;
use cninfra_rpc::axum::http::header;
use cninfra_rpc::axum::routing::get;
use cninfra_rpc::axum::{Json, Router};
use cninfra_rpc::probe::ProbePlugin;
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use serde_json::json;

/// The settings of a run, from the command line.
#[derive(Debug, Clone, Copy)]
struct Settings {
    runs: usize,
    duration: u64,
    connections: usize,
    threads: usize,
    values: usize,
    /// Each server's duration in this many alternating slices.
    slices: usize,
    /// Measure this endpoint only (both when `None`).
    only: Option<&'static str>,
}

impl Settings {
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let arg = |name: &str, default: usize| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        Self {
            runs: arg("--runs", 3).max(1),
            duration: arg("--duration", 30).max(1) as u64,
            connections: arg("--connections", 32).max(1),
            threads: arg("--threads", 2).max(1),
            values: arg("--values", 100_000),
            slices: arg("--slices", 6).max(1),
            only: args
                .iter()
                .position(|a| a == "--only")
                .and_then(|i| args.get(i + 1))
                .and_then(|path| ENDPOINTS.into_iter().find(|e| e == path)),
        }
    }
}

/// The endpoints measured.
const ENDPOINTS: [&str; 2] = ["/readiness", "/scheduler/status"];

/// What `wrk --latency` measured.
#[derive(Debug, Clone, Copy)]
struct Measured {
    per_second: f64,
    p99: Duration,
    requests: u64,
}

impl Settings {
    /// Seconds of one slice.
    fn slice(&self) -> u64 {
        (self.duration / self.slices as u64).max(1)
    }
}

impl Measured {
    /// The slices of one server together: the mean of their rates (they last alike), the
    /// highest p99, the requests summed.
    fn join(slices: &[Measured]) -> Self {
        Self {
            per_second: slices.iter().map(|m| m.per_second).sum::<f64>() / slices.len() as f64,
            p99: slices.iter().map(|m| m.p99).max().unwrap_or_default(),
            requests: slices.iter().map(|m| m.requests).sum(),
        }
    }
}

/// `wrk` against `url` for one slice of the settings' duration; fails on any socket error
/// or non-2xx answer.
fn wrk(settings: Settings, url: &str) -> anyhow::Result<Measured> {
    let output = Command::new("wrk")
        .args([
            "--latency",
            "-t",
            &settings.threads.to_string(),
            "-c",
            &settings.connections.to_string(),
            "-d",
            &format!("{}s", settings.slice()),
            // The status list of 100 000 values takes a while; a slow answer is measured,
            // not dropped.
            "--timeout",
            "60s",
            url,
        ])
        .output()
        .context("running wrk (scripts/bench-rest-load.sh installs it)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    ensure!(output.status.success(), "wrk failed: {text}");
    if text.contains("Socket errors") || text.contains("Non-2xx") {
        bail!("errors under load at {url}:\n{text}");
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
            .with_context(|| format!("no `{prefix}` in wrk's output:\n{text}"))
    };
    let per_second: f64 = field("Requests/sec:")?.parse()?;
    let p99 = parse_latency(field("99%")?)?;
    let requests = text
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .context("no request count in wrk's output")?;
    ensure!(requests > 0, "no request answered at {url}");
    Ok(Measured {
        per_second,
        p99,
        requests,
    })
}

/// wrk's `1.23ms`, `456.00us`, `2.01s`, `1.50m`.
fn parse_latency(text: &str) -> anyhow::Result<Duration> {
    let split = text
        .find(|c: char| c.is_ascii_alphabetic())
        .context("latency without unit")?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        other => bail!("unknown latency unit `{other}`"),
    };
    Ok(Duration::from_secs_f64(seconds))
}

/// The agent: HTTP plugin (defaults but the port), probes, status, Prometheus, logs, and
/// the scheduler with the example descriptors; its HTTP address and scheduler.
async fn agent() -> anyhow::Result<(RunningAgent, SocketAddr, Scheduler)> {
    let http = HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "127.0.0.1:0".into(),
            ..HttpConfig::default()
        })
        .build();
    // No transaction summary: the load's would print 100 000 values.
    let scheduler = KvSchedulerPlugin::builder()
        .with_config(SchedulerConfig {
            print_txn_summary: false,
            ..SchedulerConfig::default()
        })
        .build();
    let agent = Agent::builder()
        .plugin(http.clone())
        .plugin(LogManagerPlugin::new())
        .plugin(PrometheusPlugin::new())
        .plugin(StatusCheckPlugin::new())
        .plugin(ProbePlugin::new())
        .plugin(scheduler.clone())
        .plugin(ExampleDescriptorsPlugin::new())
        .with_args(["rest-load"])
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await?;
    let addr = http.local_addr().context("the HTTP server is bound")?;
    Ok((agent, addr, scheduler.scheduler()?))
}

/// Bare `axum::serve` of the two handlers.
async fn bare_server(readiness: Bytes, scheduler: Scheduler) -> anyhow::Result<SocketAddr> {
    let router = Router::new()
        .route(
            "/readiness",
            get(move || {
                let body = readiness.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], body) }
            }),
        )
        .route(
            "/scheduler/status",
            get(move || {
                let statuses = scheduler.statuses(&StatusSelector::All);
                async move { statuses.map(Json).map_err(|err| err.to_string()) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum_serve(listener, router).await });
    Ok(addr)
}

async fn axum_serve(listener: tokio::net::TcpListener, router: Router) {
    if let Err(err) = cninfra_rpc::axum::serve(listener, router).await {
        eprintln!("bare server stopped: {err}");
    }
}

/// Waits until both servers answer `/readiness` within 20 ms three times in a row: the
/// status lists still being made for the requests of a `wrk` that ended (up to 32 of
/// 10 MB) would otherwise load the next measurement.
async fn settle(client: &reqwest::Client, servers: &[SocketAddr]) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut quick = 0;
    while quick < 3 {
        ensure!(
            Instant::now() < deadline,
            "the servers did not settle within 120 s"
        );
        let started = Instant::now();
        for server in servers {
            client
                .get(format!("http://{server}/readiness"))
                .send()
                .await?
                .error_for_status()?;
        }
        quick = if started.elapsed() < Duration::from_millis(20) {
            quick + 1
        } else {
            0
        };
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Settings::from_args();
    Command::new("wrk")
        .arg("--version")
        .output()
        .context("wrk is not installed: run scripts/bench-rest-load.sh")?;
    let (agent, agent_addr, scheduler) = agent().await?;

    let started = Instant::now();
    let mut txn = scheduler.txn().with_resync(ResyncKind::Full);
    for i in 0..settings.values {
        let name = format!("tap{i}");
        txn = txn.put(
            example::interface_key(&name),
            Value::from_json(json!({"name": name, "type": "TAP", "enabled": true})),
        );
    }
    txn.commit().await.context("the values load")?;
    println!(
        "loaded {} values in {:.0?}",
        settings.values,
        started.elapsed()
    );

    let client = reqwest::Client::new();
    let readiness = client
        .get(format!("http://{agent_addr}/readiness"))
        .send()
        .await?;
    ensure!(
        readiness.status() == 200,
        "readiness answered {}",
        readiness.status()
    );
    let readiness = readiness.bytes().await?;
    let bare_addr = bare_server(readiness.clone(), scheduler.clone()).await?;
    for path in ENDPOINTS {
        let own = client
            .get(format!("http://{agent_addr}{path}"))
            .send()
            .await?;
        let bare = client
            .get(format!("http://{bare_addr}{path}"))
            .send()
            .await?;
        ensure!(
            own.status() == 200 && bare.status() == 200,
            "{path} answers 200"
        );
        let (own, bare) = (own.bytes().await?, bare.bytes().await?);
        ensure!(
            own == bare,
            "{path}: the agent and the bare handler answer alike"
        );
        println!("{path}: {} bytes", own.len());
    }
    println!(
        "wrk: {} threads, {} connections, {} s per endpoint and server in {} slices of {} s; {} runs",
        settings.threads,
        settings.connections,
        settings.slice() * settings.slices as u64,
        settings.slices,
        settings.slice(),
        settings.runs
    );

    let mut worst = [f64::INFINITY; 2];
    for run in 0..settings.runs {
        for (e, path) in ENDPOINTS.iter().enumerate() {
            if settings.only.is_some_and(|only| only != *path) {
                continue;
            }
            let urls = [
                format!("http://{bare_addr}{path}"),
                format!("http://{agent_addr}{path}"),
            ];
            // Alternate which server goes first.
            let order = if (run + e) % 2 == 0 { [0, 1] } else { [1, 0] };
            let mut slices = [Vec::new(), Vec::new()];
            for _ in 0..settings.slices {
                for index in order {
                    settle(&client, &[agent_addr, bare_addr]).await?;
                    slices[index].push(wrk(settings, &urls[index])?);
                }
            }
            let [bare, own] = slices.map(|slices| Measured::join(&slices));
            let ratio = own.per_second / bare.per_second;
            worst[e] = worst[e].min(ratio);
            println!(
                "run {} {path:<18} bare axum {:>9.0} req/s p99 {:>8.2?} ({} req) | REST plugin {:>9.0} req/s p99 {:>8.2?} ({} req) | RATIO throughput {ratio:.3}, p99 {:.3}",
                run + 1,
                bare.per_second,
                bare.p99,
                bare.requests,
                own.per_second,
                own.p99,
                own.requests,
                own.p99.as_secs_f64() / bare.p99.as_secs_f64(),
            );
        }
    }
    for (path, worst) in ENDPOINTS.iter().zip(worst) {
        if settings.only.is_some_and(|only| only != *path) {
            continue;
        }
        println!(
            "{path}: lowest throughput ratio {worst:.3} (goal >= 0.9: {})",
            if worst >= 0.9 { "met" } else { "MISSED" }
        );
    }
    agent.stop().await?;
    Ok(())
}
