//! Upstream's protobuf messages and models: what vpp-agent (Go) configures, with the same
//! packages, messages, field names and numbers, key prefixes and name templates, so values
//! written by a Go agent or `etcdctl` in upstream's form work verbatim, and ours there.
//!
//! The VPP models are registered by [`register_vpp`], the Linux ones by [`register_linux`].
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

/// `ligato.linux.*`: the Linux models (interfaces, routes, ARP entries, namespace
/// references), with cninfra's extensions.
///
/// Upstream's messages keep vpp-agent's packages, names and numbers. cninfra's extensions
/// use numbers from 30 on, which upstream leaves free: the interface types `BRIDGE` and
/// `VLAN`, the fields `bridge_master_interface` and `vlan` (a [`VlanLink`](crate::linux::interfaces::VlanLink))
/// of [`Interface`](crate::linux::interfaces::Interface), and [`NamedNetns`](crate::linux::netns::NamedNetns), a named namespace the
/// agent creates and deletes (package `cninfra.linux.namespace`, no upstream counterpart).
pub mod linux {
    pub use crate::proto::ligato::linux::{interfaces, l3, namespace};

    /// `cninfra.linux.namespace`: named network namespaces managed by the agent (a cninfra
    /// extension).
    pub mod netns {
        pub use crate::proto::cninfra::linux::namespace::NamedNetns;
    }
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

/// Registers the Linux models: upstream's `linux.interfaces.interface`
/// (`config/linux/interfaces/v2/interface/<name>`), `linux.l3.route`
/// (`config/linux/l3/v2/route/<dst-network>/<outgoing-interface>`, upstream's template) and
/// `linux.l3.arp` (`config/linux/l3/v2/arp/<interface>/<ip>`), and cninfra's
/// `linux.namespace.netns` (`config/linux/namespace/v1/netns/<name>`).
///
/// # Errors
/// When one of them is registered already.
///
/// # Examples
/// ```
/// use cninfra_ligato::linux::l3::Route;
/// use cninfra_models::ModelRegistry;
///
/// let mut registry = ModelRegistry::new();
/// cninfra_ligato::register_linux(&mut registry)?;
/// let route: Route = serde_json::from_str(
///     r#"{"outgoing_interface":"veth1","dst_network":"10.2.0.0/24","gw_addr":"10.1.0.2"}"#,
/// )?;
/// assert_eq!(registry.key_of_message(&route)?, "config/linux/l3/v2/route/10.2.0.0/24/veth1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register_linux(registry: &mut ModelRegistry) -> Result<(), ModelError> {
    use linux::{interfaces, l3, netns};
    registry.register::<interfaces::Interface>(
        ModelSpec::new("linux.interfaces", "v2", "interface")?,
        None,
    )?;
    registry.register::<l3::Route>(
        ModelSpec::new("linux.l3", "v2", "route")?,
        Some(ROUTE_NAME_TEMPLATE),
    )?;
    registry.register::<l3::ArpEntry>(
        ModelSpec::new("linux.l3", "v2", "arp")?,
        Some("{{.Interface}}/{{.IpAddress}}"),
    )?;
    registry
        .register::<netns::NamedNetns>(ModelSpec::new("linux.namespace", "v1", "netns")?, None)?;
    Ok(())
}

/// Upstream's name template of `linux.l3.route`: the normalised destination network, then
/// the outgoing interface.
const ROUTE_NAME_TEMPLATE: &str = concat!(
    r#"{{with ipnet .DstNetwork}}{{printf "%s/%d" .IP .MaskSize}}"#,
    r#"{{else}}{{.DstNetwork}}{{end}}/{{.OutgoingInterface}}"#
);
