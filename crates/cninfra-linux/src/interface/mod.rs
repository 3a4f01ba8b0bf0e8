//! `linux-interface`: vpp-agent's Linux interfaces (model `linux.interfaces.interface`,
//! `config/linux/interfaces/v2/interface/<name>`) as kernel links.
//!
//! | type | what the agent does |
//! |---|---|
//! | `VETH` | creates the pair when the first end is applied, the peer placed directly in its namespace with its final name and settings; both ends wait for each other (upstream's 2-cycle) |
//! | `LOOPBACK` | configures `lo` of the namespace (one logical loopback per namespace) |
//! | `DUMMY`, `BRIDGE` | creates the link |
//! | `VLAN` | creates an 802.1Q link over its parent (`vlan.parent_interface`, a configured interface of the same namespace) |
//! | `EXISTING` | waits for the link (named `host_if_name`) to exist and be UP; never creates, deletes or takes it up or down; without `link_only` it sets the MTU and MAC the value names and adds its addresses |
//!
//! Derived values: the admin state `linux/interface/state/<name>/UP|DOWN`, one
//! `linux/interface/<name>/address/<source>/<addr>` per address
//! ([`AddressDescriptor`](crate::AddressDescriptor)), and
//! `linux/interface/<name>/bridge/<bridge>` for `bridge_master_interface`
//! ([`BridgePortDescriptor`](crate::BridgePortDescriptor)).
//!
//! `TAP_TO_VPP`, `VRF_DEVICE`, `MICROSERVICE` namespaces and `vrf_master_interface` are
//! rejected as invalid (no VPP, VRF or docker here); the VETH checksum-offload settings are
//! accepted and not applied (no netlink call sets them).

mod apply;
mod read;

use std::borrow::Cow;
use std::sync::Arc;

use cninfra_idxmap::IdxMap;
use cninfra_kvscheduler::models::Model;
use cninfra_kvscheduler::{
    Correlated, Dependency, DerivedValue, DescriptorError, InvalidValueError, RetrieveResult,
    TypedDescriptor, Value,
};
use cninfra_ligato::linux::interfaces::{Interface, interface};
use cninfra_netlink::MacAddr;

use crate::keys::{self, AddressSource};
use crate::models::{self, linux};
use crate::shared::{InterfaceMeta, Shared, host_name};
use crate::values::{AddressValue, BridgePortValue};
use crate::{INTERFACE_DESCRIPTOR, namespace};

/// Largest MTU a value may ask for (upstream's limit).
const MAX_MTU: u32 = 9216;

/// The interface descriptor (`linux-interface`), with metadata [`InterfaceMeta`].
#[derive(Debug)]
pub struct InterfaceDescriptor {
    shared: Shared,
    model: Arc<Model>,
}

impl InterfaceDescriptor {
    pub(crate) fn new(shared: Shared) -> Self {
        Self {
            shared,
            model: Arc::clone(&linux().interface),
        }
    }
}

/// The VETH peer's logical name.
pub(crate) fn veth_peer(iface: &Interface) -> Option<&str> {
    match &iface.link {
        Some(interface::Link::Veth(veth)) if !veth.peer_if_name.is_empty() => {
            Some(&veth.peer_if_name)
        }
        _ => None,
    }
}

/// The VLAN's parent logical name and id.
pub(crate) fn vlan_link(iface: &Interface) -> Option<(&str, u32)> {
    match &iface.link {
        Some(interface::Link::Vlan(vlan)) => Some((&vlan.parent_interface, vlan.vlan_id)),
        _ => None,
    }
}

fn invalid(reason: impl Into<String>, field: &str) -> DescriptorError {
    InvalidValueError::new(reason, [field]).into()
}

impl TypedDescriptor for InterfaceDescriptor {
    type Value = Interface;
    type Metadata = InterfaceMeta;
    const SUPPORTS_UPDATE: bool = true;
    const SUPPORTS_RETRIEVE: bool = true;
    const WITH_METADATA: bool = true;

    fn name(&self) -> &str {
        INTERFACE_DESCRIPTOR
    }

    fn key_prefix(&self) -> &str {
        self.model.key_prefix()
    }

    fn model(&self) -> Option<&Model> {
        Some(&self.model)
    }

