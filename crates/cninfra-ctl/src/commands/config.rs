//! `config get | update | delete | resync | history | watch`.

use std::time::SystemTime;

use anyhow::{Context as _, anyhow, bail};
use cninfra_client::{Client, Filter, ItemResult, Reply};
use cninfra_models::secret::REDACTED;
use reqwest::Method;
use serde_json::Value;

use crate::agent::Agent;
use crate::cli::{
    ConfigCommand, DeleteArgs, Format, HistoryArgs, ResyncArgs, UpdateArgs, WatchArgs,
};
use crate::dynconfig::{self, Layout};
use crate::output::{self, Table};

/// `config ...`.
pub(crate) async fn run(agent: &Agent, command: ConfigCommand) -> anyhow::Result<()> {
    match command {
        ConfigCommand::Get => get(agent).await,
        ConfigCommand::Update(args) => update(agent, args).await,
        ConfigCommand::Delete(args) => delete(agent, args).await,
        ConfigCommand::Resync(args) => resync(agent, args).await,
        ConfigCommand::History(args) => history(agent, args).await,
        ConfigCommand::Watch(args) => watch(agent, args).await,
    }
}

/// The configuration as agentctl's grouped document, the values of the fields the agent
/// marks secret shown as `<redacted>`.
pub(crate) async fn config_document(
    client: &Client,
) -> anyhow::Result<(Value, Vec<cninfra_client::ConfigItem>)> {
    let items = client.get_config(&Filter::default()).await?;
    let layout = Layout::new(client.model_infos());
    let doc = layout.group(items.iter().filter_map(|c| {
        let model = c.item.model.as_deref()?;
        let mut value = c.item.value.to_json();
        if let Some(found) = client.models().get(model) {
            found.redact(&mut value);
        }
        Some((model, value))
    }))?;
    Ok((doc, items))
}

async fn get(agent: &Agent) -> anyhow::Result<()> {
    let client = agent.grpc().await?;
    let (doc, items) = config_document(&client).await?;
    match agent.format(Format::Yaml) {
        Format::Table => {
            let mut table = Table::new(vec!["MODEL", "NAME", "STATE", "DETAILS", "ERROR"]);
            for config in &items {
                let model = config.item.model.clone().unwrap_or_default();
                let name = client
                    .models()
                    .get(&model)
                    .and_then(|m| m.strip_key_prefix(&config.item.key))
                    .unwrap_or(&config.item.key)
                    .to_owned();
                let status = config.status.clone().unwrap_or_default();
                table.row(vec![
                    model,
                    name,
                    config
                        .status
                        .as_ref()
                        .map(|s| s.state.as_str().to_owned())
                        .unwrap_or_default(),
                    status.details.join(", "),
                    status.error,
                ]);
            }
            output::write_out(&table.render(output::terminal_width()))
        }
        format => output::print(format, &doc, |_| Table::new(Vec::new())),
    }
}

/// Prints a reply and fails when values failed.
pub(crate) fn report_reply(agent: &Agent, reply: &Reply) -> anyhow::Result<()> {
    output::print(agent.format(Format::Table), reply, |reply| {
        let mut table = Table::new(vec!["KEY", "STATE", "DETAILS", "ERROR"]);
        for result in &reply.results {
            let status = result.status.clone().unwrap_or_default();
            table.row(vec![
                result.key.clone(),
                result
                    .status
                    .as_ref()
                    .map(|s| s.state.as_str().to_owned())
                    .unwrap_or_default(),
                status.details.join(", "),
                status.error,
            ]);
        }
        table
    })?;
    if agent.format(Format::Table) == Format::Table
        && let Some(seq) = reply.seq
    {
        output::write_out(&format!("transaction #{seq}\n"))?;
    }
    let failed: Vec<&ItemResult> = reply.failures().collect();
    if !failed.is_empty() {
        let keys: Vec<&str> = failed.iter().map(|r| r.key.as_str()).collect();
        bail!(
            "{} of {} values failed: {}",
            failed.len(),
            reply.results.len(),
            keys.join(", ")
        );
    }
    Ok(())
}

/// Refuses a value whose secret field holds `<redacted>` (a file made by `config get`):
/// applied, it would replace the secret.
fn check_not_redacted(client: &Client, model: &str, value: &Value) -> anyhow::Result<()> {
    let Some(found) = client.models().get(model) else {
        return Ok(());
    };
    let mut value = value.clone();
    for path in found.secret_fields() {
        path.try_visit_mut(&mut value, &mut |at, field| {
            if field.as_str() == Some(REDACTED) {
                bail!(
                    "a `{model}` value has `{REDACTED}` in its secret field `{at}` (as `config get` \
                     shows it); give the real value"
                );
            }
            Ok(())
        })?;
    }
    Ok(())
}

async fn update(agent: &Agent, args: UpdateArgs) -> anyhow::Result<()> {
    let doc = dynconfig::read(&args.file)?;
    let client = agent.grpc().await?;
    let values = Layout::new(client.model_infos())
        .parse(doc)
        .with_context(|| args.file.display().to_string())?;
    for (model, value) in &values {
        check_not_redacted(&client, model, value)
            .with_context(|| args.file.display().to_string())?;
    }
    let wait = args.wait.then_some(agent.global().timeout);
    let reply = if args.replace {
        let mut request = client.resync([]);
        for (model, value) in values {
            request = request.put_json(&model, value);
        }
        if let Some(limit) = wait {
            request = request.wait(limit);
        }
        request.send().await?
    } else {
        let mut request = client.change();
        for (model, value) in values {
            request = request.put_json(&model, value);
        }
        if let Some(limit) = wait {
            request = request.wait(limit);
        }
        request.send().await?
    };
    report_reply(agent, &reply)
}

