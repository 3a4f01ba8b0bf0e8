//! `values`: the status of the agent's values (REST `/scheduler/status`), with the
//! model of each key from the models the agent reports.

use cninfra_kvscheduler::{BaseValueStatus, TxnOperation, ValueStatus};
use serde::Serialize;

use crate::agent::{Agent, Models};
use crate::cli::{Format, ValuesArgs};
use crate::output::{self, Table};

/// One base value as printed.
#[derive(Debug, Serialize)]
struct Row<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    name: &'a str,
    #[serde(flatten)]
    status: &'a BaseValueStatus,
}

fn last_op(op: TxnOperation) -> &'static str {
    match op {
        TxnOperation::Undefined => "",
        op => op.as_str(),
    }
}

fn cells(model: &str, name: String, status: &ValueStatus) -> Vec<String> {
    vec![
        model.to_owned(),
        name,
        status.state.as_str().to_owned(),
        status.details.join(", "),
        last_op(status.last_operation).to_owned(),
        status.error.clone(),
    ]
}

/// The models, or `None` (with a warning) when the agent does not report them: the
/// table then names keys.
pub(crate) async fn models_or_warn(agent: &Agent) -> Option<Models> {
    match agent.models().await {
        Ok(models) => Some(models),
        Err(err) => {
            eprintln!("cninfra-ctl: warning: {err:#}; keys are shown without their models");
            None
        }
    }
}

/// `values`.
pub(crate) async fn run(agent: &Agent, args: ValuesArgs) -> anyhow::Result<()> {
    // A model name needs the models first; otherwise they only name the keys.
    let (models, query) = match &args.model {
        Some(model) if !model.contains('/') => {
            let models = agent.models().await?;
            let prefix = models.prefix_of(model)?;
            (Some(models), vec![("key-prefix", prefix)])
        }
        Some(prefix) => (None, vec![("key-prefix", prefix.clone())]),
        None => (None, Vec::new()),
    };
    let statuses: Vec<BaseValueStatus> = agent.rest().get_json("/scheduler/status", &query).await?;
    let models = match models {
        Some(models) => Some(models),
        None => models_or_warn(agent).await,
    };
    let rows: Vec<Row<'_>> = statuses
        .iter()
        .map(|status| {
            let key = status.value.key.as_str();
            let (model, name) = match models.as_ref().and_then(|m| m.split(key)) {
                Some((model, name)) => (Some(model), name),
                None => (None, key),
            };
            Row {
                model,
                name,
                status,
            }
        })
        .collect();
    output::print(agent.format(Format::Table), &rows, |rows| {
        let mut table = Table::new(vec![
            "MODEL", "NAME", "STATE", "DETAILS", "LAST OP", "ERROR",
        ]);
        for row in rows {
            table.row(cells(
                row.model.unwrap_or_default(),
                row.name.to_owned(),
                &row.status.value,
            ));
            for derived in &row.status.derived_values {
                table.row(cells("", format!("↳ {}", derived.key), derived));
            }
        }
        table
    })
}