    fn key_label<'k>(&self, key: &'k str) -> Cow<'k, str> {
        Cow::Borrowed(key.strip_prefix(self.model.key_prefix()).unwrap_or(key))
    }

    fn equivalent(&self, _key: &str, old: &Interface, new: &Interface) -> bool {
        equivalent(old, new)
    }

    fn validate(&self, key: &str, iface: &Interface) -> Result<(), DescriptorError> {
        validate(key, &self.model, iface)?;
        self.shared
            .desired
            .lock()
            .insert(iface.name.clone(), iface.clone());
        Ok(())
    }

    fn create(&self, _key: &str, iface: &Interface) -> Result<InterfaceMeta, DescriptorError> {
        let (meta, fresh) = apply::create(&self.shared, iface)?;
        read::verify(&self.shared, iface, &meta, fresh)?;
        Ok(meta)
    }

    fn update(
        &self,
        _key: &str,
        old: &Interface,
        new: &Interface,
        meta: Option<&InterfaceMeta>,
    ) -> Result<InterfaceMeta, DescriptorError> {
        let meta = apply::update(&self.shared, old, new, meta)?;
        read::verify(&self.shared, new, &meta, None)?;
        Ok(meta)
    }

    fn update_with_recreate(
        &self,
        _key: &str,
        old: &Interface,
        new: &Interface,
        _meta: Option<&InterfaceMeta>,
    ) -> bool {
        old.r#type != new.r#type
            || old.link_only != new.link_only
            || namespace::resolve(old.namespace.as_ref())
                != namespace::resolve(new.namespace.as_ref())
            || veth_peer(old) != veth_peer(new)
            || vlan_link(old) != vlan_link(new)
    }

    fn delete(
        &self,
        _key: &str,
        iface: &Interface,
        meta: Option<&InterfaceMeta>,
    ) -> Result<(), DescriptorError> {
        apply::delete(&self.shared, iface, meta)
    }

    fn retrieve(
        &self,
        correlate: &[Correlated<'_, Interface, InterfaceMeta>],
    ) -> RetrieveResult<Interface, InterfaceMeta> {
        read::retrieve(&self.shared, correlate)
    }

    fn retrieve_dependencies(&self) -> Vec<String> {
        vec![crate::NETNS_DESCRIPTOR.to_owned()]
    }

    fn dependencies(&self, _key: &str, iface: &Interface) -> Vec<Dependency> {
        let mut dependencies = Vec::new();
        let ns = namespace::resolve(iface.namespace.as_ref()).unwrap_or_default();
        if let Some((label, key)) = namespace::dependency_key(&ns) {
            dependencies.push(Dependency::on_key(label, key));
        }
        match iface.r#type() {
            interface::Type::Existing => dependencies.push(Dependency::on_key(
                "host-interface-exists",
                keys::host_interface_key(&namespace::tag(&ns), host_name(iface)),
            )),
            interface::Type::Veth => {
                if let Some(peer) = veth_peer(iface) {
                    dependencies.push(Dependency::on_key(
                        "veth-peer-exists",
                        models::interface_key(peer),
                    ));
                }
            }
            interface::Type::Vlan => {
                if let Some((parent, _)) = vlan_link(iface) {
                    dependencies.push(Dependency::on_key(
                        "vlan-parent-exists",
                        models::interface_key(parent),
                    ));
                }
            }
            _ => {}
        }
        dependencies
    }

    fn derived_values(&self, _key: &str, iface: &Interface) -> Vec<DerivedValue> {
        derived_values(iface)
    }

    fn metadata_map(&self) -> IdxMap<InterfaceMeta> {
        self.shared.interfaces.clone()
    }
}

/// Upstream's equivalence: addresses and bridge membership are derived values (not
/// compared); the MTU only when NB names one; the MAC case-insensitively and only when NB
/// names one; EXISTING compares only what the agent manages.
fn equivalent(old: &Interface, new: &Interface) -> bool {
    if old.name != new.name
        || old.r#type != new.r#type
        || old.link_only != new.link_only
        || host_name(old) != host_name(new)
        || namespace::resolve(old.namespace.as_ref()) != namespace::resolve(new.namespace.as_ref())
        || veth_peer(old) != veth_peer(new)
        || vlan_link(old) != vlan_link(new)
    {
        return false;
    }
    let existing = new.r#type() == interface::Type::Existing;
    if !existing && old.enabled != new.enabled {
        return false;
    }
    if existing && new.link_only {
        return true;
    }
    if new.mtu != 0 && old.mtu != new.mtu {
        return false;
    }
    if new.link_only {
        return true;
    }
    new.phys_address.is_empty() || same_mac(&old.phys_address, &new.phys_address)
}

fn same_mac(a: &str, b: &str) -> bool {
    match (a.parse::<MacAddr>(), b.parse::<MacAddr>()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.eq_ignore_ascii_case(b),
    }
}

