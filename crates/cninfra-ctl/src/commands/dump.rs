//! `dump`: the values of a model in one of the scheduler's views (REST
//! `/scheduler/dump`).

use serde_json::Value;

use crate::agent::Agent;
use crate::cli::{DumpArgs, Format, View};
use crate::commands::values::models_or_warn;
use crate::output::{self, Table};

/// The view's query value.
pub(crate) fn view_name(view: View) -> &'static str {
    match view {
        View::Sb => "SB",
        View::Nb => "NB",
        View::Cached => "cached",
    }
}

/// `dump`.
pub(crate) async fn run(agent: &Agent, args: DumpArgs) -> anyhow::Result<()> {
    let models = if args.model == "all" || args.model.contains('/') {
        models_or_warn(agent).await
    } else {
        Some(agent.models().await?)
    };
    let prefix = match (&models, args.model.as_str()) {
        (_, "all") => String::new(),
        (Some(models), model) => models.prefix_of(model)?,
        (None, model) => model.to_owned(),
    };
    let query = [
        ("key-prefix", prefix),
        ("view", view_name(args.view).to_owned()),
    ];
    let dumped: Vec<Value> = agent.rest().get_json("/scheduler/dump", &query).await?;
    output::print(agent.format(Format::Table), &dumped, |dumped| {
        let mut table = Table::new(vec!["MODEL", "NAME", "ORIGIN", "VALUE", "METADATA"]);
        for kv in dumped {
            let key = kv.get("key").and_then(Value::as_str).unwrap_or_default();
            let (model, name) = models
                .as_ref()
                .and_then(|m| m.split(key))
                .unwrap_or(("", key));
            table.row(vec![
                model.to_owned(),
                name.to_owned(),
                kv.get("origin").map(output::compact).unwrap_or_default(),
                kv.get("value").map(output::compact).unwrap_or_default(),
                kv.get("metadata").map(output::compact).unwrap_or_default(),
            ]);
        }
        table
    })
}
