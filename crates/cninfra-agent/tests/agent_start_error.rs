//! A failed start as a user sees it: the error and each of its causes once on stderr, and a
//! non-zero exit code.

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use cninfra_testsupport::wait_until_blocking;
use support::{AGENT, free_port};

#[test]
fn an_unreachable_etcd_is_reported_once_and_the_exit_code_is_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens there: the port was free a moment ago and no server takes it.
    let endpoint = format!("127.0.0.1:{}", free_port());
    let config = dir.path().join("etcd.conf");
    std::fs::write(
        &config,
        format!("endpoints: ['{endpoint}']\ndial-timeout: 300ms\n"),
    )
    .unwrap();
    let stderr_path = dir.path().join("stderr");
    let mut child = Command::new(AGENT)
        .env_clear()
        .env("HTTP_PORT", free_port().to_string())
        .env("DATA_DIR", dir.path().join("data"))
        .arg("--etcd-config")
        .arg(&config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();

    wait_until_blocking(
        "the agent exits although etcd is unreachable",
        Duration::from_secs(20),
        || child.try_wait().unwrap().is_some(),
    );
    let status = child.wait().unwrap();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();

    assert!(!status.success(), "exit status {status}; stderr:\n{stderr}");
    assert_ne!(status.code(), None, "killed by a signal; stderr:\n{stderr}");
    assert!(
        stderr.starts_with("Error: plugin `etcd` failed in init\n"),
        "{stderr}"
    );
    // The etcd error (it names the endpoint and the refused connection) appears once, not
    // once in each message of the chain.
    assert_eq!(stderr.matches(&endpoint).count(), 1, "{stderr}");
    assert_eq!(stderr.matches("refused").count(), 1, "{stderr}");
}
