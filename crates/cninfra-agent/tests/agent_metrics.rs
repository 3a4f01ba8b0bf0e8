//! The agent's `/metrics` as a scraper reads it, with every plugin that registers metrics
//! running (gRPC, the KVScheduler, the supervisor, the probes, the process collector).

mod support;

use support::{AgentProcess, free_port};

/// One rule for help texts: a text given to the registry has no final period (the encoder
/// adds one), so no `# HELP` line ends with two.
// Multi-threaded so the gRPC client's connection task answers the server's GOAWAY while the
// test thread blocks in `stop`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_help_text_ends_with_a_doubled_period() {
    use cninfra_grpc_echo::pb::{SayRequest, echo_client::EchoClient};

    let dir = tempfile::tempdir().unwrap();
    let grpc_port = free_port();
    std::fs::write(
        dir.path().join("grpc.conf"),
        format!("endpoint: 127.0.0.1:{grpc_port}\nprometheus-metrics: true\n"),
    )
    .unwrap();
    let supervisor = dir.path().join("supervisor.yaml");
    std::fs::write(
        &supervisor,
        "programs:\n  - name: napper\n    executable-path: sleep\n    executable-args: [\"300\"]\n",
    )
    .unwrap();
    let mut agent = AgentProcess::spawn(
        &[
            "--config-dir",
            dir.path().to_str().unwrap(),
            "--supervisor-config",
            supervisor.to_str().unwrap(),
        ],
        &[("PATH", "/usr/bin:/bin")],
    );
    agent.wait_ready().await;
    // The gRPC families show once a call was counted.
    EchoClient::connect(format!("http://127.0.0.1:{grpc_port}"))
        .await
        .unwrap()
        .say(SayRequest {
            message: "hello".into(),
        })
        .await
        .unwrap();

    let metrics = agent
        .client
        .get(agent.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let help: Vec<&str> = metrics
        .lines()
        .filter(|line| line.starts_with("# HELP "))
        .collect();
    // Each source of help texts is in the scrape: registered metrics of gRPC and the
    // scheduler, and collectors (supervisor, probes, process).
    for name in [
        "grpc_server_started",
        "kvscheduler_txn_processed",
        "supervisor_program_up",
        "cninfra_agent_state",
        "process_resident_memory_bytes",
    ] {
        assert!(
            help.iter()
                .any(|line| line.starts_with(&format!("# HELP {name} "))),
            "no help for {name} in:\n{metrics}"
        );
    }
    let doubled: Vec<&&str> = help.iter().filter(|line| line.ends_with("..")).collect();
    assert!(
        doubled.is_empty(),
        "help texts with a doubled period: {doubled:#?}"
    );
    assert!(
        help.iter().all(|line| line.ends_with('.')),
        "every help text is a sentence: {help:#?}"
    );
    agent.stop();
}
