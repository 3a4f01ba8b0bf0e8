//! `GET /liveness` and `GET /readiness`: codes for every state combination, and the body.

mod support;

use std::time::{SystemTime, UNIX_EPOCH};

use cninfra_health::{Criticality, State, StatusCheckPlugin};
use support::{COMMIT, DATE, Stack, VERSION};

#[tokio::test]
async fn codes_follow_states_criticality_and_non_fatal_plugins() {
    let status = StatusCheckPlugin::new();
    let stack = Stack::start(status.clone(), &["optional"]).await;
    let report = |name: &str, state, error: Option<&str>| {
        status
            .report_state_change(name, state, error.map(str::to_owned))
            .unwrap();
    };

    // (liveness, readiness) after each step.
    assert_eq!(stack.codes().await, (200, 200), "started, no plugins");

    status.register("core", None);
    assert_eq!(stack.codes().await, (200, 503), "internal plugin INIT");
    report("core", State::Ok, None);
    assert_eq!(stack.codes().await, (200, 200), "internal plugin OK");
    report("core", State::Error, Some("broken"));
    assert_eq!(stack.codes().await, (503, 503), "internal plugin ERROR");
    report("core", State::Ok, None);

    status.register_as("db", Criticality::Readiness, None);
    assert_eq!(stack.codes().await, (200, 503), "external plugin INIT");
    report("db", State::Error, Some("connection refused"));
    assert_eq!(
        stack.codes().await,
        (200, 503),
        "external plugin ERROR: not ready, live"
    );
    report("db", State::Ok, None);
    assert_eq!(stack.codes().await, (200, 200), "external plugin OK");

    status.register("optional", None);
    assert_eq!(stack.codes().await, (200, 503), "non-fatal plugin INIT");
    report("optional", State::Error, Some("no broker"));
    assert_eq!(stack.codes().await, (200, 200), "non-fatal plugin ERROR");
    report("db", State::Error, Some("connection refused"));
    assert_eq!(
        stack.codes().await,
        (200, 503),
        "non-fatal and external ERROR"
    );
    report("core", State::Error, Some("broken"));
    assert_eq!(
        stack.codes().await,
        (503, 503),
        "non-fatal, external and internal ERROR"
    );
    stack.stop().await;
}

#[tokio::test]
async fn the_body_is_the_agent_status_with_upstream_field_names() {
    let status = StatusCheckPlugin::new();
    status.register("core", None);
    status.register("optional", None);
    let stack = Stack::start(status.clone(), &["optional"]).await;
    status
        .report_state_change("optional", State::Error, Some("no broker".into()))
        .unwrap();

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for path in ["/liveness", "/readiness"] {
        let (_, body) = stack.get_json(path).await;
        assert_eq!(body["build_version"], VERSION);
        assert_eq!(body["build_date"], DATE);
        assert_eq!(body["commit_hash"], COMMIT);
        assert_eq!(body["state"], 2, "the true aggregate, ERROR");
        for field in ["start_time", "last_change", "last_update"] {
            let at = body[field]
                .as_i64()
                .unwrap_or_else(|| panic!("{field} in {body}"));
            assert!(
                (now - 60..=now + 1).contains(&at),
                "{field} = {at}, now {now}"
            );
        }
        assert_eq!(body["non_fatal_plugins"], serde_json::json!(["optional"]));
        let plugins = body["plugins"].as_array().unwrap();
        assert_eq!(plugins.len(), 2);
        assert_eq!(plugins[0]["name"], "core");
        assert_eq!(plugins[0]["state"], 0);
        assert!(plugins[0].get("error").is_none(), "{body}");
        assert_eq!(plugins[1]["name"], "optional");
        assert_eq!(plugins[1]["state"], 2);
        assert_eq!(plugins[1]["error"], "no broker");
        assert!(plugins[1]["last_change"].is_i64() && plugins[1]["last_update"].is_i64());
    }
    stack.stop().await;
}
