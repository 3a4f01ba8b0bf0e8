//! vpp-agent's generic API over cninfra's orchestrator: `ligato.generic.ManagerService`
//! (SetConfig, GetConfig, DumpState, Subscribe) and `MetaService` (KnownModels,
//! ProtoFileDescriptor), wire-compatible with upstream, and the same operations over REST.
//!
//! - [`pb`]: upstream's `ligato.generic` messages (package, names, fields and numbers as
//!   upstream), with the tonic clients
//!   [`pb::manager_service_client::ManagerServiceClient`] and
//!   [`pb::meta_service_client::MetaServiceClient`] and the servers.
//! - [`GenericApi`]: the operations over an orchestrator and a model registry;
//!   [`GenericService`] serves them over gRPC, [`rest::router`] over REST, and
//!   [`GenericApiPlugin`] (`generic-api`) does both in an agent.
//!
//! Items are `{model, name}` + `google.protobuf.Any` with upstream's
//! `models.ligato.io/<proto name>` type URLs; the key of an item is made from its value by
//! its model's name template (a name given in the id must match it). SetConfig answers
//! with each item's state (and can wait until none is PENDING or RETRYING) and the
//! transaction's sequence number (upstream's `seqnum` result and response metadata);
//! Subscribe streams the status changes of items. See `docs/generic-api.md`.

mod api;
mod error;
mod filter;
mod grpc;
mod item;
mod plugin;
pub mod rest;
mod status;
mod subscribe;

pub use api::{
    CALL_TIMEOUT, DEFAULT_WAIT, GenericApi, SECRET_FIELDS_OPTION, SEQNUM_KEY, SetConfigOutcome,
    SetOptions,
};
pub use error::GenericError;
pub use grpc::{DATASRC_METADATA, GenericService, SEQNUM_METADATA, WAIT_DONE_METADATA};
pub use plugin::GenericApiPlugin;

/// The compiled protos (`ligato.generic` and the files they import).
#[allow(
    missing_docs,
    unreachable_pub,
    missing_debug_implementations,
    clippy::all,
    clippy::pedantic
)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/cninfra_protos.rs"));
}

pub use proto::ligato::generic as pb;

/// Log target of the generic API: its plugin's name.
const LOG: &str = GenericApiPlugin::NAME;
