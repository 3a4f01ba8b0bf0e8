//! The orchestrator's `grpc` source as a gRPC service (feature `grpc`):
//! `cninfra.kvscheduler.v1.Configurator`, served by [`cninfra_grpc::GrpcPlugin`].
//!
//! Remote clients change the desired state held by the source
//! [`GRPC_SOURCE`](crate::orchestrator::GRPC_SOURCE) of the [`Orchestrator`](crate::orchestrator::Orchestrator), read it back,
//! dump the southbound with each value's state, and list the models to build keys:
//!
//! | rpc | what |
//! |---|---|
//! | `Update(items, full_resync)` | a source transaction setting the values (JSON texts); with `full_resync`, a resync replacing the whole `grpc` share |
//! | `Delete(keys)` | a source transaction deleting the keys from the `grpc` share |
//! | `Get()` | the `grpc` share (whether or not its values win the merge) |
//! | `Dump(key_prefix?)` | the scheduler's SB view, each value with its state, error and details |
//! | `ListModels(class)` | the model registry: name, module, version, type, class, key prefix, proto name and name template |
//!
//! Keys are relative to the agent prefix, as in the KV store
//! (`config/vpp/v2/interfaces/tap1`). Values are JSON texts, proto3 JSON for models with
//! a protobuf message (upstream's form, as `etcdctl put` writes it: either field-name
//! form, enums by name); `Get` and `Dump` answer with canonical proto3 JSON (lowerCamel
//! field names, defaults left out), `Get` where the key's model in the registry has a
//! message and the value decodes. `Update` and `Delete` answer with the scheduler's
//! sequence number and the keys that FAILED or are RETRYING; a PENDING value waits for its
//! dependencies and is no error.
//!
//! # Status codes
//! - `INVALID_ARGUMENT`: an empty or repeated key, a value that is not JSON (nothing is
//!   applied), or a value the descriptor rejects (validation, or JSON that does not decode
//!   into its message: the message names the proto name and the field); the message names
//!   each key and its invalid fields. The other keys of the
//!   request stay applied (best effort, as the scheduler).
//! - `UNAVAILABLE`: the orchestrator does not exist yet (before its plugin's `init`) or
//!   the scheduler stopped.
//! - `DEADLINE_EXCEEDED`: the scheduler did not answer within [`CALL_TIMEOUT`]; a change
//!   still completes in the background (a dropped call never cuts a source transaction).
//!
//! # Wiring
//! [`GrpcSourcePlugin`] registers the service in its `init`; or call
//! [`ConfiguratorService::register`] from your own plugin's `init`.

mod convert;
mod plugin;
mod service;

use std::time::Duration;

pub use plugin::GrpcSourcePlugin;
pub use service::ConfiguratorService;

/// The generated messages, server (`configurator_server`) and client
/// (`configurator_client`) of `cninfra.kvscheduler.v1`.
#[allow(
    missing_docs,
    unreachable_pub,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic
)]
pub mod pb {
    tonic::include_proto!("cninfra.kvscheduler.v1");
}

/// The encoded `FileDescriptorSet` of the Configurator proto, for server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/configurator_descriptor.bin"));

/// How long a call waits for the scheduler (a commit or an SB dump).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Log target of the gRPC source.
const LOG: &str = GrpcSourcePlugin::NAME;
