//! Without `cninfra_logging::init()`, the log manager installs the global subscriber itself.
//! (Its own process: nothing else installs a subscriber here.)

mod support;

use cninfra_logging::{LogLevel, LogManagerPlugin};
use support::{TestAgent, http};

#[tokio::test]
async fn the_plugin_installs_the_global_registry_and_applies_initial_loglvl() -> anyhow::Result<()>
{
    assert!(cninfra_logging::global().is_none());
    let http = http();
    let agent = TestAgent::start(
        LogManagerPlugin::new(),
        http,
        &[],
        &[("INITIAL_LOGLVL", "error")],
    )
    .await?;
    let global = cninfra_logging::global().expect("installed by the plugin");
    assert!(std::sync::Arc::ptr_eq(
        agent.logs.registry().expect("registry"),
        &global
    ));
    assert_eq!(global.default_level(), LogLevel::Error);
    assert!(tracing::enabled!(target: "app", tracing::Level::ERROR));
    assert!(!tracing::enabled!(target: "app", tracing::Level::WARN));
    let (status, _) = agent.put("app", "trace").await?;
    assert_eq!(status, 200);
    assert!(tracing::enabled!(target: "app", tracing::Level::TRACE));
    agent.agent.stop().await?;
    Ok(())
}
