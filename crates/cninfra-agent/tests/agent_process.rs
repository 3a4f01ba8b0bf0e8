//! The agent binary as a user runs it: start, probes, metrics, log API, SIGTERM, bad input.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::kill;
use nix::unistd::Pid;

use support::{AGENT, AgentProcess, free_port};

#[tokio::test]
async fn serves_probes_metrics_and_log_api_then_stops_cleanly_on_sigterm() {
    let mut agent = AgentProcess::spawn(&[], &[("MICROSERVICE_LABEL", "edge1")]);
    agent.wait_ready().await;
    let base = agent.url("");
    let client = agent.client.clone();

    let live = client.get(format!("{base}/liveness")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    // Readiness can answer before every data sync watcher has reported its first resync
    // (they register as they start watching): the agent's state settles on OK.
    cninfra_testsupport::eventually("the agent's state OK", Duration::from_secs(10), || async {
        agent.get_json("/liveness").await["state"] == 1
    })
    .await;
    let status = agent.get_json("/liveness").await;
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

    agent.sigterm();
    let status = agent.wait_exit();
    let output = agent.output();
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
    let mut agent = AgentProcess::spawn(&["--http-port", &port], &[]);
    let status = agent.wait_exit();
    let output = agent.output();
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
    // A value that does not fit fails the start (a misspelt key only warns, unless
    // --strict-config: see agent_upstream_configs.rs).
    std::fs::write(&path, "endpoint: 127.0.0.1:0\nread-timeout: soon\n").unwrap();
    let mut agent = AgentProcess::spawn(&["--config-dir", dir.path().to_str().unwrap()], &[]);
    let status = agent.wait_exit();
    let output = agent.output();
    assert_eq!(status.code(), Some(1), "{output}");
    assert!(
        output.contains(&format!("{}:2", path.display())),
        "{output}"
    );
    assert!(
        output.contains("read-timeout") && output.contains("\"soon\""),
        "{output}"
    );
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
    let mut agent = AgentProcess::spawn(
        &["--supervisor-config", config.to_str().unwrap()],
        &[("PATH", "/usr/bin:/bin")],
    );
    agent.wait_ready().await;
    let base = agent.url("");
    let client = agent.client.clone();

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

    agent.stop();
    // The supervised program stops with the agent.
    assert!(
        kill(Pid::from_raw(pid), None).is_err(),
        "program {pid} outlived the agent"
    );
}

#[test]
fn help_lists_the_exec_config_flags() {
    let out = Command::new(AGENT).arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(
        help.contains("--supervisor-config") && help.contains("--process-manager-config"),
        "{help}"
    );
}

// Multi-threaded so the client's connection task answers the server's GOAWAY while the test
// thread blocks in `wait_exit`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_grpc_config_the_echo_and_configurator_services_answer_over_grpc() {
    use cninfra::kvscheduler::grpc::pb::{
        KeyValue, ListModelsRequest, UpdateRequest, configurator_client::ConfiguratorClient,
    };
    use cninfra_grpc_echo::pb::{SayRequest, echo_client::EchoClient};

    let dir = tempfile::tempdir().unwrap();
    let grpc_port = free_port();
    std::fs::write(
        dir.path().join("grpc.conf"),
        format!("endpoint: 127.0.0.1:{grpc_port}\n"),
    )
    .unwrap();
    let mut agent = AgentProcess::spawn(&["--config-dir", dir.path().to_str().unwrap()], &[]);
    agent.wait_ready().await;

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

    // The scheduler's configurator: the models, upstream's protobuf ones and the example
    // items (a serde model) side by side, name their key prefixes, and a value set over
    // gRPC in upstream's form is configured (seen through the REST debug API).
    let mut configurator = ConfiguratorClient::connect(format!("http://127.0.0.1:{grpc_port}"))
        .await
        .unwrap();
    let models = configurator
        .list_models(ListModelsRequest::default())
        .await
        .unwrap()
        .into_inner();
    let listed = |name: &str| models.models.iter().find(|m| m.name == name);
    let interfaces = listed("vpp.interfaces").expect("upstream's interface model");
    assert_eq!(
        (
            interfaces.key_prefix.as_str(),
            interfaces.proto_name.as_str()
        ),
        (
            "config/vpp/v2/interfaces/",
            "ligato.vpp.interfaces.Interface"
        )
    );
    let items = listed("example.items").expect("the example items' serde model");
    assert_eq!(items.key_prefix, "config/example/v1/items/");
    let key = "config/vpp/v2/interfaces/g1";
    let answer = configurator
        .update(UpdateRequest {
            items: vec![KeyValue {
                key: key.into(),
                value: r#"{"name":"g1","type":"TAP","enabled":true}"#.into(),
            }],
            full_resync: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(answer.errors.is_empty(), "{answer:?}");
    let status = agent
        .get_json(&format!("/scheduler/status?key={key}"))
        .await;
    assert_eq!(status[0]["value"]["state"], "CONFIGURED", "{status}");

    agent.stop();
}
