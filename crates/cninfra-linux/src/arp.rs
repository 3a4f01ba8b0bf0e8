//! `linux-arp`: vpp-agent's ARP entries (model `linux.l3.arp`,
//! `config/linux/l3/v2/arp/<iface>/<ip>`) as permanent neighbour entries.

use std::net::IpAddr;
use std::sync::Arc;

use cninfra_kvscheduler::models::Model;
use cninfra_kvscheduler::{
    Correlated, Dependency, DescriptorError, InvalidValueError, RetrieveResult, Retrieved,
    TypedDescriptor,
};
use cninfra_ligato::linux::l3::ArpEntry;
use cninfra_netlink::{MacAddr, Neighbour, NeighbourState};

use crate::keys;
use crate::models::{self, linux};
use crate::shared::{Shared, failed, gone_is_ok};
use crate::{ARP_DESCRIPTOR, INTERFACE_DESCRIPTOR};

/// ARP entries (IPv4 and IPv6 neighbours, always permanent): depend on the interface being
/// UP with an address. Retrieve reports the permanent entries of the configured interfaces,
/// of unknown origin as upstream (those NB does not name stay, OBTAINED).
#[derive(Debug)]
pub struct ArpDescriptor {
    shared: Shared,
    model: Arc<Model>,
}

impl ArpDescriptor {
    pub(crate) fn new(shared: Shared) -> Self {
        Self {
            shared,
            model: Arc::clone(&linux().arp),
        }
    }

    fn parse(entry: &ArpEntry) -> Result<(IpAddr, MacAddr), DescriptorError> {
        let ip = entry.ip_address.parse().map_err(|_| {
            InvalidValueError::new(
                format!("`{}` is not an IP address", entry.ip_address),
                ["ip_address"],
            )
        })?;
        let mac = entry.hw_address.parse().map_err(|_| {
            InvalidValueError::new(
                format!("`{}` is not a MAC address", entry.hw_address),
                ["hw_address"],
            )
        })?;
        Ok((ip, mac))
    }

    fn install(&self, entry: &ArpEntry) -> Result<(), DescriptorError> {
        let (ip, mac) = Self::parse(entry)?;
        let meta = self.shared.interface(&entry.interface)?;
        let neighbour = Neighbour::permanent(meta.index, ip, mac);
        self.shared
            .netlink
            .set_neighbour(&meta.namespace, &neighbour)
            .map_err(|err| failed(&err))?;
        if self.shared.verify {
            let found = self
                .shared
                .netlink
                .neighbours(&meta.namespace, Some(meta.index))
                .map_err(|err| failed(&err))?;
            if !found
                .iter()
                .any(|n| n.ip == ip && n.mac == Some(mac) && n.state == NeighbourState::Permanent)
            {
                return Err(DescriptorError::failed(format!(
                    "verification: neighbour {ip} of `{}` is not permanent at {mac} after it was set",
                    entry.interface
                )));
            }
        }
        Ok(())
    }
}

impl TypedDescriptor for ArpDescriptor {
    type Value = ArpEntry;
    type Metadata = ();
    const SUPPORTS_UPDATE: bool = true;
    const SUPPORTS_RETRIEVE: bool = true;

    fn name(&self) -> &str {
        ARP_DESCRIPTOR
    }

    fn key_prefix(&self) -> &str {
        self.model.key_prefix()
    }

    fn model(&self) -> Option<&Model> {
        Some(&self.model)
    }

    fn equivalent(&self, _key: &str, old: &ArpEntry, new: &ArpEntry) -> bool {
        match (Self::parse(old), Self::parse(new)) {
            (Ok(a), Ok(b)) => old.interface == new.interface && a == b,
            _ => old == new,
        }
    }

    fn validate(&self, key: &str, entry: &ArpEntry) -> Result<(), DescriptorError> {
        if entry.interface.is_empty() {
            return Err(InvalidValueError::new("the interface is mandatory", ["interface"]).into());
        }
        Self::parse(entry)?;
        if key != models::arp_key(&entry.interface, &entry.ip_address) {
            return Err(InvalidValueError::new(
                format!("the entry does not match key `{key}`"),
                ["interface", "ip_address"],
            )
            .into());
        }
        Ok(())
    }

    fn create(&self, _key: &str, entry: &ArpEntry) -> Result<(), DescriptorError> {
        self.install(entry)
    }

    fn update(
        &self,
        _key: &str,
        _old: &ArpEntry,
        new: &ArpEntry,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.install(new)
    }

    fn delete(
        &self,
        _key: &str,
        entry: &ArpEntry,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        let Some(meta) = self.shared.interfaces.get(&entry.interface) else {
            return Ok(());
        };
        let (ip, _) = Self::parse(entry)?;
        gone_is_ok(
            self.shared
                .netlink
                .delete_neighbour(&meta.namespace, meta.index, ip),
        )
    }

    fn retrieve(
        &self,
        _correlate: &[Correlated<'_, ArpEntry, ()>],
    ) -> RetrieveResult<ArpEntry, ()> {
        let mut found = Vec::new();
        for (name, meta) in self.shared.interfaces.list_all() {
            let neighbours = match self
                .shared
                .netlink
                .neighbours(&meta.namespace, Some(meta.index))
            {
                Ok(neighbours) => neighbours,
                Err(err) if err.is_namespace_gone() || err.is_not_found() => continue,
                Err(err) => return Err(failed(&err)),
            };
            for n in neighbours {
                let (NeighbourState::Permanent, Some(mac)) = (n.state, n.mac) else {
                    continue;
                };
                if n.ip.is_multicast() {
                    continue;
                }
                let entry = ArpEntry {
                    interface: name.to_string(),
                    ip_address: n.ip.to_string(),
                    hw_address: mac.to_string(),
                };
                found.push(Retrieved::new(
                    models::arp_key(&name, &entry.ip_address),
                    entry,
                ));
            }
        }
        Ok(found)
    }

    fn retrieve_dependencies(&self) -> Vec<String> {
        vec![INTERFACE_DESCRIPTOR.to_owned()]
    }

    fn dependencies(&self, _key: &str, entry: &ArpEntry) -> Vec<Dependency> {
        vec![
            Dependency::on_key(
                "interface-is-up",
                keys::interface_state_key(&entry.interface, true),
            ),
            Dependency::any_of(
                "interface-has-ip-address",
                [keys::address_prefix(&entry.interface)],
            ),
        ]
    }
}