async fn delete(agent: &Agent, args: DeleteArgs) -> anyhow::Result<()> {
    let doc = dynconfig::read(&args.file)?;
    let client = agent.grpc().await?;
    let values = Layout::new(client.model_infos())
        .parse(doc)
        .with_context(|| args.file.display().to_string())?;
    let mut request = client.change();
    for (model, value) in values {
        let found = client
            .models()
            .get(&model)
            .ok_or_else(|| anyhow!("the agent did not describe the message of model `{model}`"))?;
        let key = found
            .key_of(&value)
            .with_context(|| format!("a `{model}` value of {}", args.file.display()))?;
        request = request.delete_key(key);
    }
    report_reply(agent, &request.send().await?)
}

/// A cell of a JSON record.
fn text(value: &Value, field: &str) -> String {
    value.get(field).map(output::compact).unwrap_or_default()
}

/// Executed operations of a record as table rows.
fn op_rows(table: &mut Table, seq: &str, record: &Value) {
    let ops = record.get("executed").and_then(Value::as_array);
    for op in ops.into_iter().flatten() {
        table.row(vec![
            seq.to_owned(),
            text(op, "operation"),
            text(op, "key"),
            text(op, "newState"),
            text(op, "newErrMsg"),
        ]);
    }
}

async fn resync(agent: &Agent, args: ResyncArgs) -> anyhow::Result<()> {
    let mut query = Vec::new();
    if args.retry {
        query.push(("retry", "true".to_owned()));
    }
    if args.verbose {
        query.push(("verbose", "true".to_owned()));
    }
    let body = agent
        .rest()
        .call(Method::POST, "/scheduler/downstream-resync", &query)
        .await?;
    let record: Value = serde_json::from_str(&body).context("the resync record is not JSON")?;
    output::print(agent.format(Format::Table), &record, |record| {
        let mut table = Table::new(vec!["SEQ", "OP", "KEY", "STATE", "ERROR"]);
        op_rows(&mut table, &text(record, "seqNum"), record);
        table
    })
}

/// Start and duration of a record (`start`/`stop` in RFC 3339).
fn timing(record: &Value) -> (String, String) {
    let parse = |field: &str| {
        record
            .get(field)
            .and_then(Value::as_str)
            .and_then(|t| humantime::parse_rfc3339(t).ok())
    };
    let start = text(record, "start");
    let duration = match (parse("start"), parse("stop")) {
        (Some(a), Some(b)) => b
            .duration_since(a)
            .map(|d| format!("{d:?}"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    (start, duration)
}

async fn history(agent: &Agent, args: HistoryArgs) -> anyhow::Result<()> {
    let rest = agent.rest();
    let format = agent.format(Format::Table);
    if let Some(seq) = args.seq {
        let query = [("seq-num", seq.to_string())];
        if format == Format::Table {
            let query = [query[0].clone(), ("format", "text".to_owned())];
            return output::write_out(&rest.get_text("/scheduler/txn-history", &query).await?);
        }
        let record: Value = rest.get_json("/scheduler/txn-history", &query).await?;
        return output::print(format, &record, |_| Table::new(Vec::new()));
    }
    let records: Vec<Value> = rest.get_json("/scheduler/txn-history", &[]).await?;
    output::print(format, &records, |records| {
        if args.details {
            let mut table = Table::new(vec!["SEQ", "OP", "KEY", "STATE", "ERROR"]);
            for record in records {
                op_rows(&mut table, &text(record, "seqNum"), record);
            }
            return table;
        }
        let mut table = Table::new(vec![
            "SEQ",
            "TYPE",
            "START",
            "TOOK",
            "VALUES",
            "OPS",
            "ERRORS",
            "DESCRIPTION",
        ]);
        for record in records {
            let (start, took) = timing(record);
            let count = |field: &str| {
                record
                    .get(field)
                    .and_then(Value::as_array)
                    .map_or(0, Vec::len)
            };
            let errors = record
                .get("executed")
                .and_then(Value::as_array)
                .map_or(0, |ops| {
                    ops.iter()
                        .filter(|op| op.get("newErrMsg").is_some())
                        .count()
                });
            let mut kind = text(record, "txnType");
            if let Some(resync) = record.get("resyncType") {
                kind = format!("{kind} ({})", output::compact(resync));
            }
            table.row(vec![
                text(record, "seqNum"),
                kind,
                start,
                took,
                count("values").to_string(),
                count("executed").to_string(),
                errors.to_string(),
                text(record, "description"),
            ]);
        }
        table
    })
}

async fn watch(agent: &Agent, args: WatchArgs) -> anyhow::Result<()> {
    let client = agent.grpc().await?;
    let mut stream = client.subscribe(&args.keys).await?;
    let format = agent.format(Format::Table);
    if format == Format::Table {
        output::write_out("TIME  MODEL  KEY  STATE  DETAILS  ERROR\n")?;
    }
    let mut seen = 0;
    while args.count.is_none_or(|count| seen < count) {
        let Some(next) = stream.recv().await else {
            bail!("the agent ended the status stream");
        };
        let notification = next?;
        seen += 1;
        let line = match format {
            Format::Table => {
                let status = &notification.status;
                format!(
                    "{}  {}  {}  {}  {}  {}\n",
                    humantime::format_rfc3339_seconds(SystemTime::now()),
                    notification.model.as_deref().unwrap_or("-"),
                    status.key,
                    status.state,
                    status.details.join(", "),
                    status.error
                )
            }
            Format::Json => format!("{}\n", serde_json::to_string(&notification)?),
            other => format!("---\n{}", output::encode(other, &notification)?),
        };
        output::write_out(&line)?;
    }
    Ok(())
}
