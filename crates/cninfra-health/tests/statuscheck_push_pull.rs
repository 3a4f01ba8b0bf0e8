//! Push and pull reports, aggregation, and propagation of changes only.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use cninfra_health::{AgentStatus, HealthError, Probe, State, StatusCheckPlugin};
use support::{Recorder, Stack, next_lines};
use tokio::sync::watch;

/// Waits (up to 5 s) until the agent status satisfies `check`.
async fn until(
    changes: &mut watch::Receiver<AgentStatus>,
    check: impl FnMut(&AgentStatus) -> bool,
) -> AgentStatus {
    tokio::time::timeout(Duration::from_secs(5), changes.wait_for(check))
        .await
        .expect("the status got there within 5 s")
        .expect("status check alive")
        .clone()
}

fn plugin_state(status: &AgentStatus, name: &str) -> Option<(State, Option<String>)> {
    status
        .plugins
        .iter()
        .find(|p| p.name == name)
        .map(|p| (p.state, p.error.clone()))
}

#[tokio::test]
async fn without_plugins_the_agent_is_ok_once_started() {
    let status = StatusCheckPlugin::new();
    assert_eq!(status.agent_status().state, State::Init);
    let stack = Stack::start(status.clone(), &[]).await;
    assert_eq!(status.agent_status().state, State::Ok);
    stack.stop().await;
}

#[tokio::test]
async fn pushed_reports_change_the_status_and_aggregate() {
    let status = StatusCheckPlugin::new();
    status.register("db", None);
    status.register("cache", None);
    let stack = Stack::start(status.clone(), &[]).await;
    assert_eq!(
        status.agent_status().state,
        State::Init,
        "plugins still INIT"
    );

    status.report_state_change("db", State::Ok, None).unwrap();
    assert_eq!(status.agent_status().state, State::Init, "cache still INIT");
    status
        .report_state_change("cache", State::Ok, None)
        .unwrap();
    assert_eq!(status.agent_status().state, State::Ok);

    status
        .report_state_change("db", State::Error, Some("down".into()))
        .unwrap();
    status
        .report_state_change("cache", State::Ok, None)
        .unwrap();
    let agent = status.agent_status();
    assert_eq!(agent.state, State::Error, "one ERROR makes the agent ERROR");
    let db = status.plugin_status("db").unwrap();
    assert_eq!(
        (db.state, db.error.as_deref()),
        (State::Error, Some("down"))
    );
    assert_eq!(
        status
            .all_plugin_statuses()
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        ["cache", "db"]
    );

    let unknown = status
        .report_state_change("nobody", State::Ok, None)
        .unwrap_err();
    assert!(matches!(unknown, HealthError::NotRegistered { ref name } if name == "nobody"));
    stack.stop().await;
}

#[tokio::test]
async fn a_report_without_change_moves_only_last_update() {
    let status = StatusCheckPlugin::new();
    status.register("db", None);
    let (recorder, mut lines) = Recorder::new();
    status.add_publisher(recorder);
    let stack = Stack::start(status.clone(), &[]).await;
    assert_eq!(next_lines(&mut lines, 2).await, ["agent INIT", "db INIT"]);

    status.report_state_change("db", State::Ok, None).unwrap();
    let first = status.plugin_status("db").unwrap();
    let mut again = first.clone();
    for _ in 0..10_000 {
        status.report_state_change("db", State::Ok, None).unwrap();
        again = status.plugin_status("db").unwrap();
        if again.last_update != first.last_update {
            break;
        }
    }
    assert!(
        again.last_update > first.last_update,
        "last_update did not move"
    );
    assert_eq!(again.last_change, first.last_change);
    assert_eq!(status.agent_status().last_update, again.last_update);

    // Only the first OK was published; the next line is the sentinel's.
    status.register("zz", None);
    assert_eq!(
        next_lines(&mut lines, 4).await,
        ["db OK", "agent OK", "zz INIT", "agent INIT"]
    );
    stack.stop().await;
}

#[tokio::test]
async fn publishers_get_changes_only_in_order() {
    let status = StatusCheckPlugin::new();
    status.register("db", None);
    status.register("cache", None);
    let (recorder, mut lines) = Recorder::new();
    status.add_publisher(recorder);
    let stack = Stack::start(status.clone(), &[]).await;

    let report = |name: &str, state, error: Option<&str>| {
        status
            .report_state_change(name, state, error.map(str::to_owned))
            .unwrap();
    };
    report("db", State::Ok, None);
    report("db", State::Ok, None);
    report("cache", State::Ok, None);
    report("cache", State::Ok, None);
    report("db", State::Error, Some("down"));
    report("db", State::Error, Some("down"));
    report("db", State::Error, Some("still down"));
    report("db", State::Ok, None);
    // A sentinel change: nothing may sit between the last expected line and its lines.
    status.register("zz", None);

    let expected = [
        "agent INIT", // what a new publisher gets first: everything as it is
        "cache INIT",
        "db INIT",
        "db OK",
        "cache OK",
        "agent OK",
        "db ERROR down",
        "agent ERROR",
        "db ERROR still down",
        "db OK",
        "agent OK",
        "zz INIT",
        "agent INIT",
    ];
    assert_eq!(next_lines(&mut lines, expected.len()).await, expected);
    stack.stop().await;
}

#[tokio::test]
async fn pull_probes_are_polled_with_a_time_limit() {
    // 0: healthy, 1: failing, 2: hanging.
    let mode = Arc::new(AtomicU8::new(0));
    let probe = Probe::new({
        let mode = mode.clone();
        move || {
            let mode = mode.load(Ordering::SeqCst);
            async move {
                match mode {
                    0 => Ok(()),
                    1 => Err("broken".to_owned()),
                    _ => std::future::pending().await,
                }
            }
        }
    });
    let status = StatusCheckPlugin::builder()
        .with_probe_interval(Duration::from_millis(20))
        .with_probe_timeout(Duration::from_millis(100))
        .build();
    status.register("pulled", Some(probe));
    let mut changes = status.subscribe();
    let stack = Stack::start(status.clone(), &[]).await;

    let ok = until(&mut changes, |s| {
        plugin_state(s, "pulled") == Some((State::Ok, None))
    })
    .await;
    assert_eq!(ok.state, State::Ok);
    assert_eq!(stack.codes().await, (200, 200));

    mode.store(1, Ordering::SeqCst);
    let failed = until(&mut changes, |s| {
        plugin_state(s, "pulled").is_some_and(|p| p.0 == State::Error)
    })
    .await;
    assert_eq!(
        plugin_state(&failed, "pulled"),
        Some((State::Error, Some("broken".into())))
    );
    assert_eq!(failed.state, State::Error);
    assert_eq!(stack.codes().await, (503, 503));

    mode.store(2, Ordering::SeqCst);
    let hung = until(&mut changes, |s| {
        plugin_state(s, "pulled")
            .is_some_and(|p| p.1.as_deref().is_some_and(|e| e.contains("timed out")))
    })
    .await;
    assert_eq!(hung.state, State::Error);

    mode.store(0, Ordering::SeqCst);
    until(&mut changes, |s| s.state == State::Ok).await;
    assert_eq!(stack.codes().await, (200, 200));
    stack.stop().await;
}
