//! The example descriptor set of the KVScheduler (the worked example of the
//! "configuration order"): vpp-agent's VPP L2 models, the interfaces, bridge domains and
//! FIB entries of upstream's protobuf messages ([`cninfra_ligato`]) at upstream's keys,
//! over a *simulated* VPP: the in-memory [`Dataplane`], which keeps what exists and records
//! every call. It is an example, not a dataplane: no VPP is involved. The example agent
//! runs it, and `cninfra-kvscheduler`'s tests and docs use it. It is not part of
//! `cninfra-kvscheduler`, so that the library ships no example code.
//!
//! | what | key | value |
//! |---|---|---|
//! | interface | `config/vpp/v2/interfaces/<name>` | `ligato.vpp.interfaces.Interface`, e.g. `{"name":"tap1","type":"TAP","enabled":true}` |
//! | bridge domain | `config/vpp/l2/v2/bridge-domain/<name>` | `ligato.vpp.l2.BridgeDomain`, e.g. `{"name":"bd1","interfaces":[{"name":"tap1"}]}` |
//! | member interface (derived) | `vpp/bd/<bd>/interface/<name>` | [`BdBinding`], depends on the interface |
//! | FIB entry | `config/vpp/l2/v2/fib/<bd>/mac/<mac>` | `ligato.vpp.l2.FIBEntry`, e.g. `{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}`; depends on the bridge domain and, with `FORWARD`, on the interface being its member |
//!
//! Values are proto3 JSON, as vpp-agent keeps them in its KV store: either field-name form
//! (`phys_address`, `physAddress`), enums by name (`TAP`, `FORWARD`). The key prefixes and
//! names come from upstream's models ([`models`]: `vpp.interfaces`, `vpp.l2.bridge-domain`,
//! `vpp.l2.fib`), each descriptor naming its model ([`TypedDescriptor::model`]); the
//! derived membership keys follow upstream's `vpp/bd/<bd>/interface/<name>`.
//!
//! # Examples
//! ```
//! use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value, ValueState};
//! use cninfra_kvscheduler_example::{self as example, Dataplane};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let scheduler = Scheduler::new(SchedulerConfig::default())?;
//! let dataplane = Dataplane::new();
//! example::register_all(&scheduler, &dataplane)?;
//!
//! // A FIB entry before its bridge domain and interface: it waits.
//! let fib = example::fib_key("bd1", "62:89:c6:a3:7e:3a");
//! assert_eq!(fib, "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a");
//! scheduler.txn().put(fib.clone(), Value::from_json(json!({
//!     "phys_address": "62:89:c6:a3:7e:3a", "bridge_domain": "bd1",
//!     "outgoing_interface": "tap1", "action": "FORWARD"}))).commit().await?;
//! assert_eq!(scheduler.status(&fib).value.state, ValueState::Pending);
//!
//! // Its dependencies appear: it is created.
//! scheduler.txn()
//!     .put(example::bridge_domain_key("bd1"), Value::from_json(json!(
//!         {"name": "bd1", "interfaces": [{"name": "tap1"}]})))
//!     .put(example::interface_key("tap1"), Value::from_json(json!(
//!         {"name": "tap1", "type": "TAP", "enabled": true})))
//!     .commit().await?;
//! assert_eq!(scheduler.status(&fib).value.state, ValueState::Configured);
//! assert_eq!(dataplane.calls().last().map(String::as_str), Some("create fib bd1/62:89:c6:a3:7e:3a"));
//! # Ok(()) }
//! ```
//!
//! [`TypedDescriptor::model`]: cninfra_kvscheduler::TypedDescriptor::model

mod dataplane;
mod descriptors;
mod journal;
mod plugin;

use std::sync::{Arc, LazyLock};

use cninfra_ligato::vpp::interfaces::Interface;
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry};
use serde::{Deserialize, Serialize};

pub use dataplane::{Call, Dataplane};
pub use descriptors::{
    BdInterfaceDescriptor, BridgeDomainDescriptor, FibDescriptor, InterfaceDescriptor,
};
pub use journal::JournalError;
pub use plugin::{ExampleDescriptorsPlugin, ExampleDescriptorsPluginBuilder};

use cninfra_kvscheduler::models::{Model, ModelError, ModelRegistry};
use cninfra_kvscheduler::{KvSchedulerError, Scheduler};

/// Key prefix of the derived bridge-domain memberships (upstream's).
pub const BD_INTERFACE_PREFIX: &str = "vpp/bd/";

/// Upstream's VPP models, registered once (as vpp-agent registers its models at package
/// initialisation), with the three the descriptors use looked up.
/// The name of upstream's VPP interface model.
pub const INTERFACE_MODEL: &str = "vpp.interfaces";

/// The path of a memif interface's shared secret, a secret field of [`INTERFACE_MODEL`].
pub const MEMIF_SECRET: &[&str] = &["memif", "secret"];

