//! The example cninfra agent: every infrastructure plugin, a small example plugin that
//! watches config items in the agent's KV store, and the KVScheduler with the example
//! descriptor set (interfaces, bridge domains, FIB entries), fed from the same store.
//!
//! Run with `cargo run --release -p cninfra-agent`, then `curl localhost:9191/readiness` and
//! `curl localhost:9191/example/v1/items`. Without a connector config file the agent keeps
//! its data in an embedded file DB under `cninfra-data/` (`--data-dir`); with
//! `--etcd-config`, `--redis-config`, `--consul-config`, `--redb-config` or
//! `--filedb-config` it syncs with that store instead. `--help` lists every flag; each is
//! also read from its environment variable.

mod example;
mod store;

use std::process::ExitCode;

use cninfra::datasync::{KvdbSyncPlugin, ResyncPlugin};
use cninfra::exec::{ProcessManagerPlugin, SupervisorPlugin};
use cninfra::grpc::GrpcPlugin;
use cninfra::health::StatusCheckPlugin;
use cninfra::kafka::KafkaPlugin;
use cninfra::kvscheduler::KvSchedulerPlugin;
use cninfra::kvscheduler::example::{self as scheduler_example, ExampleDescriptorsPlugin};
use cninfra::kvscheduler::grpc::GrpcSourcePlugin;
use cninfra::kvscheduler::orchestrator::OrchestratorPlugin;
use cninfra::rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};
use cninfra::{Agent, Defaults, PluginGroup};

use crate::example::ExamplePlugin;
use crate::store::source;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(err) = cninfra::logging::try_init() {
        eprintln!("cannot set up logging: {err}");
        return ExitCode::FAILURE;
    }
    let (http, status, prometheus) = (
        HttpPlugin::new(),
        StatusCheckPlugin::new(),
        PrometheusPlugin::new(),
    );
    let infra = Defaults
        .build()
        .set(http.clone())
        .set(status.clone())
        .set(prometheus.clone());
    let grpc = GrpcPlugin::new(status.clone(), prometheus.clone());
    let sync = KvdbSyncPlugin::new(source());
    // The KVScheduler with the example descriptors (interfaces, bridge domains, FIB entries
    // over an in-memory dataplane), fed from the store under config/example/v1/.
    let scheduler = KvSchedulerPlugin::with_deps(Some(http.clone()), Some(prometheus.clone()));
    let descriptors = ExampleDescriptorsPlugin::new(scheduler.clone());
    let orchestrator = OrchestratorPlugin::new(scheduler, sync.clone());
    // The scheduler's gRPC configurator, served when a grpc.conf turns gRPC on.
    let grpc_source = GrpcSourcePlugin::new(
        grpc.clone(),
        orchestrator.clone(),
        scheduler_example::models(),
    );
    let kafka = KafkaPlugin::new();
    let example = match ExamplePlugin::new(status, http.clone(), grpc, sync.clone(), kafka) {
        Ok(example) => example,
        Err(err) => {
            eprintln!("cannot build the example plugin: {err}");
            return ExitCode::FAILURE;
        }
    };
    let mut builder = Agent::builder()
        .with_name("cninfra-agent")
        .with_build_info(cninfra::build_info!())
        .plugin(example)
        .plugin(descriptors)
        .plugin(orchestrator)
        .plugin(grpc_source)
        .plugin(ResyncPlugin::new());
    // The process manager and the supervisor stay disabled without their config file.
    builder = builder
        .plugin(SupervisorPlugin::new())
        .plugin(ProcessManagerPlugin::new());
    cninfra::run_main(builder.group(infra)).await
}
