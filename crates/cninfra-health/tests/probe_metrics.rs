//! The health gauges on `/metrics`, next to the process metrics.

mod support;

use cninfra_health::{Criticality, State, StatusCheckPlugin};
use support::{COMMIT, DATE, Stack, VERSION};

#[tokio::test]
async fn metrics_carry_agent_and_plugin_states_and_build_info() {
    let status = StatusCheckPlugin::new();
    status.register("core", None);
    status.register_as("db", Criticality::Readiness, None);
    let stack = Stack::start(status.clone(), &[]).await;
    status.report_state_change("core", State::Ok, None).unwrap();
    status
        .report_state_change("db", State::Error, Some("down".into()))
        .unwrap();

    let text = stack.metrics().await;
    for line in [
        "cninfra_agent_state 2".to_owned(),
        "cninfra_agent_live 1".to_owned(),
        "cninfra_agent_ready 0".to_owned(),
        "cninfra_plugin_state{plugin=\"core\"} 1".to_owned(),
        "cninfra_plugin_state{plugin=\"db\"} 2".to_owned(),
        format!(
            "cninfra_build_info{{version=\"{VERSION}\",commit=\"{COMMIT}\",date=\"{DATE}\"}} 1"
        ),
    ] {
        assert!(text.lines().any(|l| l == line), "no {line:?} in\n{text}");
    }
    assert!(
        text.lines()
            .any(|l| l.starts_with("process_resident_memory_bytes ")),
        "{text}"
    );

    status.report_state_change("db", State::Ok, None).unwrap();
    let text = stack.metrics().await;
    assert!(text.lines().any(|l| l == "cninfra_agent_state 1"), "{text}");
    assert!(text.lines().any(|l| l == "cninfra_agent_ready 1"), "{text}");
    stack.stop().await;
}
