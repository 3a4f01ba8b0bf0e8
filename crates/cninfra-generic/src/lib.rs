//! vpp-agent's generic API over cninfra's orchestrator.
//!
//! - [`pb`]: upstream's `ligato.generic` messages (package, names, fields and numbers as
//!   upstream), with the tonic clients ([`pb::manager_service_client::ManagerServiceClient`],
//!   [`pb::meta_service_client::MetaServiceClient`]) and servers.

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
