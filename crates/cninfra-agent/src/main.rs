//! The example cninfra agent: every infrastructure plugin plus a small example plugin.
//!
//! Run with `cargo run --release -p cninfra-agent`, then `curl localhost:9191/readiness`.
//! `--help` lists every flag; each is also read from its environment variable.

mod example;

use std::process::ExitCode;

use cninfra::{Agent, Defaults};

use crate::example::ExamplePlugin;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(err) = cninfra::logging::try_init() {
        eprintln!("cannot set up logging: {err}");
        return ExitCode::FAILURE;
    }
    let infra = Defaults::new();
    let example = ExamplePlugin::new(infra.status_check.clone());
    let builder = Agent::builder()
        .with_name("cninfra-agent")
        .with_build_info(cninfra::build_info!())
        .plugins(infra)
        .plugin(example);
    cninfra::run_main(builder).await
}
