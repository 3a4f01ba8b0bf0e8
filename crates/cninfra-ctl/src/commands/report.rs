//! `report -o DIR`: status, versions, values, configuration, history, the scheduler's
//! views, stats, graph, metrics, log levels and models, one file each, in one folder.
//! A part that fails is listed (`_report.txt`, `_failed-reports.txt`) and the others go
//! on.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use futures::future::{BoxFuture, FutureExt as _, join_all};
use serde::Serialize;

use crate::agent::Agent;
use crate::cli::{Format, ReportArgs};
use crate::commands::{config, log, metrics, status};
use crate::output::{self, Table};

/// One part of the report: its file and how to make it.
struct Part<'a> {
    file: &'static str,
    what: &'static str,
    make: BoxFuture<'a, anyhow::Result<String>>,
}

fn json<T: Serialize>(value: &T) -> anyhow::Result<String> {
    output::encode(Format::Json, value)
}

fn parts(agent: &Agent) -> Vec<Part<'_>> {
    let rest = agent.rest();
    let get = |path: &'static str, query: Vec<(&'static str, String)>| {
        async move { rest.get_text(path, &query).await }.boxed()
    };
    let dump = |view: &'static str| {
        get(
            "/scheduler/dump",
            vec![("key-prefix", String::new()), ("view", view.to_owned())],
        )
    };
    vec![
        Part {
            file: "agent-status.json",
            what: "agent status (REST /readiness, /liveness)",
            make: async { json(&status::fetch(agent).await?) }.boxed(),
        },
        Part {
            file: "software-versions.txt",
            what: "software versions",
            make: async {
                let report = status::fetch(agent).await?;
                let status = serde_json::to_value(&report)?;
                let field = |name: &str| status.get(name).map(output::compact).unwrap_or_default();
                Ok(format!(
                    "cninfra-ctl: {}\nagent: {} (commit {}, built {})\n",
                    env!("CARGO_PKG_VERSION"),
                    field("build_version"),
                    field("commit_hash"),
                    field("build_date")
                ))
            }
            .boxed(),
        },
        Part {
            file: "agent-values.json",
            what: "value statuses (REST /scheduler/status)",
            make: get("/scheduler/status", Vec::new()),
        },
        Part {
            file: "agent-NB-config.yaml",
            what: "configuration (gRPC GetConfig)",
            make: async {
                let client = agent.grpc().await?;
                output::encode(Format::Yaml, &config::config_document(&client).await?.0)
            }
            .boxed(),
        },
        Part {
            file: "agent-models.json",
            what: "models (gRPC KnownModels)",
            make: async { json(&agent.grpc().await?.model_infos()) }.boxed(),
        },
        Part {
            file: "agent-transaction-history.txt",
            what: "transaction history (REST /scheduler/txn-history)",
            make: get(
                "/scheduler/txn-history",
                vec![("format", "text".to_owned())],
            ),
        },
        Part {
            file: "agent-transaction-history.json",
            what: "transaction records (REST /scheduler/txn-history)",
            make: get("/scheduler/txn-history", Vec::new()),
        },
        Part {
            file: "scheduler-view-NB.json",
            what: "NB view (REST /scheduler/dump)",
            make: dump("NB"),
        },
        Part {
            file: "scheduler-view-SB.json",
            what: "SB view (REST /scheduler/dump)",
            make: dump("SB"),
        },
        Part {
            file: "scheduler-view-cached.json",
            what: "cached view (REST /scheduler/dump)",
            make: dump("cached"),
        },
        Part {
            file: "scheduler-stats.json",
            what: "scheduler stats (REST /scheduler/stats)",
            make: get("/scheduler/stats", Vec::new()),
        },
        Part {
            file: "scheduler-graph.dot",
            what: "dependency graph (REST /scheduler/graph)",
            make: get("/scheduler/graph", vec![("format", "dot".to_owned())]),
        },
        Part {
            file: "agent-metrics.txt",
            what: "metrics (REST /metrics)",
            make: metrics::fetch(agent).boxed(),
        },
        Part {
            file: "agent-log-levels.json",
            what: "log levels (REST /log/list)",
            make: async { json(&log::list(agent).await?) }.boxed(),
        },
    ]
}

/// The outcome of one part.
#[derive(Debug, Serialize)]
struct Outcome {
    file: &'static str,
    what: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn write(dir: &Path, file: &str, text: &str) -> anyhow::Result<()> {
    let path = dir.join(file);
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))
}

/// `report`.
pub(crate) async fn run(agent: &Agent, args: ReportArgs) -> anyhow::Result<()> {
    let dir = &args.output;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let parts = parts(agent);
    let described: Vec<(&'static str, &'static str)> =
        parts.iter().map(|p| (p.file, p.what)).collect();
    let results = join_all(parts.into_iter().map(|p| p.make)).await;
    let mut outcomes = Vec::with_capacity(results.len());
    for ((file, what), result) in described.into_iter().zip(results) {
        let error = match result.and_then(|text| write(dir, file, &text)) {
            Ok(()) => None,
            Err(err) => Some(format!("{err:#}")),
        };
        outcomes.push(Outcome { file, what, error });
    }
    let mut summary = format!(
        "cninfra-ctl {} report of the agent at {} (REST :{}, gRPC :{}, label {})\n\n",
        env!("CARGO_PKG_VERSION"),
        agent.global().host,
        agent.global().http_port,
        agent.global().grpc_port,
        agent.global().service_label
    );
    let mut failed = String::new();
    for outcome in &outcomes {
        match &outcome.error {
            None => {
                let _ = writeln!(summary, "ok      {}: {}", outcome.file, outcome.what);
            }
            Some(error) => {
                let _ = writeln!(summary, "FAILED  {}: {}", outcome.file, outcome.what);
                let _ = writeln!(failed, "{} ({}): {error}", outcome.file, outcome.what);
            }
        }
    }
    write(dir, "_report.txt", &summary)?;
    write(dir, "_failed-reports.txt", &failed)?;
    let failures = outcomes.iter().filter(|o| o.error.is_some()).count();
    output::print(agent.format(Format::Table), &outcomes, |outcomes| {
        let mut table = Table::new(vec!["FILE", "PART", "ERROR"]);
        for o in outcomes {
            table.row(vec![
                o.file.into(),
                o.what.into(),
                o.error.clone().unwrap_or_default(),
            ]);
        }
        table
    })?;
    if failures > 0 {
        eprintln!(
            "cninfra-ctl: {failures} of {} parts failed; see {}",
            outcomes.len(),
            dir.join("_failed-reports.txt").display()
        );
    }
    Ok(())
}
