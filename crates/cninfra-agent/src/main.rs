//! The example cninfra agent: every infrastructure plugin, a small example plugin that
//! watches config items in the agent's KV store, and the KVScheduler with the example
//! descriptor set (vpp-agent's VPP interfaces, bridge domains and FIB entries over a
//! simulated VPP), fed from the same store. Its models are upstream's VPP models
//! (protobuf messages) and the example items (a serde type), side by side in one registry.
//!
//! Run with `cargo run --release -p cninfra-agent`, then `curl localhost:9191/readiness` and
//! `curl localhost:9191/example/v1/items`. Without a connector config file the agent keeps
//! its data in an embedded file DB under `cninfra-data/` (`--data-dir`); with
//! `--etcd-config`, `--redis-config`, `--consul-config`, `--redb-config` or
//! `--filedb-config` it syncs with that store instead; with several of them, data sync
//! reads the first (in that order) and the KVScheduler gets the others' configuration too,
//! each store a source of its own below the first. With a `grpc.conf` the gRPC server
//! serves vpp-agent's generic API (`ligato.generic.ManagerService`, `MetaService`) and
//! the configurator; the generic API's REST form is on the HTTP port (`/v1/config`,
//! `/v1/state`, `/v1/models`); the dashboard is at `/ui/` (status, loggers, the
//! KVScheduler's values, graph and transactions). `--help` lists every flag; each is also read from its
//! environment variable. Plugins find each other by type, so the order below does not
//! matter.
//!
//! With `--cryptodata-config` (a `cryptodata.conf` listing `private-key-files`) every
//! store's values come decrypted: JSON values marked `"encrypted": true` and the memif
//! secret of VPP interfaces (base64url of RSA-OAEP); `cninfra-agent encrypt --public-key
//! key-pub.pem VALUE` makes such values. See docs/security.md.

mod example;

use std::process::ExitCode;

use cninfra::datasync::{KvdbSyncPlugin, ResyncPlugin};
use cninfra::exec::{ProcessManagerPlugin, SupervisorPlugin};
use cninfra::grpc::GrpcPlugin;
use cninfra::kafka::KafkaPlugin;
use cninfra::kvscheduler::{KvSchedulerPlugin, grpc::GrpcSourcePlugin};
use cninfra::models::{ModelError, ModelRegistry};
use cninfra::{Agent, Defaults, PluginGroupBuilder};
use cninfra_agent_store::Stores;
use cninfra_cryptodata::{CryptoDataPlugin, ProtoFields};
use cninfra_generic::GenericApiPlugin;
use cninfra_kvscheduler_example::ExampleDescriptorsPlugin;
use cninfra_ui::UiPlugin;

/// The agent's models, listed by the gRPC configurator and (those with a protobuf message)
/// served by the generic API: upstream's VPP models of the example descriptors and the
/// example plugin's items (a serde type).
fn models() -> Result<ModelRegistry, ModelError> {
    let mut models = cninfra_kvscheduler_example::models();
    example::register_models(&mut models)?;
    Ok(models)
}

/// The protobuf fields stored encrypted when the agent has private keys: a memif
/// interface's secret (also a secret field of the model, redacted in debug views).
fn encrypted_fields(models: &ModelRegistry) -> Result<ProtoFields, Box<dyn std::error::Error>> {
    let interface = models
        .get(cninfra_kvscheduler_example::INTERFACE_MODEL)
        .ok_or("the VPP interface model is not registered")?;
    let mut fields = ProtoFields::new();
    fields.register(interface, &[cninfra_kvscheduler_example::MEMIF_SECRET])?;
    Ok(fields)
}

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(err) = cninfra::logging::try_init() {
        eprintln!("cannot set up logging: {err}");
        return ExitCode::FAILURE;
    }
    let models = match models() {
        Ok(models) => models,
        Err(err) => {
            eprintln!("cannot register the models: {err}");
            return ExitCode::FAILURE;
        }
    };
    let fields = match encrypted_fields(&models) {
        Ok(fields) => fields,
        Err(err) => {
            eprintln!("cannot register the encrypted fields: {err}");
            return ExitCode::FAILURE;
        }
    };
    let stores = Stores::with_cryptodata(
        CryptoDataPlugin::builder()
            .with_proto_fields(fields)
            .build(),
    );
    let plugins = PluginGroupBuilder::new()
        // The store (first configured connector, else an embedded file DB) and data sync.
        .with(KvdbSyncPlugin::new(
            stores.data_sync(Some(example::sample())),
        ))
        .with(ResyncPlugin::new())
        .with(KafkaPlugin::new())
        .with(GrpcPlugin::new())
        // The KVScheduler over the example's simulated dataplane, fed from the stores, the
        // generic API's REST form and, when a grpc.conf turns gRPC on, from the generic API
        // and the gRPC configurator.
        .with(KvSchedulerPlugin::new())
        .with(stores.orchestrator())
        .with(ExampleDescriptorsPlugin::new())
        .with(GenericApiPlugin::new(models.clone()))
        .with(GrpcSourcePlugin::new(models))
        // Disabled without their config files.
        .with(ProcessManagerPlugin::new())
        .with(SupervisorPlugin::new())
        .with(example::ExamplePlugin::new())
        // The dashboard: http://localhost:9191/ui/
        .with(UiPlugin::new());
    let builder = Agent::builder()
        .with_name("cninfra-agent")
        .with_build_info(cninfra::build_info!())
        .group(Defaults)
        .group(plugins);
    cninfra::run_main(builder).await
}
