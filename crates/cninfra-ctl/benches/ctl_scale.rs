//! `cninfra-ctl values` against an agent holding 100 000 values, and `SetConfig` of
//! 10 000 items over gRPC with the client library.
//!
//! `cargo bench -p cninfra-ctl --bench ctl_scale` (~1 min after the build). The agent
//! runs in this process (REST, gRPC, the scheduler with the example descriptors over a
//! simulated VPP, fed from an in-memory store); the CLI is the built binary, run as a
//! user runs it, its output thrown away.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra::kv::{KvStore, MemoryStore};
use cninfra::kvscheduler::ValueState;
use cninfra_client::{Client, GrpcOptions, Value};
use cninfra_ligato::vpp::interfaces::{Interface, interface::Type};

const VALUES: usize = 100_000;
const SET_CONFIG_ITEMS: usize = 10_000;
const RUNS: usize = 5;

fn tap(name: String) -> Value {
    Value::from(&Interface {
        name,
        r#type: Type::Tap as i32,
        enabled: true,
        ..Default::default()
    })
}

/// Min and median of `samples`.
fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    format!(
        "min {:.0?}, median {:.0?} ({} runs)",
        samples[0],
        samples[samples.len() / 2],
        samples.len()
    )
}

async fn time_ctl(agent: &support::TestAgent, args: &[&str]) -> Duration {
    let started = Instant::now();
    let status = tokio::process::Command::new(env!("CARGO_BIN_EXE_cninfra-ctl"))
        .args(args)
        .args(agent.flags())
        .env_remove("COLUMNS")
        .stdout(Stdio::null())
        .status()
        .await
        .expect("cninfra-ctl runs");
    let took = started.elapsed();
    assert!(status.success(), "cninfra-ctl {args:?} failed");
    took
}

#[tokio::main]
async fn main() {
    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    let agent = support::TestAgent::start_on("ctl-bench", store, "127.0.0.1:1".into()).await;
    let models = cninfra_kvscheduler_example::models();

    // 100 000 interfaces through the local client (one resync).
    let local = Client::local(
        &agent.orchestrator.orchestrator().expect("orchestrator"),
        models,
    )
    .with_timeout(Duration::from_secs(600));
    let started = Instant::now();
    let reply = local
        .resync((0..VALUES).map(|i| tap(format!("tap{i}"))))
        .send()
        .await
        .expect("the values load");
    assert!(reply.is_ok());
    println!(
        "load {VALUES} values (local client resync): {:.0?}",
        started.elapsed()
    );
    agent
        .wait_state(
            &format!("config/vpp/v2/interfaces/tap{}", VALUES - 1),
            ValueState::Configured,
        )
        .await;

    for (label, args) in [
        ("cninfra-ctl values (table)", vec!["values"]),
        ("cninfra-ctl values -f json", vec!["values", "-f", "json"]),
        (
            "cninfra-ctl values vpp.interfaces",
            vec!["values", "vpp.interfaces"],
        ),
    ] {
        let mut samples = Vec::with_capacity(RUNS);
        for _ in 0..RUNS {
            samples.push(time_ctl(&agent, &args).await);
        }
        println!("{label}, {VALUES} values: {}", summary(samples));
    }

    // SetConfig of 10 000 new interfaces per run over gRPC (models learned once).
    let endpoint = format!("127.0.0.1:{}", agent.grpc_port());
    let grpc = Client::grpc_within(&endpoint, GrpcOptions::default(), Duration::from_secs(600))
        .await
        .expect("gRPC client");
    for wait in [false, true] {
        let mut samples = Vec::with_capacity(RUNS);
        for run in 0..RUNS {
            let mut request = grpc.change();
            for i in 0..SET_CONFIG_ITEMS {
                request = request.put_value(tap(format!("grpc{}-{run}-{i}", u8::from(wait))));
            }
            if wait {
                request = request.wait(Duration::from_secs(60));
            }
            let started = Instant::now();
            let reply = request.send().await.expect("SetConfig");
            samples.push(started.elapsed());
            assert_eq!(reply.results.len(), SET_CONFIG_ITEMS);
            assert!(reply.is_ok());
        }
        let what = if wait { " with wait" } else { "" };
        println!(
            "SetConfig {SET_CONFIG_ITEMS} items over gRPC{what} (client send to reply, graph of {}+ values): {}",
            VALUES,
            summary(samples)
        );
    }
    agent.stop().await;
}
