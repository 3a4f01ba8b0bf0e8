//! Upstream's protobuf messages and models: what vpp-agent (Go) configures, with the same
//! packages, messages, field names and numbers, key prefixes and name templates, so values
//! written by a Go agent or `etcdctl` in upstream's form work verbatim, and ours there.
//!
//! Every top-level message is a serde type whose JSON is proto3 JSON
//! ([`cninfra_models::proto_json!`]).
//!
//! # Examples
//! ```
//! use cninfra_ligato::vpp::l2::FibEntry;
//! use cninfra_models::ModelRegistry;
//!
//! let mut registry = ModelRegistry::new();
//! cninfra_ligato::register_vpp(&mut registry)?;
//! let fib: FibEntry = serde_json::from_str(
//!     r#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}"#,
//! )?;
//! assert_eq!(
//!     registry.key_of_message(&fib)?,
//!     "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use cninfra_models::{ModelError, ModelRegistry, ModelSpec};

/// The generated code.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod proto {
    include!(concat!(env!("OUT_DIR"), "/cninfra_protos.rs"));
}

/// `ligato.vpp.*`: VPP's models.
pub mod vpp {
    pub use crate::proto::ligato::vpp::{interfaces, l2};
}

/// Registers upstream's VPP models (`vpp.interfaces`, `vpp.l2.bridge-domain`,
/// `vpp.l2.fib`, `vpp.l2.xconnect`) with upstream's specs and name templates.
///
/// # Errors
/// When one of them is registered already.
pub fn register_vpp(registry: &mut ModelRegistry) -> Result<(), ModelError> {
    use vpp::{interfaces, l2};
    registry.register::<interfaces::Interface>(ModelSpec::new("vpp", "v2", "interfaces")?, None)?;
    registry
        .register::<l2::BridgeDomain>(ModelSpec::new("vpp.l2", "v2", "bridge-domain")?, None)?;
    registry.register::<l2::FibEntry>(
        ModelSpec::new("vpp.l2", "v2", "fib")?,
        Some("{{.BridgeDomain}}/mac/{{.PhysAddress}}"),
    )?;
    registry.register::<l2::XConnectPair>(
        ModelSpec::new("vpp.l2", "v2", "xconnect")?,
        Some("{{.ReceiveInterface}}"),
    )?;
    Ok(())
}
