//! `import FILE`: lines `KEY JSON` (`#` comments) put in etcd transactions of `--txops`
//! operations, or sent over gRPC in one `SetConfig` with `--grpc`.

use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use cninfra_client::Value;
use cninfra_kv::Txn;
use serde::Serialize;

use crate::agent::Agent;
use crate::cli::{Format, ImportArgs};
use crate::commands::config::report_reply;
use crate::output::{self, Table};

/// The `KEY JSON` lines of a file.
fn parse(path: &Path, text: &str) -> anyhow::Result<Vec<(String, serde_json::Value)>> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{}:{}", path.display(), index + 1);
        let (key, json) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| anyhow!("{}: expected `KEY JSON`", at()))?;
        let value = serde_json::from_str(json.trim())
            .with_context(|| format!("{}: the value of `{key}` is not JSON", at()))?;
        out.push((key.to_owned(), value));
    }
    Ok(out)
}

/// What an etcd import did.
#[derive(Debug, Serialize)]
struct Imported {
    keys: usize,
    transactions: usize,
}

/// `import`.
pub(crate) async fn run(agent: &Agent, args: ImportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let lines = parse(&args.file, &text)?;
    if args.grpc {
        let client = agent.grpc().await?;
        let prefix = agent.agent_prefix();
        let mut request = client.change();
        for (key, json) in lines {
            let relative = match key.strip_prefix(&prefix) {
                Some(relative) => relative.to_owned(),
                None if key.starts_with('/') => {
                    bail!(
                        "`{key}` is not a key of the agent (`{prefix}...`): gRPC reaches this agent only"
                    )
                }
                None => key,
            };
            request = request.put_key(relative, Value::Json(json));
        }
        return report_reply(agent, &request.send().await?);
    }
    if args.txops == 0 {
        bail!("--txops must be at least 1");
    }
    let store = agent.etcd().await?;
    let mut transactions = 0;
    for chunk in lines.chunks(args.txops) {
        let mut txn = Txn::new();
        for (key, json) in chunk {
            txn = txn.put(agent.full_key(key), json.to_string());
        }
        let first = chunk.first().map(|(k, _)| k.as_str()).unwrap_or_default();
        txn.commit(&store)
            .await
            .with_context(|| format!("{}: transaction from `{first}`", store.name()))?;
        transactions += 1;
    }
    let imported = Imported {
        keys: lines.len(),
        transactions,
    };
    output::print(agent.format(Format::Table), &imported, |i| {
        let mut table = Table::new(vec!["KEYS", "TRANSACTIONS"]);
        table.row(vec![i.keys.to_string(), i.transactions.to_string()]);
        table
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_comments_and_bad_lines() {
        let path = Path::new("in.txt");
        let text = "# comment\n\nconfig/a {\"x\": 1}\n  /vnf-agent/v/config/b   {\"y\":[1, 2]}\n";
        let lines = parse(path, text).unwrap();
        assert_eq!(lines[0], ("config/a".into(), serde_json::json!({"x": 1})));
        assert_eq!(lines[1].0, "/vnf-agent/v/config/b");
        let err = parse(path, "config/a {oops}").unwrap_err();
        assert_eq!(format!("{err:#}").split(": ").next(), Some("in.txt:1"));
        assert!(
            parse(path, "lonely")
                .unwrap_err()
                .to_string()
                .contains("KEY JSON")
        );
    }
}
