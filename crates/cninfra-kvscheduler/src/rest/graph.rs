//! `GET /scheduler/graph`: the graph in Graphviz form (dot text, or svg through `dot`).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write;
use std::process::Stdio;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::AsyncWriteExt;

use super::{ApiError, Params, Q, json, text};
use crate::{RecordedNode, Scheduler};

/// How long `dot` may take.
const DOT_TIMEOUT: Duration = Duration::from_secs(10);

pub(super) async fn render(State(s): State<Scheduler>, Query(q): Q) -> Result<Response, ApiError> {
    let q = Params(q);
    let (nodes, highlighted): (Vec<RecordedNode>, HashSet<String>) = match q.number("txn")? {
        Some(seq) => {
            let txn = s
                .recorded_txn(seq)
                .ok_or_else(|| ApiError::not_found(format!("no recorded transaction #{seq}")))?;
            let keys = txn.executed.iter().map(|op| op.key.to_string()).collect();
            (s.graph_snapshot(txn.stop), keys)
        }
        None => (s.graph_nodes(), HashSet::new()),
    };
    match q.get("format").unwrap_or("svg") {
        "dot" => Ok(text(to_dot(&nodes, &highlighted))),
        "raw" => Ok(json(&nodes)),
        "svg" => svg(to_dot(&nodes, &highlighted)).await,
        other => Err(ApiError::bad_request(format!(
            "unknown format `{other}` (svg, dot or raw)"
        ))),
    }
}

async fn svg(dot: String) -> Result<Response, ApiError> {
    let mut child = tokio::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot run graphviz `dot` ({err}); use format=dot"),
            )
        })?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no stdin for `dot`"))?;
    let run = async move {
        stdin.write_all(dot.as_bytes()).await?;
        drop(stdin);
        child.wait_with_output().await
    };
    let output = tokio::time::timeout(DOT_TIMEOUT, run)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                format!("`dot` took longer than {DOT_TIMEOUT:?}"),
            )
        })?
        .map_err(|err| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("`dot` failed: {err}"),
            )
        })?;
    if !output.status.success() {
        return Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("`dot` failed: {}", String::from_utf8_lossy(&output.stderr)),
        ));
    }
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], output.stdout).into_response())
}

fn flag<'a>(node: &'a RecordedNode, name: &str) -> Option<&'a str> {
    node.flags
        .iter()
        .find(|f| f.name == name)
        .map(|f| f.value.as_str())
}

fn colour(node: &RecordedNode) -> &'static str {
    match flag(node, "value-state").unwrap_or("") {
        "PENDING" => "#d3d3d3",
        "FAILED" | "RETRYING" | "INVALID" => "#ff9e9e",
        "UNIMPLEMENTED" => "#ffd7a8",
        "MISSING" | "REMOVED" => "#ffcccc",
        "OBTAINED" => "#e1bee7",
        "DISCOVERED" => "#b3e5fc",
        _ if flag(node, "derived").is_some() => "#ffffcc",
        _ => "#c8e6c9",
    }
}

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The dot text: one cluster per descriptor, a colour per state, gold border for the keys
/// a transaction changed, dashed edges for derived values.
pub(super) fn to_dot(nodes: &[RecordedNode], highlighted: &HashSet<String>) -> String {
    let mut out = String::from(
        "digraph kvscheduler {\n  rankdir=LR;\n  node [shape=box, style=filled, fontsize=10];\n",
    );
    let mut clusters: BTreeMap<&str, Vec<&RecordedNode>> = BTreeMap::new();
    for node in nodes {
        clusters
            .entry(flag(node, "descriptor").unwrap_or(""))
            .or_default()
            .push(node);
    }
    for (i, (descriptor, members)) in clusters.iter().enumerate() {
        if !descriptor.is_empty() {
            let _ = writeln!(
                out,
                "  subgraph cluster_{i} {{\n    label={};",
                quote(descriptor)
            );
        }
        for node in members {
            let state = flag(node, "value-state").unwrap_or("");
            let border = if highlighted.contains(&node.key) {
                ", color=gold, penwidth=3"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "    {} [label={}, fillcolor={}, URL={}{border}];",
                quote(&node.key),
                quote(&format!("{}\n{state}", node.key)),
                quote(colour(node)),
                quote(&format!("/scheduler/key-timeline?key={}", node.key)),
            );
        }
        if !descriptor.is_empty() {
            out.push_str("  }\n");
        }
    }
    for node in nodes {
        for target in &node.targets {
            if target.relation == "derives" {
                let _ = writeln!(
                    out,
                    "  {} -> {} [style=dashed, color=grey];",
                    quote(&node.key),
                    quote(&target.label)
                );
                continue;
            }
            let matches: Vec<&RecordedNode> = if target.keys.len() == 1
                && !target.selector
                && nodes.iter().any(|n| n.key == target.keys[0])
            {
                nodes.iter().filter(|n| n.key == target.keys[0]).collect()
            } else {
                nodes
                    .iter()
                    .filter(|n| {
                        target.keys.iter().any(|p| n.key.starts_with(p.as_str()))
                            && n.key != node.key
                    })
                    .collect()
            };
            for dst in matches {
                let _ = writeln!(
                    out,
                    "  {} -> {} [label={}];",
                    quote(&node.key),
                    quote(&dst.key),
                    quote(&target.label)
                );
            }
        }
    }
    out.push_str("}\n");
    out
}
