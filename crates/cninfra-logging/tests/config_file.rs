//! The log manager's config file and `INITIAL_LOGLVL`, through a real agent.

mod support;

use std::io::Write;

use cninfra_logging::{LogFormat, LogLevel, LogManagerPlugin, LogRegistry, LogSettings};
use support::{Capture, TestAgent, http};

/// A temp `logs.conf` holding `text`.
fn config_file(text: &str) -> anyhow::Result<tempfile::NamedTempFile> {
    let mut file = tempfile::Builder::new().suffix(".conf").tempfile()?;
    file.write_all(text.as_bytes())?;
    Ok(file)
}

const CONFIG: &str = "default-level: warn
format: json
loggers:
  - name: http
    level: debug
  - name: hyper::proto
    level: error
";

/// Starts an agent on a fresh registry with `--logs-config <file>` and these variables.
async fn start(
    file: &tempfile::NamedTempFile,
    env: &[(&str, &str)],
) -> anyhow::Result<(
    TestAgent,
    std::sync::Arc<LogRegistry>,
    tracing::Dispatch,
    Capture,
)> {
    let capture = Capture::default();
    let (registry, dispatch) = LogRegistry::new(LogSettings::new().with_writer(capture.clone()));
    let http = http();
    let logs = LogManagerPlugin::builder()
        .with_registry(registry.clone())
        .build();
    let path = file.path().to_str().unwrap_or_default().to_owned();
    let agent = TestAgent::start(logs, http, &["--logs-config", &path], env).await?;
    Ok((agent, registry, dispatch, capture))
}

#[tokio::test]
async fn the_config_sets_default_loggers_and_format() -> anyhow::Result<()> {
    let file = config_file(CONFIG)?;
    let (agent, registry, dispatch, capture) = start(&file, &[]).await?;
    assert_eq!(registry.default_level(), LogLevel::Warn);
    assert_eq!(registry.level("http"), Some(LogLevel::Debug));
    assert_eq!(registry.level("hyper::proto"), Some(LogLevel::Error));
    assert_eq!(registry.level("app"), Some(LogLevel::Warn));
    assert_eq!(registry.format(), LogFormat::Json);

    tracing::dispatcher::with_default(&dispatch, || {
        tracing::debug!(target: "http::server", "http-debug");
        tracing::info!(target: "app", "app-info");
    });
    let line = &capture.lines_with("http-debug")[0];
    let json: serde_json::Value = serde_json::from_str(line)?;
    assert_eq!(json["target"], "http::server");
    assert!(capture.lines_with("app-info").is_empty());
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn initial_loglvl_wins_over_the_config_default() -> anyhow::Result<()> {
    let file = config_file(CONFIG)?;
    let (agent, registry, _dispatch, _capture) =
        start(&file, &[("INITIAL_LOGLVL", "debug")]).await?;
    assert_eq!(registry.default_level(), LogLevel::Debug);
    assert_eq!(registry.level("app"), Some(LogLevel::Debug));
    assert_eq!(
        registry.level("hyper::proto"),
        Some(LogLevel::Error),
        "per-logger stays"
    );
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_bad_initial_loglvl_is_ignored() -> anyhow::Result<()> {
    let file = config_file(CONFIG)?;
    let (agent, registry, _dispatch, _capture) =
        start(&file, &[("INITIAL_LOGLVL", "loud")]).await?;
    assert_eq!(registry.default_level(), LogLevel::Warn);
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_bad_level_in_the_file_fails_the_start_naming_it() -> anyhow::Result<()> {
    let file = config_file("loggers:\n  - name: http\n    level: loud\n")?;
    let Err(err) = start(&file, &[]).await else {
        anyhow::bail!("the agent started with a bad level");
    };
    let chain = format!("{err:#}");
    assert!(
        chain.contains("loud") && chain.contains("loggers"),
        "{chain}"
    );
    Ok(())
}
