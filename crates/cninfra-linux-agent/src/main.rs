//! cninfra's reference Linux agent: vpp-agent's Linux models (interfaces, addresses,
//! routes, ARP entries) and cninfra's named namespaces, put into the KV store (or sent
//! over gRPC), applied to the kernel through the KVScheduler in dependency order, kept
//! PENDING while they cannot exist, and repaired after drift.
//!
//! Run as root with `cargo run -p cninfra-linux-agent`. Without a connector config file
//! the agent keeps its configuration in an embedded file DB under `cninfra-data/`
//! (`--data-dir`): YAML files in `cninfra-data/config/`, edited while it runs. With
//! `--etcd-config`, `--redis-config`, `--consul-config`, `--redb-config` or
//! `--filedb-config` it syncs with that store instead; with `--grpc-config` it also takes
//! values over the gRPC configurator. The REST debug API is under `/scheduler/` and the
//! dry run at `POST /linux/dry-run` (port 9191). `--help` lists every flag.

use std::process::ExitCode;

use cninfra::datasync::{KvdbSyncPlugin, ResyncPlugin};
use cninfra::grpc::GrpcPlugin;
use cninfra::kvscheduler::{KvSchedulerPlugin, grpc::GrpcSourcePlugin};
use cninfra::{Agent, Defaults, PluginGroupBuilder};
use cninfra_agent_store::Stores;
use cninfra_linux::LinuxPlugin;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(err) = cninfra::logging::try_init() {
        eprintln!("cannot set up logging: {err}");
        return ExitCode::FAILURE;
    }
    // The stores: the first configured connector (else an embedded file DB) for data sync,
    // every other configured one a source of its own of the orchestrator.
    let stores = Stores::new();
    let plugins = PluginGroupBuilder::new()
        .with(KvdbSyncPlugin::new(stores.data_sync(None)))
        .with(ResyncPlugin::new())
        .with(GrpcPlugin::new())
        // The KVScheduler, fed from the store and, with a grpc.conf, from gRPC.
        .with(KvSchedulerPlugin::new())
        .with(stores.orchestrator())
        .with(GrpcSourcePlugin::new(cninfra_linux::models::models()))
        // The Linux descriptors over the kernel's netlink.
        .with(LinuxPlugin::new());
    let builder = Agent::builder()
        .with_name("cninfra-linux-agent")
        .with_build_info(cninfra::build_info!())
        .group(Defaults)
        .group(plugins);
    cninfra::run_main(builder).await
}
