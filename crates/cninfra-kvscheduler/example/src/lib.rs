//! The example descriptor set of the KVScheduler (the worked example of the
//! "configuration order"): interfaces, bridge domains and FIB entries over a small
//! in-memory [`Dataplane`] that records every call. It is an example, not a dataplane:
//! the example agent runs it, and `cninfra-kvscheduler`'s tests and docs use it. It is not
//! part of `cninfra-kvscheduler`, so that the library ships no example code.
//!
//! | what | key | value |
//! |---|---|---|
//! | interface | `config/example/v1/interfaces/<name>` | [`Interface`] `{"name","type","enabled"}` |
//! | bridge domain | `config/example/v1/bridge-domains/<name>` | [`BridgeDomain`] `{"name","interfaces":[{"name"}]}` |
//! | member interface (derived) | `example/bd/<bd>/interface/<name>` | [`BdBinding`], depends on the interface |
//! | FIB entry | `config/example/v1/fib/<bd>/mac/<mac>` | [`FibEntry`] `{"phys_address","bridge_domain","outgoing_interface","action"}`, depends on the bridge domain and on the interface being its member |
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
//! let fib = example::fib_key("bd1", "aa:bb:cc:dd:ee:ff");
//! scheduler.txn().put(fib.clone(), Value::from_json(json!({
//!     "phys_address": "aa:bb:cc:dd:ee:ff", "bridge_domain": "bd1",
//!     "outgoing_interface": "if1", "action": "forward"}))).commit().await?;
//! assert_eq!(scheduler.status(&fib).value.state, ValueState::Pending);
//!
//! // Its dependencies appear: it is created.
//! scheduler.txn()
//!     .put(example::interface_key("if1"), Value::from_json(json!(
//!         {"name": "if1", "type": "ethernet", "enabled": true})))
//!     .put(example::bridge_domain_key("bd1"), Value::from_json(json!(
//!         {"name": "bd1", "interfaces": [{"name": "if1"}]})))
//!     .commit().await?;
//! assert_eq!(scheduler.status(&fib).value.state, ValueState::Configured);
//! assert_eq!(dataplane.calls().last().map(String::as_str), Some("create fib bd1/aa:bb:cc:dd:ee:ff"));
//! # Ok(()) }
//! ```

mod dataplane;
mod descriptors;
mod plugin;

use serde::{Deserialize, Serialize};

pub use dataplane::{Call, Dataplane};
pub use descriptors::{
    BdInterfaceDescriptor, BridgeDomainDescriptor, FibDescriptor, InterfaceDescriptor,
};
pub use plugin::{ExampleDescriptorsPlugin, ExampleDescriptorsPluginBuilder};

use cninfra_kvscheduler::models::{ModelError, ModelRegistry, ModelSpec, NameSource};
use cninfra_kvscheduler::{KvSchedulerError, Scheduler};

/// Key prefix of interfaces.
pub const INTERFACE_PREFIX: &str = "config/example/v1/interfaces/";
/// Key prefix of bridge domains.
pub const BRIDGE_DOMAIN_PREFIX: &str = "config/example/v1/bridge-domains/";
/// Key prefix of FIB entries.
pub const FIB_PREFIX: &str = "config/example/v1/fib/";
/// Key prefix of the derived bridge-domain memberships.
pub const BD_INTERFACE_PREFIX: &str = "example/bd/";

/// The key of an interface.
pub fn interface_key(name: &str) -> String {
    format!("{INTERFACE_PREFIX}{name}")
}

/// The key of a bridge domain.
pub fn bridge_domain_key(name: &str) -> String {
    format!("{BRIDGE_DOMAIN_PREFIX}{name}")
}

/// The key of a FIB entry.
pub fn fib_key(bridge_domain: &str, mac: &str) -> String {
    format!("{FIB_PREFIX}{bridge_domain}/mac/{mac}")
}

/// The key of the derived value "interface is a member of the bridge domain".
pub fn bd_interface_key(bridge_domain: &str, interface: &str) -> String {
    format!("{BD_INTERFACE_PREFIX}{bridge_domain}/interface/{interface}")
}

/// An interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interface {
    /// Name (the last key segment).
    pub name: String,
    /// `ethernet`, `loopback` or `tap`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Administrative state.
    #[serde(default)]
    pub enabled: bool,
}

/// A member of a bridge domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BdInterface {
    /// Interface name.
    pub name: String,
}

/// A bridge domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeDomain {
    /// Name (the last key segment).
    pub name: String,
    /// Member interfaces.
    #[serde(default)]
    pub interfaces: Vec<BdInterface>,
}

/// The derived value binding an interface to a bridge domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BdBinding {
    /// Bridge domain name.
    pub bridge_domain: String,
    /// Interface name.
    pub interface: String,
}

/// A static FIB entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FibEntry {
    /// MAC address `aa:bb:cc:dd:ee:ff`.
    pub phys_address: String,
    /// Bridge domain name.
    pub bridge_domain: String,
    /// Interface the frames go out of (must be a member of the bridge domain).
    pub outgoing_interface: String,
    /// `forward` or `drop`.
    pub action: String,
}

/// The models of the example (interfaces, bridge domains, FIB entries), for clients that
/// build keys from values.
///
/// # Examples
/// ```
/// use cninfra_kvscheduler_example::{self as example, Interface};
///
/// let models = example::models();
/// let key = models.key_of(&Interface { name: "if1".into(), kind: "tap".into(), enabled: true })?;
/// assert_eq!(key, example::interface_key("if1"));
/// # Ok::<(), cninfra_kvscheduler::models::ModelError>(())
/// ```
pub fn models() -> ModelRegistry {
    let mut registry = ModelRegistry::new();
    if let Err(err) = register_models(&mut registry) {
        // The specs are constants that pass validation: this is not expected to happen.
        tracing::error!(target: ExampleDescriptorsPlugin::NAME, error = %err, "example models not registered");
    }
    registry
}

fn register_models(registry: &mut ModelRegistry) -> Result<(), ModelError> {
    registry.register::<Interface>(
        ModelSpec::new("example", "v1", "interfaces")?,
        NameSource::default(),
    )?;
    registry.register::<BridgeDomain>(
        ModelSpec::new("example", "v1", "bridge-domains")?,
        NameSource::default(),
    )?;
    registry.register::<FibEntry>(
        ModelSpec::new("example", "v1", "fib")?,
        NameSource::Template("{{.bridge_domain}}/mac/{{.phys_address}}".into()),
    )?;
    Ok(())
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
