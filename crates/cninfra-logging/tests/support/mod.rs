//! Test helpers: a log writer into memory, and an agent with the log manager on a free port.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cninfra_core::{Agent, RunningAgent, plugin_fn};
use cninfra_logging::LogManagerPlugin;
use cninfra_rpc::rest::{HttpConfig, HttpPlugin};
use tracing_subscriber::fmt::MakeWriter;

/// Log output captured in memory; clones share the buffer.
#[derive(Debug, Clone, Default)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// Written lines containing `needle`.
    pub fn lines_with(&self, needle: &str) -> Vec<String> {
        self.text()
            .lines()
            .filter(|line| line.contains(needle))
            .map(str::to_owned)
            .collect()
    }
}

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// An HTTP plugin on a free port of 127.0.0.1.
pub fn http() -> Arc<HttpPlugin> {
    HttpPlugin::builder()
        .with_config(HttpConfig {
            endpoint: "127.0.0.1:0".into(),
            ..Default::default()
        })
        .build()
}

/// A started agent with `logs`, `http` and a plugin named `app`.
pub struct TestAgent {
    pub agent: RunningAgent,
    pub logs: Arc<LogManagerPlugin>,
    pub base: String,
    pub client: reqwest::Client,
}

impl TestAgent {
    /// Starts `logs` (built on `http`) with these command-line arguments and variables.
    pub async fn start(
        logs: Arc<LogManagerPlugin>,
        http: Arc<HttpPlugin>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let agent = Agent::builder()
            .plugin(logs.clone())
            .plugin(http.clone())
            .plugin(plugin_fn("app", |_| async { Ok(()) }))
            .with_args(std::iter::once("test").chain(args.iter().copied()))
            .with_env(env.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .build()?
            .start()
            .await?;
        let addr = http
            .local_addr()
            .ok_or_else(|| anyhow::anyhow!("http plugin has no address"))?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            agent,
            logs,
            base: format!("http://{addr}"),
            client,
        })
    }

    /// `PUT /log/{logger}/{level}`: status and JSON body.
    pub async fn put(&self, logger: &str, level: &str) -> anyhow::Result<(u16, serde_json::Value)> {
        let response = self
            .client
            .put(format!("{}/log/{logger}/{level}", self.base))
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }

    /// `GET /log/list`: status and JSON body.
    pub async fn list(&self) -> anyhow::Result<(u16, serde_json::Value)> {
        let response = self
            .client
            .get(format!("{}/log/list", self.base))
            .send()
            .await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await?))
    }
}
