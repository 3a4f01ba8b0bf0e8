//! The dashboard (`/ui/`) in a real browser: the agent binary over the harness's etcd,
//! with a supervised program, driven by `tests/ui/dashboard.mjs` (playwright-core and
//! Debian's Chromium, installed by `scripts/test.sh`). Without them the test skips with
//! the reason, and fails under CI (`CI` set).

mod support;

use std::path::Path;
use std::time::Duration;

use cninfra_testsupport::browser::Browser;
use support::{AgentProcess, harness_server};

/// Where the screenshots go: `CNINFRA_UI_SHOTS`, else `ui-screenshots/` in cargo's
/// temp folder of this package's tests.
fn screenshot_dir() -> String {
    std::env::var("CNINFRA_UI_SHOTS").unwrap_or_else(|_| {
        Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("ui-screenshots")
            .display()
            .to_string()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_a_value_pending_then_configured_and_changes_a_logger() {
    let Some(browser) = Browser::for_test("the dashboard test") else {
        return;
    };
    let etcd = harness_server("CNINFRA_TEST_ETCD");
    let label = format!(
        "ui-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let dir = tempfile::tempdir().unwrap();
    let etcd_conf = dir.path().join("etcd.conf");
    std::fs::write(&etcd_conf, format!("endpoints: [{etcd}]\n")).unwrap();
    let supervisor_conf = dir.path().join("supervisor.conf");
    std::fs::write(
        &supervisor_conf,
        "programs:\n  - name: napper\n    executable-path: sleep\n    executable-args: [\"300\"]\n",
    )
    .unwrap();
    let mut agent = AgentProcess::spawn(
        &[
            "--etcd-config",
            etcd_conf.to_str().unwrap(),
            "--supervisor-config",
            supervisor_conf.to_str().unwrap(),
        ],
        &[("MICROSERVICE_LABEL", &label), ("PATH", "/usr/bin:/bin")],
    );
    agent.wait_ready().await;
    agent
        .wait_json("the agent OK", "/readiness", |v| v["state"] == 1)
        .await;

    let shots = screenshot_dir();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui/dashboard.mjs");
    let base = agent.url("");
    let out = tokio::task::spawn_blocking(move || {
        browser.run(
            &script,
            &[],
            &[
                ("CNINFRA_UI_BASE", &base),
                ("CNINFRA_UI_ETCD", &etcd),
                ("CNINFRA_UI_PREFIX", &format!("/vnf-agent/{label}/")),
                ("CNINFRA_UI_SHOTS", &shots),
            ],
        )
    });
    let out = tokio::time::timeout(Duration::from_secs(180), out)
        .await
        .expect("the browser script finishes within 3 minutes")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the browser script failed ({}):\n{stdout}\n{stderr}\nagent log:\n{}",
        out.status,
        agent.output()
    );
    agent.stop();
}
