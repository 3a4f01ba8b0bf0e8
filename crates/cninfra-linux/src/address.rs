//! `linux-interface-address`: the addresses of interfaces (derived values, upstream's
//! `linux/interface/<name>/address/<source>/<addr>`).

use cninfra_kvscheduler::{Dependency, DescriptorError, InvalidValueError, TypedDescriptor};
use ipnet::IpNet;

use crate::keys::{self, AddressSource};
use crate::shared::{Shared, failed, gone_is_ok};
use crate::values::AddressValue;
use crate::{ADDRESS_DESCRIPTOR, LOG};

/// Adds and removes the addresses the interface values name. An address of an EXISTING
/// `link_only` interface is the source `existing`: the agent waits for someone else to add
/// it (it depends on the southbound value of the address) and never touches it.
#[derive(Debug)]
pub struct AddressDescriptor {
    shared: Shared,
}

impl AddressDescriptor {
    pub(crate) fn new(shared: Shared) -> Self {
        Self { shared }
    }

    fn net(value: &AddressValue) -> Result<IpNet, DescriptorError> {
        value.address.parse().map_err(|_| {
            InvalidValueError::new(
                format!("`{}` is not an address with prefix length", value.address),
                ["address"],
            )
            .into()
        })
    }

    fn is_present(&self, value: &AddressValue, net: IpNet) -> Result<bool, DescriptorError> {
        let meta = self.shared.interface(&value.interface)?;
        let addresses = self
            .shared
            .netlink
            .addresses(&meta.namespace, Some(meta.index))
            .map_err(|err| failed(&err))?;
        Ok(addresses
            .iter()
            .any(|a| a.addr == net && a.index == meta.index))
    }
}

impl TypedDescriptor for AddressDescriptor {
    type Value = AddressValue;
    type Metadata = ();

    fn name(&self) -> &str {
        ADDRESS_DESCRIPTOR
    }

    fn key_prefix(&self) -> &str {
        keys::INTERFACE_DERIVED_PREFIX
    }

    fn key_selector(&self, key: &str) -> bool {
        keys::is_address_key(key)
    }

    fn nb_key_prefix(&self) -> Option<&str> {
        None
    }

    fn validate(&self, _key: &str, value: &AddressValue) -> Result<(), DescriptorError> {
        Self::net(value).map(drop)
    }

    fn create(&self, _key: &str, value: &AddressValue) -> Result<(), DescriptorError> {
        let net = Self::net(value)?;
        if value.source == AddressSource::Static {
            let meta = self.shared.interface(&value.interface)?;
            self.shared
                .netlink
                .add_address(&meta.namespace, meta.index, net)
                .map_err(|err| failed(&err))?;
        }
        if self.shared.verify && !self.is_present(value, net)? {
            return Err(DescriptorError::failed(format!(
                "verification: address {net} is not on `{}` after it was added",
                value.interface
            )));
        }
        Ok(())
    }

    fn delete(
        &self,
        _key: &str,
        value: &AddressValue,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        if value.source != AddressSource::Static {
            return Ok(());
        }
        let net = Self::net(value)?;
        let Some(meta) = self.shared.interfaces.get(&value.interface) else {
            tracing::debug!(target: LOG, interface = %value.interface, %net,
                "interface gone: its address went with it");
            return Ok(());
        };
        gone_is_ok(
            self.shared
                .netlink
                .delete_address(&meta.namespace, meta.index, net),
        )
    }

    fn dependencies(&self, _key: &str, value: &AddressValue) -> Vec<Dependency> {
        match value.source {
            AddressSource::Static => Vec::new(),
            AddressSource::Existing => vec![Dependency::on_key(
                "address-assigned-to-interface",
                keys::host_address_key(&value.namespace, &value.host_name, &value.address),
            )],
        }
    }
}
