//! `metrics [PATTERN]`: the agent's Prometheus metrics (REST `/metrics`), one row per
//! sample.

use serde::Serialize;

use crate::agent::Agent;
use crate::cli::{Format, MetricsArgs};
use crate::output::{self, Table};

/// One sample of the text format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Sample {
    name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    labels: String,
    value: String,
}

/// The samples of Prometheus' text format (comments and blank lines skipped).
fn parse(text: &str) -> Vec<Sample> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = match line.rfind('}') {
                Some(end) => (&line[..=end], line[end + 1..].trim()),
                None => line.split_once(' ')?,
            };
            let value = value.split_whitespace().next().unwrap_or_default();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            Some(Sample {
                name: name.to_owned(),
                labels: labels.to_owned(),
                value: value.to_owned(),
            })
        })
        .collect()
}

/// The metrics text.
pub(crate) async fn fetch(agent: &Agent) -> anyhow::Result<String> {
    agent.rest().get_text("/metrics", &[]).await
}

/// `metrics`.
pub(crate) async fn run(agent: &Agent, args: MetricsArgs) -> anyhow::Result<()> {
    let mut samples = parse(&fetch(agent).await?);
    if let Some(pattern) = &args.pattern {
        samples.retain(|s| s.name.contains(pattern.as_str()));
    }
    output::print(agent.format(Format::Table), &samples, |samples| {
        let mut table = Table::new(vec!["METRIC", "LABELS", "VALUE"]);
        for s in samples {
            table.row(vec![s.name.clone(), s.labels.clone(), s.value.clone()]);
        }
        table
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_of_the_text_format() {
        let text = "# HELP x help\n# TYPE x counter\nx_total 3\nreq{code=\"200\",path=\"/a b\"} 1.5 1700000000\n\n";
        assert_eq!(
            parse(text),
            [
                Sample {
                    name: "x_total".into(),
                    labels: String::new(),
                    value: "3".into()
                },
                Sample {
                    name: "req".into(),
                    labels: "code=\"200\",path=\"/a b\"".into(),
                    value: "1.5".into()
                },
            ]
        );
    }
}