fn validate(key: &str, model: &Model, iface: &Interface) -> Result<(), DescriptorError> {
    if iface.name.is_empty() || model.strip_key_prefix(key) != Some(iface.name.as_str()) {
        return Err(invalid(
            format!("name `{}` does not match key `{key}`", iface.name),
            "name",
        ));
    }
    if iface.name.contains('/') {
        return Err(invalid("an interface name cannot contain `/`", "name"));
    }
    namespace::resolve(iface.namespace.as_ref())
        .map_err(|err| invalid(err.to_string(), "namespace"))?;
    let kind = interface::Type::try_from(iface.r#type)
        .map_err(|_| invalid(format!("unknown interface type {}", iface.r#type), "type"))?;
    let link_matches = match (&iface.link, kind) {
        (None, interface::Type::Veth | interface::Type::Vlan) => false,
        (None, _) => true,
        (Some(interface::Link::Veth(_)), interface::Type::Veth) => true,
        (Some(interface::Link::Vlan(_)), interface::Type::Vlan) => true,
        _ => false,
    };
    match kind {
        interface::Type::Undefined => {
            return Err(invalid("the interface type is undefined", "type"));
        }
        interface::Type::TapToVpp | interface::Type::VrfDevice => {
            return Err(invalid(
                format!(
                    "interface type {} is not supported (no VPP, no VRF)",
                    kind.as_str_name()
                ),
                "type",
            ));
        }
        _ => {}
    }
    if !link_matches {
        return Err(invalid(
            format!("the link settings do not match type {}", kind.as_str_name()),
            "link",
        ));
    }
    if kind == interface::Type::Veth && veth_peer(iface).is_none() {
        return Err(invalid("a VETH needs its peer's name", "peer_if_name"));
    }
    if let Some((parent, id)) = vlan_link(iface) {
        if parent.is_empty() {
            return Err(invalid(
                "a VLAN needs its parent interface",
                "parent_interface",
            ));
        }
        if !(1..=4094).contains(&id) {
            return Err(invalid(
                format!("VLAN id {id} is not in 1..=4094"),
                "vlan_id",
            ));
        }
    }
    if !iface.vrf_master_interface.is_empty() {
        return Err(invalid("VRFs are not supported", "vrf_master_interface"));
    }
    if iface.mtu > MAX_MTU {
        return Err(invalid(
            format!("MTU {} is above {MAX_MTU}", iface.mtu),
            "mtu",
        ));
    }
    if !iface.phys_address.is_empty() && iface.phys_address.parse::<MacAddr>().is_err() {
        return Err(invalid(
            format!("`{}` is not a MAC address", iface.phys_address),
            "phys_address",
        ));
    }
    for (i, address) in iface.ip_addresses.iter().enumerate() {
        if address.parse::<ipnet::IpNet>().is_err() {
            return Err(invalid(
                format!("`{address}` is not an address with prefix length"),
                &format!("ip_addresses[{i}]"),
            ));
        }
    }
    if iface.bridge_master_interface == iface.name {
        return Err(invalid(
            "an interface cannot be its own bridge",
            "bridge_master_interface",
        ));
    }
    Ok(())
}

/// The admin state, one value per address, and the bridge membership.
fn derived_values(iface: &Interface) -> Vec<DerivedValue> {
    let mut derived = vec![DerivedValue::new(
        keys::interface_state_key(&iface.name, iface.enabled),
        Value::new(()),
    )];
    let existing = iface.r#type() == interface::Type::Existing;
    if !iface.link_only || existing {
        let source = if iface.link_only {
            AddressSource::Existing
        } else {
            AddressSource::Static
        };
        let ns = namespace::resolve(iface.namespace.as_ref()).unwrap_or_default();
        for address in &iface.ip_addresses {
            let Ok(net) = address.parse::<ipnet::IpNet>() else {
                continue;
            };
            let value = AddressValue {
                interface: iface.name.clone(),
                address: net.to_string(),
                source,
                namespace: namespace::tag(&ns),
                host_name: host_name(iface).to_owned(),
            };
            derived.push(DerivedValue::new(
                keys::address_key(&iface.name, source, &value.address),
                Value::new(value),
            ));
        }
    }
    if !iface.bridge_master_interface.is_empty() {
        derived.push(DerivedValue::new(
            keys::bridge_port_key(&iface.name, &iface.bridge_master_interface),
            Value::new(BridgePortValue {
                interface: iface.name.clone(),
                bridge: iface.bridge_master_interface.clone(),
            }),
        ));
    }
    derived
}

#[cfg(test)]
mod tests;
