//! Test fixtures: the health stack on a loopback port, and a publisher that records calls.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cninfra_core::{Agent, BoxError, BuildInfo, RunningAgent, async_trait};
use cninfra_health::{AgentStatus, PluginStatus, StatusCheckPlugin, StatusPublisher};
use cninfra_rpc::probe::ProbePlugin;
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use tokio::sync::mpsc;

pub const VERSION: &str = "1.2.3";
pub const COMMIT: &str = "abc123";
pub const DATE: &str = "2026-01-02T03:04:05Z";

/// A running agent with the HTTP, Prometheus, status check and probe plugins.
#[derive(Debug)]
pub struct Stack {
    pub agent: RunningAgent,
    pub addr: SocketAddr,
    pub status: Arc<StatusCheckPlugin>,
}

impl Stack {
    /// Starts the stack around `status`, with `non_fatal` plugins for the probes.
    pub async fn start(status: Arc<StatusCheckPlugin>, non_fatal: &[&str]) -> Self {
        let http = HttpPlugin::builder()
            .with_config(HttpConfig {
                endpoint: "127.0.0.1:0".into(),
                ..HttpConfig::default()
            })
            .build();
        let prometheus = PrometheusPlugin::new();
        let probe = ProbePlugin::builder()
            .with_non_fatal_plugins(non_fatal.iter().copied())
            .build();
        let agent = cninfra_testsupport::start_agent(
            Agent::builder()
                .plugin(probe)
                .plugin(http.clone())
                .plugin(status.clone())
                .plugin(prometheus)
                .with_build_info(BuildInfo::new(VERSION, COMMIT, DATE)),
        )
        .await;
        let addr = http.local_addr().expect("bound");
        Self {
            agent,
            addr,
            status,
        }
    }

    /// `GET path`: status code and JSON body.
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let response = reqwest::get(format!("http://{}{path}", self.addr))
            .await
            .expect("request");
        let code = response.status().as_u16();
        (code, response.json().await.expect("JSON body"))
    }

    /// The codes of `GET /liveness` and `GET /readiness`.
    pub async fn codes(&self) -> (u16, u16) {
        (
            self.get_json("/liveness").await.0,
            self.get_json("/readiness").await.0,
        )
    }

    /// `GET /metrics` as text.
    pub async fn metrics(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.addr))
            .await
            .expect("request")
            .text()
            .await
            .expect("text")
    }

    pub async fn stop(self) {
        self.agent.stop().await.expect("agent stops");
    }
}

/// A publisher that sends a line per call: `agent OK`, `db ERROR down`.
#[derive(Debug)]
pub struct Recorder {
    lines: mpsc::UnboundedSender<String>,
}

impl Recorder {
    pub fn new() -> (Arc<Self>, mpsc::UnboundedReceiver<String>) {
        let (lines, receiver) = mpsc::unbounded_channel();
        (Arc::new(Self { lines }), receiver)
    }
}

#[async_trait]
impl StatusPublisher for Recorder {
    async fn publish_agent(&self, status: &AgentStatus) -> Result<(), BoxError> {
        self.lines.send(format!("agent {}", status.state))?;
        Ok(())
    }

    async fn publish_plugin(&self, status: &PluginStatus) -> Result<(), BoxError> {
        let line = match &status.error {
            Some(error) => format!("{} {} {error}", status.name, status.state),
            None => format!("{} {}", status.name, status.state),
        };
        self.lines.send(line)?;
        Ok(())
    }
}

/// The next `n` lines, each within 5 s.
pub async fn next_lines(receiver: &mut mpsc::UnboundedReceiver<String>, n: usize) -> Vec<String> {
    let mut lines = Vec::with_capacity(n);
    for _ in 0..n {
        let line = tokio::time::timeout(Duration::from_secs(5), receiver.recv())
            .await
            .unwrap_or_else(|_| panic!("no line after {lines:?}"))
            .expect("publisher alive");
        lines.push(line);
    }
    lines
}
