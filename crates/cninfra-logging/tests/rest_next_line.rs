//! With the global subscriber installed: a level set over REST applies to the next line.
//! (This file is its own process, so installing the global subscriber is safe.)

mod support;

use std::sync::{Arc, OnceLock};

use cninfra_logging::{LogLevel, LogManagerPlugin, LogRegistry, LogSettings, LoggingError};
use support::{Capture, TestAgent, http};

/// Installs the global subscriber once for this process, writing into a capture.
fn installed() -> &'static (Arc<LogRegistry>, Capture) {
    static ONCE: OnceLock<(Arc<LogRegistry>, Capture)> = OnceLock::new();
    ONCE.get_or_init(|| {
        let capture = Capture::default();
        let registry =
            cninfra_logging::try_init_with(LogSettings::new().with_writer(capture.clone()))
                .expect("first install");
        (registry, capture)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_put_over_rest_applies_to_the_next_line() -> anyhow::Result<()> {
    let (registry, capture) = installed();
    let http = http();
    // No registry given: the plugin must find the global one.
    let agent = TestAgent::start(LogManagerPlugin::new(), http, &[], &[]).await?;
    assert!(Arc::ptr_eq(
        agent.logs.registry().expect("registry"),
        registry
    ));

    tracing::debug!(target: "app", "app-debug-1");
    let (status, _) = agent.put("app", "debug").await?;
    assert_eq!(status, 200);
    tracing::debug!(target: "app", "app-debug-2");
    tracing::debug!(target: "app::worker", "app-debug-3");
    let (status, _) = agent.put("app", "info").await?;
    assert_eq!(status, 200);
    tracing::debug!(target: "app", "app-debug-4");
    tracing::info!(target: "app", "app-info-5");

    let text = capture.text();
    assert!(!text.contains("app-debug-1"), "{text}");
    assert!(
        text.contains("app-debug-2") && text.contains("app-debug-3"),
        "{text}"
    );
    assert!(!text.contains("app-debug-4"), "{text}");
    assert!(text.contains("app-info-5"), "{text}");
    // The change itself is logged by the log manager.
    assert!(text.contains("log level changed over REST"), "{text}");
    assert_eq!(registry.level("app"), Some(LogLevel::Info));
    agent.agent.stop().await?;
    Ok(())
}

#[test]
fn a_second_install_is_refused() {
    installed();
    let err = cninfra_logging::try_init().unwrap_err();
    assert!(
        matches!(err, LoggingError::AlreadyInstalled { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("already installed"), "{err}");
    assert!(cninfra_logging::global().is_some());
}
