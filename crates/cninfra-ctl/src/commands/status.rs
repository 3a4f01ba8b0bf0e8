//! `status`: the agent's state, version and plugins, from its probes.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::agent::Agent;
use crate::cli::Format;
use crate::output::{self, Table};

/// The probes' body (`docs/health.md`), as the agent writes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct AgentStatus {
    #[serde(default)]
    build_version: String,
    #[serde(default)]
    build_date: String,
    #[serde(default)]
    commit_hash: String,
    #[serde(default)]
    state: u8,
    #[serde(default)]
    start_time: u64,
    #[serde(default)]
    last_change: u64,
    #[serde(default)]
    last_update: u64,
    #[serde(default)]
    plugins: Vec<PluginStatus>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    non_fatal_plugins: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct PluginStatus {
    name: String,
    #[serde(default)]
    state: u8,
    #[serde(default)]
    last_change: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

/// What `status` prints.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    /// `/readiness` answered 200.
    ready: bool,
    /// `/liveness` answered 200.
    live: bool,
    /// The status body.
    #[serde(flatten)]
    status: AgentStatus,
}

fn state_name(state: u8) -> &'static str {
    match state {
        0 => "INIT",
        1 => "OK",
        2 => "ERROR",
        _ => "UNKNOWN",
    }
}

fn since(unix: u64) -> String {
    let Some(then) = UNIX_EPOCH.checked_add(Duration::from_secs(unix)) else {
        return String::new();
    };
    match SystemTime::now().duration_since(then) {
        Ok(age) if unix > 0 => {
            humantime::format_duration(Duration::from_secs(age.as_secs())).to_string()
        }
        _ => String::new(),
    }
}

/// Reads both probes (a 503 still carries the status).
pub(crate) async fn fetch(agent: &Agent) -> anyhow::Result<Report> {
    let rest = agent.rest();
    let readiness = rest.send(Method::GET, "/readiness", &[]).await?;
    let status: AgentStatus = serde_json::from_str(&readiness.body).with_context(|| {
        format!(
            "GET {}: {}: the answer is not an agent status",
            rest.url("/readiness"),
            readiness.status
        )
    })?;
    let liveness = rest.send(Method::GET, "/liveness", &[]).await?;
    Ok(Report {
        ready: readiness.status.is_success(),
        live: liveness.status.is_success(),
        status,
    })
}

fn render(report: &Report) -> String {
    let status = &report.status;
    let mut summary = Table::new(vec![
        "STATE", "READY", "LIVE", "VERSION", "COMMIT", "BUILT", "UP",
    ]);
    summary.row(vec![
        state_name(status.state).into(),
        report.ready.to_string(),
        report.live.to_string(),
        status.build_version.clone(),
        status.commit_hash.clone(),
        status.build_date.clone(),
        since(status.start_time),
    ]);
    let mut plugins = Table::new(vec!["PLUGIN", "STATE", "SINCE", "ERROR"]);
    for plugin in &status.plugins {
        let mut name = plugin.name.clone();
        if status.non_fatal_plugins.contains(&plugin.name) {
            name.push_str(" (non-fatal)");
        }
        plugins.row(vec![
            name,
            state_name(plugin.state).into(),
            since(plugin.last_change),
            plugin.error.clone().unwrap_or_default(),
        ]);
    }
    let width = crate::output::terminal_width();
    format!("{}\n{}", summary.render(width), plugins.render(width))
}

/// `status`.
pub(crate) async fn run(agent: &Agent) -> anyhow::Result<()> {
    let report = fetch(agent).await?;
    match agent.format(Format::Table) {
        Format::Table => output::write_out(&render(&report)),
        format => output::print(format, &report, |_| Table::new(Vec::new())),
    }
}
