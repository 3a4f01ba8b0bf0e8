//! Printing results as a table, JSON or YAML.

mod table;

use std::io::Write as _;

use anyhow::{Context as _, bail};
use serde::Serialize;

pub(crate) use table::{Table, terminal_width};

use crate::cli::Format;

/// Writes `text` to standard output at once.
pub(crate) fn write_out(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to standard output")
}

/// `value` as JSON (pretty) or YAML text.
pub(crate) fn encode<T: Serialize + ?Sized>(format: Format, value: &T) -> anyhow::Result<String> {
    match format {
        Format::Json => {
            let mut text = serde_json::to_string_pretty(value).context("encoding JSON")?;
            text.push('\n');
            Ok(text)
        }
        Format::Yaml => serde_yaml_ng::to_string(value).context("encoding YAML"),
        other => bail!("no {other:?} form of this data"),
    }
}

/// Prints `value` in `format`; a table is made by `table`.
///
/// # Errors
/// `dot`/`svg` asked of a command that is no graph.
pub(crate) fn print<T: Serialize + ?Sized>(
    format: Format,
    value: &T,
    table: impl FnOnce(&T) -> Table,
) -> anyhow::Result<()> {
    match format {
        Format::Table => write_out(&table(value).render(table::terminal_width())),
        Format::Json | Format::Yaml => write_out(&encode(format, value)?),
        Format::Dot | Format::Svg => {
            bail!(
                "`--format {}` is for `graph`; use table, json or yaml",
                name(format)
            )
        }
    }
}

/// The flag value of a format.
pub(crate) fn name(format: Format) -> &'static str {
    match format {
        Format::Table => "table",
        Format::Json => "json",
        Format::Yaml => "yaml",
        Format::Dot => "dot",
        Format::Svg => "svg",
    }
}

/// Compact one-line JSON of a value, for table cells.
pub(crate) fn compact(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