#[derive(Debug)]
struct VppModels {
    registry: ModelRegistry,
    interface: Arc<Model>,
    bridge_domain: Arc<Model>,
    fib: Arc<Model>,
}

impl VppModels {
    fn new() -> Result<Self, ModelError> {
        let mut registry = ModelRegistry::new();
        cninfra_ligato::register_vpp(&mut registry)?;
        // A memif's shared secret shows as `<redacted>` in the transaction log and the
        // REST debug API.
        registry.mark_secret(INTERFACE_MODEL, MEMIF_SECRET)?;
        Ok(Self {
            interface: registry.model_of::<Interface>()?,
            bridge_domain: registry.model_of::<BridgeDomain>()?,
            fib: registry.model_of::<FibEntry>()?,
            registry,
        })
    }
}

fn vpp() -> &'static VppModels {
    static MODELS: LazyLock<VppModels> = LazyLock::new(|| {
        // Upstream's specs and templates are constants: registering them in an empty
        // registry cannot fail (test `upstreams_models_give_upstreams_keys`); vpp-agent's
        // `models.Register` panics the same way on a bad declaration.
        #[allow(clippy::expect_used)]
        VppModels::new().expect("upstream's VPP models register in an empty registry")
    });
    &MODELS
}

/// The models the example configures: upstream's VPP models
/// ([`cninfra_ligato::register_vpp`]), for clients that build keys from values and for
/// the gRPC `ListModels`; an agent adds its other models to it.
///
/// # Examples
/// ```
/// use cninfra_kvscheduler_example as example;
/// use cninfra_ligato::vpp::l2::FibEntry;
///
/// let models = example::models();
/// let fib: FibEntry = serde_json::from_str(
///     r#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","action":"DROP"}"#,
/// )?;
/// assert_eq!(models.key_of_message(&fib)?, example::fib_key("bd1", "62:89:c6:a3:7e:3a"));
/// assert_eq!(
///     models.for_key("config/vpp/l2/v2/bridge-domain/bd1").map(|m| m.proto_name()),
///     Some("ligato.vpp.l2.BridgeDomain")
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn models() -> ModelRegistry {
    vpp().registry.clone()
}

/// The key of an interface (model `vpp.interfaces`).
pub fn interface_key(name: &str) -> String {
    vpp().interface.key(name)
}

/// The key of a bridge domain (model `vpp.l2.bridge-domain`).
pub fn bridge_domain_key(name: &str) -> String {
    vpp().bridge_domain.key(name)
}

/// The key of a FIB entry (model `vpp.l2.fib`, template
/// `{{.BridgeDomain}}/mac/{{.PhysAddress}}`).
pub fn fib_key(bridge_domain: &str, mac: &str) -> String {
    vpp().fib.key(&format!("{bridge_domain}/mac/{mac}"))
}

/// The key of the derived value "interface is a member of the bridge domain".
pub fn bd_interface_key(bridge_domain: &str, interface: &str) -> String {
    format!("{BD_INTERFACE_PREFIX}{bridge_domain}/interface/{interface}")
}

/// The derived value binding an interface to a bridge domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BdBinding {
    /// Bridge domain name.
    pub bridge_domain: String,
    /// Interface name.
    pub interface: String,
}

/// Registers the four example descriptors over `dataplane`.
///
/// # Errors
/// [`KvSchedulerError::DescriptorExists`] if one is registered already.
pub fn register_all(scheduler: &Scheduler, dataplane: &Dataplane) -> Result<(), KvSchedulerError> {
    scheduler.register(InterfaceDescriptor::new(dataplane.clone()))?;
    scheduler.register(BridgeDomainDescriptor::new(dataplane.clone()))?;
    scheduler.register(BdInterfaceDescriptor::new(dataplane.clone()))?;
    scheduler.register(FibDescriptor::new(dataplane.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_models_give_upstreams_keys() {
        let models = VppModels::new().unwrap();
        assert_eq!(models.interface.name(), "vpp.interfaces");
        assert_eq!(interface_key("tap1"), "config/vpp/v2/interfaces/tap1");
        assert_eq!(
            bridge_domain_key("bd1"),
            "config/vpp/l2/v2/bridge-domain/bd1"
        );
        let fib = FibEntry {
            phys_address: "62:89:c6:a3:7e:3a".into(),
            bridge_domain: "bd1".into(),
            ..FibEntry::default()
        };
        assert_eq!(
            models.fib.key_of_message(&fib).unwrap(),
            fib_key("bd1", "62:89:c6:a3:7e:3a")
        );
        assert_eq!(
            fib_key("bd1", "62:89:c6:a3:7e:3a"),
            "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a"
        );
        assert_eq!(bd_interface_key("bd1", "tap1"), "vpp/bd/bd1/interface/tap1");
    }
}
