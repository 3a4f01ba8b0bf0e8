//! The agent binary as a user runs it: start, probes, metrics, log API, SIGTERM, bad input.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const AGENT: &str = env!("CARGO_BIN_EXE_cninfra-agent");

/// A free loopback port (the listener is dropped before the agent binds it).
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Starts the agent with a clean environment apart from `env`.
fn spawn(args: &[&str], env: &[(&str, &str)]) -> Child {
    let mut command = Command::new(AGENT);
    command
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().unwrap()
}

/// Waits until `GET url` answers 200 or the deadline passes.
async fn wait_ready(client: &reqwest::Client, url: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(resp) = client.get(url).send().await
            && resp.status() == 200
        {
            return;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("agent exited early with {status}: {}", output_of(child));
        }
        assert!(Instant::now() < deadline, "{url} never answered 200");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn output_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(out) = child.stdout.as_mut() {
        out.read_to_string(&mut text).unwrap();
    }
    if let Some(err) = child.stderr.as_mut() {
        err.read_to_string(&mut text).unwrap();
    }
    text
}

/// Waits for the process to exit, within a deadline.
fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "agent did not exit");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[tokio::test]
async fn serves_probes_metrics_and_log_api_then_stops_cleanly_on_sigterm() {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(
        &[],
        &[
            ("HTTP_PORT", &port.to_string()),
            ("MICROSERVICE_LABEL", "edge1"),
        ],
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    wait_ready(&client, &format!("{base}/readiness"), &mut child).await;

    let live = client.get(format!("{base}/liveness")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    let status: serde_json::Value = live.json().await.unwrap();
    assert_eq!(status["state"], 1);
    assert_eq!(status["build_version"], env!("CARGO_PKG_VERSION"));
    let plugins = status["plugins"].as_array().unwrap();
    assert!(
        plugins
            .iter()
            .any(|p| p["name"] == "example" && p["state"] == 1),
        "{status}"
    );

    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("process_resident_memory_bytes"),
        "{metrics}"
    );
    assert!(metrics.contains("cninfra_agent_state"), "{metrics}");

    let loggers: serde_json::Value = client
        .get(format!("{base}/log/list"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        loggers
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["logger"] == "example"),
        "{loggers}"
    );
    let put = client
        .put(format!("{base}/log/example/debug"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let bad = client
        .put(format!("{base}/log/example/loud"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    kill(
        Pid::from_raw(i32::try_from(child.id()).unwrap()),
        Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_exit(&mut child);
    let output = output_of(&mut child);
    assert_eq!(status.code(), Some(0), "{output}");
    assert!(output.contains("label=edge1"), "{output}");
    assert!(
        output.contains("stop requested by signal") && output.contains("agent stopped"),
        "{output}"
    );
}

#[tokio::test]
async fn a_busy_port_fails_the_start_naming_port_and_flag() {
    let busy = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let mut child = spawn(&["--http-port", &port], &[]);
    let status = wait_exit(&mut child);
    let output = output_of(&mut child);
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(
        output.contains(&format!("0.0.0.0:{port}")) && output.contains("--http-port"),
        "{output}"
    );
}

#[tokio::test]
async fn a_malformed_config_file_fails_the_start_naming_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("http.conf");
    std::fs::write(&path, "endpoint: 127.0.0.1:0\nread-timeuot: 5s\n").unwrap();
    let mut child = spawn(&["--config-dir", dir.path().to_str().unwrap()], &[]);
    let status = wait_exit(&mut child);
    let output = output_of(&mut child);
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(
        output.contains(&format!("{}:2", path.display())),
        "{output}"
    );
    assert!(output.contains("read-timeuot"), "{output}");
}

#[test]
fn version_shows_version_and_commit() {
    let out = Command::new(AGENT).arg("--version").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with(&format!("cninfra-agent {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(text.contains("commit "), "{text}");
}

#[tokio::test]
async fn with_a_supervisor_config_the_agent_supervises_its_programs() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("supervisor.yaml");
    std::fs::write(
        &config,
        "programs:\n  - name: napper\n    executable-path: sleep\n    executable-args: [\"300\"]\n",
    )
    .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(
        &["--supervisor-config", config.to_str().unwrap()],
        &[("HTTP_PORT", &port.to_string()), ("PATH", "/usr/bin:/bin")],
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    wait_ready(&client, &format!("{base}/readiness"), &mut child).await;

    let deadline = Instant::now() + Duration::from_secs(10);
    let program = loop {
        let programs: serde_json::Value = client
            .get(format!("{base}/supervisor/programs"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let first = programs[0].clone();
        if first["state"] == "RUNNING" {
            break first;
        }
        assert!(Instant::now() < deadline, "napper never ran: {programs}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(program["name"], "napper");
    let pid = i32::try_from(program["pid"].as_i64().unwrap()).unwrap();

    kill(
        Pid::from_raw(i32::try_from(child.id()).unwrap()),
        Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "{}", output_of(&mut child));
    // The supervised program stops with the agent.
    assert!(
        kill(Pid::from_raw(pid), None).is_err(),
        "program {pid} outlived the agent"
    );
}

#[test]
fn without_exec_configs_the_exec_flags_are_not_offered() {
    let out = Command::new(AGENT).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(!help.contains("--supervisor-config"), "{help}");
    let out = Command::new(AGENT)
        .args(["--supervisor-config", "/nowhere.yaml", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("--supervisor-config") && help.contains("--process-manager-config"),
        "{help}"
    );
}

// Multi-threaded so the client's connection task answers the server's GOAWAY while the test
// thread blocks in `wait_exit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_grpc_config_the_example_service_answers_over_grpc() {
    use cninfra::grpc::example::pb::{SayRequest, echo_client::EchoClient};

    let dir = tempfile::tempdir().unwrap();
    let grpc_port = free_port();
    std::fs::write(
        dir.path().join("grpc.conf"),
        format!("endpoint: 127.0.0.1:{grpc_port}\n"),
    )
    .unwrap();
    let port = free_port();
    let mut child = spawn(
        &["--config-dir", dir.path().to_str().unwrap()],
        &[("HTTP_PORT", &port.to_string())],
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    wait_ready(
        &client,
        &format!("http://127.0.0.1:{port}/readiness"),
        &mut child,
    )
    .await;

    let mut echo = EchoClient::connect(format!("http://127.0.0.1:{grpc_port}"))
        .await
        .unwrap();
    let reply = echo
        .say(SayRequest {
            message: "hello".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(reply.message.contains("hello"), "{reply:?}");

    kill(
        Pid::from_raw(i32::try_from(child.id()).unwrap()),
        Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_exit(&mut child);
    assert_eq!(status.code(), Some(0), "{}", output_of(&mut child));
}
