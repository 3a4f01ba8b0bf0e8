//! `linux-interface-bridge`: bridge membership (derived values
//! `linux/interface/<port>/bridge/<bridge>`, cninfra's: vpp-agent has no Linux bridge).

use cninfra_kvscheduler::{Dependency, DescriptorError, TypedDescriptor};
use cninfra_netlink::{LinkChange, Master};

use crate::BRIDGE_PORT_DESCRIPTOR;
use crate::keys;
use crate::models;
use crate::shared::{Shared, failed, gone_is_ok};
use crate::values::BridgePortValue;

/// Enslaves an interface to the BRIDGE its value names in `bridge_master_interface` once
/// the bridge is configured, and releases it when either goes away.
#[derive(Debug)]
pub struct BridgePortDescriptor {
    shared: Shared,
}

impl BridgePortDescriptor {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }
}

impl TypedDescriptor for BridgePortDescriptor {
    type Value = BridgePortValue;
    type Metadata = ();

    fn name(&self) -> &str {
        BRIDGE_PORT_DESCRIPTOR
    }

    fn key_prefix(&self) -> &str {
        keys::INTERFACE_DERIVED_PREFIX
    }

    fn key_selector(&self, key: &str) -> bool {
        keys::is_bridge_port_key(key)
    }

    fn nb_key_prefix(&self) -> Option<&str> {
        None
    }

    fn create(&self, _key: &str, value: &BridgePortValue) -> Result<(), DescriptorError> {
        let port = self.shared.interface(&value.interface)?;
        let bridge = self.shared.interface(&value.bridge)?;
        if port.namespace != bridge.namespace {
            return Err(DescriptorError::permanent(format!(
                "`{}` ({}) cannot join bridge `{}` of another namespace ({})",
                value.interface, port.namespace, value.bridge, bridge.namespace
            )));
        }
        let change = LinkChange::new().master(Master::Index(bridge.index));
        self.shared
            .netlink
            .set_link(&port.namespace, port.index, &change)
            .map_err(|err| failed(&err))?;
        if self.shared.verify {
            let link = self
                .shared
                .netlink
                .link(&port.namespace, &port.index.into())
                .map_err(|err| failed(&err))?;
            if link.and_then(|l| l.master) != Some(bridge.index) {
                return Err(DescriptorError::failed(format!(
                    "verification: `{}` is not a port of `{}` after it joined",
                    value.interface, value.bridge
                )));
            }
        }
        Ok(())
    }

    fn delete(
        &self,
        _key: &str,
        value: &BridgePortValue,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        let Some(port) = self.shared.interfaces.get(&value.interface) else {
            return Ok(());
        };
        let change = LinkChange::new().master(Master::Detach);
        gone_is_ok(
            self.shared
                .netlink
                .set_link(&port.namespace, port.index, &change),
        )
    }

    fn dependencies(&self, _key: &str, value: &BridgePortValue) -> Vec<Dependency> {
        vec![Dependency::on_key(
            "bridge-exists",
            models::interface_key(&value.bridge),
        )]
    }
}
