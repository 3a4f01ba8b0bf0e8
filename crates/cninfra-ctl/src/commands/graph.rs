//! `graph`: the scheduler's dependency graph (REST `/scheduler/graph?format=dot`), as
//! Graphviz text or, rendered by the local Graphviz `dot`, as SVG.

use std::process::Stdio;

use anyhow::{Context as _, anyhow, bail};
use tokio::io::AsyncWriteExt as _;

use crate::agent::Agent;
use crate::cli::{Format, GraphArgs};
use crate::output;

/// `dot -Tsvg` over `source`, within `limit`.
async fn render_svg(source: &str, limit: std::time::Duration) -> anyhow::Result<Vec<u8>> {
    let mut child = tokio::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => anyhow!(
                "SVG needs Graphviz's `dot` on the PATH (not found; install graphviz, or use `--format dot`)"
            ),
            _ => anyhow!("cannot run Graphviz's `dot`: {err}"),
        })?;
    let mut stdin = child.stdin.take().context("dot's standard input")?;
    let source = source.to_owned();
    let feed = tokio::spawn(async move {
        let written = stdin.write_all(source.as_bytes()).await;
        drop(stdin);
        written
    });
    let done = tokio::time::timeout(limit, child.wait_with_output())
        .await
        .map_err(|_| anyhow!("Graphviz's `dot` did not finish within {limit:?}"))?
        .context("running Graphviz's `dot`")?;
    feed.await
        .context("feeding `dot`")?
        .context("feeding `dot`")?;
    if !done.status.success() {
        bail!(
            "Graphviz's `dot` failed ({}): {}",
            done.status,
            String::from_utf8_lossy(&done.stderr).trim()
        );
    }
    Ok(done.stdout)
}

/// `graph`.
pub(crate) async fn run(agent: &Agent, args: GraphArgs) -> anyhow::Result<()> {
    let format = agent.format(Format::Dot);
    if !matches!(format, Format::Dot | Format::Svg) {
        bail!("`graph` prints dot or svg, not {}", output::name(format));
    }
    let mut query = vec![("format", "dot".to_owned())];
    if let Some(txn) = args.txn {
        query.push(("txn", txn.to_string()));
    }
    let dot = agent.rest().get_text("/scheduler/graph", &query).await?;
    let bytes = match format {
        Format::Svg => render_svg(&dot, agent.global().timeout).await?,
        _ => dot.into_bytes(),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
        }
        None => output::write_out(&String::from_utf8_lossy(&bytes)),
    }
}
