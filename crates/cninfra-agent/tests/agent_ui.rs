//! The dashboard (`/ui/`) in a real browser: the agent binary over the harness's etcd,
//! with a supervised program, driven by `tests/ui/dashboard.mjs`, and behind basic
//! authentication by `tests/ui/auth.mjs` (playwright-core and Debian's Chromium, installed
//! by `scripts/test.sh`). Without them the tests skip with the reason, and fail under CI
//! (`CI` set). Screenshots of each view: `CNINFRA_UI_SHOTS`, else
//! `target/tmp/ui-screenshots/`.

mod support;

use std::path::{Path, PathBuf};
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

/// `tests/ui/<name>`.
fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/ui")
        .join(name)
}

/// Runs a browser script (at most 3 minutes) and asserts that it passed; prints its output.
async fn run_script(
    browser: Browser,
    agent: &AgentProcess,
    name: &str,
    env: Vec<(&'static str, String)>,
) {
    let script = script(name);
    let out = tokio::task::spawn_blocking(move || {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser.run(&script, &[], &env)
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
        "{name} failed ({}):\n{stdout}\n{stderr}\nagent log:\n{}",
        out.status,
        agent.output()
    );
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

    run_script(
        browser,
        &agent,
        "dashboard.mjs",
        vec![
            ("CNINFRA_UI_BASE", agent.url("")),
            ("CNINFRA_UI_ETCD", etcd),
            ("CNINFRA_UI_PREFIX", format!("/vnf-agent/{label}/")),
            ("CNINFRA_UI_SHOTS", screenshot_dir()),
        ],
    )
    .await;
    agent.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_basic_auth_the_dashboard_asks_for_the_user_and_works_with_it() {
    let Some(browser) = Browser::for_test("the dashboard auth test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let http_conf = dir.path().join("http.conf");
    std::fs::write(&http_conf, "client-basic-auth: [\"operator:dash-pw\"]\n").unwrap();
    let mut agent = AgentProcess::spawn(
        &["--http-config", http_conf.to_str().unwrap()],
        &[("MICROSERVICE_LABEL", "ui-auth")],
    );
    // The probes need no credentials.
    agent.wait_ready().await;
    run_script(
        browser,
        &agent,
        "auth.mjs",
        vec![
            ("CNINFRA_UI_BASE", agent.url("")),
            ("CNINFRA_UI_USER", "operator".to_owned()),
            ("CNINFRA_UI_PASSWORD", "dash-pw".to_owned()),
            ("CNINFRA_UI_SHOTS", screenshot_dir()),
        ],
    )
    .await;
    agent.stop();
}
