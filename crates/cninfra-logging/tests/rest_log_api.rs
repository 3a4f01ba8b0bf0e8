//! The log manager's REST API over real HTTP, on a registry of the test's own.

mod support;

use cninfra_logging::{LogLevel, LogManagerPlugin, LogRegistry, LogSettings};
use serde_json::json;
use support::{Capture, TestAgent, http};

/// An agent whose log manager uses a fresh registry; the dispatch keeps it alive.
async fn start() -> anyhow::Result<(TestAgent, tracing::Dispatch)> {
    let (registry, dispatch) = LogRegistry::new(LogSettings::new().with_writer(Capture::default()));
    let http = http();
    let logs = LogManagerPlugin::builder().with_registry(registry).build();
    Ok((TestAgent::start(logs, http, &[], &[]).await?, dispatch))
}

#[tokio::test]
async fn list_shows_every_plugin_and_the_agent_sorted() -> anyhow::Result<()> {
    let (agent, _dispatch) = start().await?;
    let (status, body) = agent.list().await?;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!([
            {"logger": "agent", "level": "info"},
            {"logger": "app", "level": "info"},
            {"logger": "http", "level": "info"},
            {"logger": "logs", "level": "info"},
        ])
    );
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn put_sets_the_level_and_echoes_it() -> anyhow::Result<()> {
    let (agent, _dispatch) = start().await?;
    let (status, body) = agent.put("http", "debug").await?;
    assert_eq!(
        (status, body),
        (200, json!({"logger": "http", "level": "debug"}))
    );
    let (status, body) = agent.put("app", "WARNING").await?;
    assert_eq!(
        (status, body),
        (200, json!({"logger": "app", "level": "warn"}))
    );
    let (status, body) = agent.put("agent", "panic").await?;
    assert_eq!(
        (status, body),
        (200, json!({"logger": "agent", "level": "panic"}))
    );

    let registry = agent.logs.registry().expect("registry after init");
    assert_eq!(registry.level("http"), Some(LogLevel::Debug));
    let (_, list) = agent.list().await?;
    assert_eq!(list[0], json!({"logger": "agent", "level": "panic"}));
    assert_eq!(list[1], json!({"logger": "app", "level": "warn"}));
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn put_default_changes_loggers_without_a_level() -> anyhow::Result<()> {
    let (agent, _dispatch) = start().await?;
    agent.put("http", "error").await?;
    let (status, _) = agent.put("default", "debug").await?;
    assert_eq!(status, 200);
    let (_, list) = agent.list().await?;
    assert_eq!(list[0], json!({"logger": "agent", "level": "debug"}));
    assert_eq!(list[2], json!({"logger": "http", "level": "error"}));
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_level_for_a_logger_not_registered_yet_applies_when_it_registers() -> anyhow::Result<()> {
    let (agent, _dispatch) = start().await?;
    let (status, body) = agent.put("kafka", "debug").await?;
    assert_eq!(
        (status, body),
        (200, json!({"logger": "kafka", "level": "debug"}))
    );
    let (_, list) = agent.list().await?;
    assert!(
        !list.to_string().contains("kafka"),
        "listed before it registered: {list}"
    );
    let registry = agent.logs.registry().expect("registry after init");
    registry.register("kafka")?;
    let (_, list) = agent.list().await?;
    assert!(
        list.as_array()
            .is_some_and(|l| l.contains(&json!({"logger": "kafka", "level": "debug"}))),
        "{list}"
    );
    let (status, _) = agent.put("a b", "debug").await?;
    assert_eq!(status, 400);
    agent.agent.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_bad_level_gets_400_naming_the_valid_ones() -> anyhow::Result<()> {
    let (agent, _dispatch) = start().await?;
    let (status, body) = agent.put("http", "loud").await?;
    assert_eq!(status, 400);
    assert_eq!(
        body["levels"],
        json!([
            "trace", "debug", "info", "warn", "warning", "error", "fatal", "panic"
        ])
    );
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("\"loud\"") && message.contains("debug"),
        "{message}"
    );
    let registry = agent.logs.registry().expect("registry after init");
    assert_eq!(
        registry.level("http"),
        Some(LogLevel::Info),
        "level unchanged"
    );
    agent.agent.stop().await?;
    Ok(())
}
