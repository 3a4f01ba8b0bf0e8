//! The example cninfra agent: every infrastructure plugin plus a small example plugin.
//!
//! Run with `cargo run --release -p cninfra-agent`, then `curl localhost:9191/readiness`.
//! `--help` lists every flag; each is also read from its environment variable.

mod example;

use std::process::ExitCode;

use cninfra::exec::{ProcessManagerPlugin, SupervisorPlugin};
use cninfra::grpc::GrpcPlugin;
use cninfra::{Agent, Defaults};

use crate::example::ExamplePlugin;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(err) = cninfra::logging::try_init() {
        eprintln!("cannot set up logging: {err}");
        return ExitCode::FAILURE;
    }
    let infra = Defaults::new();
    let grpc = GrpcPlugin::new(infra.status_check.clone(), infra.prometheus.clone());
    let example = ExamplePlugin::new(infra.status_check.clone(), grpc);
    let mut builder = Agent::builder()
        .with_name("cninfra-agent")
        .with_build_info(cninfra::build_info!())
        .plugin(example);
    // The process manager and the supervisor run only when their config is given.
    let supervise = SupervisorPlugin::config_given();
    if supervise || ProcessManagerPlugin::config_given() {
        let manager = ProcessManagerPlugin::new();
        if supervise {
            builder = builder.plugin(SupervisorPlugin::with_deps(
                manager.clone(),
                infra.http.clone(),
                infra.prometheus.clone(),
            ));
        }
        builder = builder.plugin(manager);
    }
    cninfra::run_main(builder.plugins(infra)).await
}
