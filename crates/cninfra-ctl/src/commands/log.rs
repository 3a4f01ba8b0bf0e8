//! `log list | set`: loggers and their levels (REST `/log/list`, `PUT /log/{logger}/{level}`).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::agent::Agent;
use crate::cli::{Format, LogCommand};
use crate::output::{self, Table};

/// A logger and its level, as the agent lists them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Logger {
    logger: String,
    level: String,
}

fn table(loggers: &[Logger]) -> Table {
    let mut table = Table::new(vec!["LOGGER", "LEVEL"]);
    for logger in loggers {
        table.row(vec![logger.logger.clone(), logger.level.clone()]);
    }
    table
}

/// The loggers.
pub(crate) async fn list(agent: &Agent) -> anyhow::Result<Vec<Logger>> {
    agent.rest().get_json("/log/list", &[]).await
}

/// `log ...`.
pub(crate) async fn run(agent: &Agent, command: LogCommand) -> anyhow::Result<()> {
    let format = agent.format(Format::Table);
    match command {
        LogCommand::List { logger } => {
            let mut loggers = list(agent).await?;
            if let Some(part) = logger {
                loggers.retain(|l| l.logger.contains(&part));
            }
            output::print(format, &loggers, |l| table(l))
        }
        LogCommand::Set { logger, level } => {
            let path = format!("/log/{logger}/{level}");
            let body = agent.rest().call(Method::PUT, &path, &[]).await?;
            let set: Logger = serde_json::from_str(&body)?;
            output::print(format, &[set], |l| table(l))
        }
    }
}
