//! `cninfra-ctl` (the built binary) where things go wrong, and its help and completions:
//! one error line naming what failed and where, exit code 1 (2 for a bad command line).

mod support;

use support::{ctl, file};

fn closed_port() -> String {
    cninfra_testsupport::free_port().to_string()
}

#[tokio::test]
async fn an_unreachable_rest_api_is_one_line_naming_the_url() {
    let port = closed_port();
    let run = ctl(&[
        "values",
        "--http-port",
        &port,
        "--grpc-port",
        &closed_port(),
    ])
    .await;
    assert_eq!(
        run.failed(),
        format!(
            "cninfra-ctl: GET http://127.0.0.1:{port}/scheduler/status: cannot connect: Connection refused (os error 111)"
        )
    );
    assert!(run.stdout.is_empty());
}

#[tokio::test]
async fn an_unreachable_grpc_server_is_named() {
    let port = closed_port();
    let run = ctl(&["config", "get", "--grpc-port", &port]).await;
    let line = run.failed();
    assert!(
        line.starts_with(&format!(
            "cninfra-ctl: cannot connect to the agent's gRPC server at 127.0.0.1:{port}: "
        )),
        "{line}"
    );
    assert!(
        line.ends_with("Connection refused (os error 111)"),
        "{line}"
    );
}

#[tokio::test]
async fn an_unreachable_etcd_is_named() {
    let port = closed_port();
    let endpoint = format!("127.0.0.1:{port}");
    let run = ctl(&["kvdb", "list", "-e", &endpoint, "--timeout", "1s"]).await;
    let line = run.failed();
    assert!(
        line.contains(&endpoint) && line.contains("did not answer within 1s"),
        "{line}"
    );
}

#[tokio::test]
async fn formats_a_command_does_not_print_are_refused() {
    let run = ctl(&["graph", "-f", "json", "--http-port", &closed_port()]).await;
    assert_eq!(
        run.failed(),
        "cninfra-ctl: `graph` prints dot or svg, not json"
    );
    let run = ctl(&["log", "list", "-f", "svg", "--http-port", &closed_port()]).await;
    assert_eq!(
        run.failed(),
        "cninfra-ctl: `--format svg` is for `graph`; use table, json or yaml",
        "refused before any call"
    );
}

#[tokio::test]
async fn files_that_cannot_be_read_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.yaml");
    let run = ctl(&["config", "update", missing.to_str().unwrap()]).await;
    assert_eq!(
        run.failed(),
        format!(
            "cninfra-ctl: reading {}: No such file or directory (os error 2)",
            missing.display()
        )
    );
    let bad = file(
        dir.path(),
        "bad.txt",
        "config/a {\"x\":1}\nconfig/b {oops}\n",
    );
    let run = ctl(&["import", &bad]).await;
    let line = run.failed();
    assert!(
        line.starts_with(&format!(
            "cninfra-ctl: {bad}:2: the value of `config/b` is not JSON: "
        )),
        "{line}"
    );
}

#[tokio::test]
async fn a_bad_command_line_exits_with_2() {
    let run = ctl(&["values", "--bogus"]).await;
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.stderr.contains("--bogus"), "{run:?}");
    let run = ctl(&["dump"]).await;
    assert_eq!(run.code, Some(2), "MODEL is required: {run:?}");
}

#[tokio::test]
async fn every_command_has_help() {
    let commands: &[&[&str]] = &[
        &[],
        &["status"],
        &["values"],
        &["config"],
        &["config", "get"],
        &["config", "update"],
        &["config", "delete"],
        &["config", "resync"],
        &["config", "history"],
        &["config", "watch"],
        &["dump"],
        &["model"],
        &["model", "list"],
        &["model", "inspect"],
        &["kvdb"],
        &["kvdb", "list"],
        &["kvdb", "get"],
        &["kvdb", "put"],
        &["kvdb", "del"],
        &["import"],
        &["log"],
        &["log", "list"],
        &["log", "set"],
        &["metrics"],
        &["graph"],
        &["report"],
        &["completion"],
    ];
    for command in commands {
        let mut args: Vec<&str> = command.to_vec();
        args.push("--help");
        let run = ctl(&args).await;
        let usage = format!("Usage: cninfra-ctl {}", command.join(" "));
        assert!(run.ok().contains(usage.trim_end()), "{args:?}: {run:?}");
        assert!(
            run.stdout.contains("--service-label"),
            "global flags listed: {args:?}"
        );
    }
}

#[tokio::test]
async fn shell_completions_are_generated() {
    for shell in ["bash", "zsh", "fish"] {
        let run = ctl(&["completion", shell]).await;
        assert!(run.ok().contains("cninfra-ctl"), "{shell}: {run:?}");
    }
    let bash = ctl(&["completion", "bash"]).await;
    assert!(bash.ok().contains("kvdb") && bash.stdout.contains("--etcd-endpoints"));
}
