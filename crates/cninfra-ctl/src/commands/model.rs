//! `model list | inspect`: the agent's models (gRPC `MetaService`).

use anyhow::anyhow;
use cninfra_models::ModelInfo;
use prost_reflect::{Kind, MessageDescriptor};
use serde::Serialize;

use crate::agent::Agent;
use crate::cli::{Format, ModelCommand};
use crate::output::{self, Table};

/// A field of a model's message.
#[derive(Debug, Serialize)]
struct Field {
    name: String,
    number: u32,
    #[serde(rename = "type")]
    kind: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    repeated: bool,
}

/// `model inspect`'s answer.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Inspected<'a> {
    #[serde(flatten)]
    info: &'a ModelInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    proto_file: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fields: Vec<Field>,
}

fn kind_name(kind: &Kind) -> String {
    match kind {
        Kind::Message(m) => m.full_name().to_owned(),
        Kind::Enum(e) => e.full_name().to_owned(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn fields(descriptor: &MessageDescriptor) -> Vec<Field> {
    descriptor
        .fields()
        .map(|f| Field {
            name: f.name().to_owned(),
            number: f.number(),
            kind: if f.is_map() {
                "map".to_owned()
            } else {
                kind_name(&f.kind())
            },
            repeated: f.is_list(),
        })
        .collect()
}

/// The models (`model list`), as the agent reports them.
pub(crate) fn table(infos: &[ModelInfo]) -> Table {
    let mut table = Table::new(vec![
        "MODEL",
        "CLASS",
        "PROTO MESSAGE",
        "KEY PREFIX",
        "NAME TEMPLATE",
    ]);
    for info in infos {
        table.row(vec![
            info.name.clone(),
            info.spec.class.clone(),
            info.proto_name.clone(),
            info.key_prefix.clone(),
            info.name_template.clone().unwrap_or_default(),
        ]);
    }
    table
}

/// `model ...`.
pub(crate) async fn run(agent: &Agent, command: ModelCommand) -> anyhow::Result<()> {
    let client = agent.grpc().await?;
    let format = agent.format(Format::Table);
    match command {
        ModelCommand::List { pattern, class } => {
            let infos: Vec<&ModelInfo> = client
                .model_infos()
                .iter()
                .filter(|i| pattern.as_deref().is_none_or(|p| i.name.contains(p)))
                .filter(|i| class.as_deref().is_none_or(|c| i.spec.class == c))
                .collect();
            let owned: Vec<ModelInfo> = infos.into_iter().cloned().collect();
            output::print(format, &owned, |infos| table(infos))
        }
        ModelCommand::Inspect { model } => {
            let info = client
                .model_infos()
                .iter()
                .find(|i| i.name == model || i.proto_name == model)
                .ok_or_else(|| anyhow!("the agent has no model `{model}`"))?;
            let descriptor = client
                .models()
                .get(&info.name)
                .and_then(|m| m.descriptor())
                .cloned();
            let inspected = Inspected {
                info,
                proto_file: descriptor
                    .as_ref()
                    .map(|d| d.parent_file().name().to_owned()),
                fields: descriptor.as_ref().map(fields).unwrap_or_default(),
            };
            if format != Format::Table {
                return output::print(format, &inspected, |_| Table::new(Vec::new()));
            }
            let mut fields = Table::new(vec!["FIELD", "NUMBER", "TYPE"]);
            for field in &inspected.fields {
                let kind = if field.repeated {
                    format!("repeated {}", field.kind)
                } else {
                    field.kind.clone()
                };
                fields.row(vec![field.name.clone(), field.number.to_string(), kind]);
            }
            let width = output::terminal_width();
            let file = inspected.proto_file.as_deref().unwrap_or("(not described)");
            output::write_out(&format!(
                "{}\nproto file: {file}\n\n{}",
                table(std::slice::from_ref(info)).render(width),
                fields.render(width)
            ))
        }
    }
}
