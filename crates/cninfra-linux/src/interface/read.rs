//! Reading interfaces back from the kernel: `retrieve` and the verification after apply.

use std::collections::{BTreeSet, HashMap};

use cninfra_kvscheduler::{Correlated, DescriptorError, Origin, RetrieveResult, Retrieved};
use cninfra_ligato::linux::interfaces::{Interface, VethLink, VlanLink, interface};
use cninfra_ligato::linux::namespace::{NetNamespace, net_namespace::ReferenceType};
use cninfra_netlink::{Address, Link, LinkKind, LinkRef, Namespace, Scope};
use ipnet::IpNet;

use super::{equivalent, vlan_link};
use crate::models;
use crate::namespace;
use crate::shared::{InterfaceMeta, Shared, failed, host_name};

/// Suffix of a second link carrying the same logical name (so that resync deletes it).
const DUPLICATE_SUFFIX: &str = "-DUPLICATE";

/// The NB reference of a namespace (for values found without an NB counterpart).
fn reference_of(ns: &Namespace) -> Option<NetNamespace> {
    let (kind, reference) = match ns {
        Namespace::Default => return None,
        Namespace::Named(name) => (ReferenceType::Nsid, name.clone()),
        Namespace::Pid(pid) => (ReferenceType::Pid, pid.to_string()),
        Namespace::Path(path) => (ReferenceType::Fd, path.to_string_lossy().into_owned()),
    };
    Some(NetNamespace {
        r#type: kind.into(),
        reference,
    })
}

/// The addresses of `link` that `wanted` names, in `wanted`'s spelling (foreign addresses
/// are not reported, so they are never deleted; IPv6 link-local ones are never wanted).
fn wanted_addresses(addresses: &[Address], index: u32, wanted: Option<&Interface>) -> Vec<String> {
    let Some(wanted) = wanted else {
        return Vec::new();
    };
    let present: BTreeSet<IpNet> = addresses
        .iter()
        .filter(|a| a.index == index && a.scope != Scope::Link)
        .map(|a| a.addr)
        .collect();
    wanted
        .ip_addresses
        .iter()
        .filter(|text| {
            text.parse::<IpNet>()
                .is_ok_and(|net| present.contains(&net))
        })
        .cloned()
        .collect()
}

/// The value of a link the agent owns, as the kernel has it.
struct Found {
    name: String,
    peer: Option<String>,
    link: Link,
}

/// Reads every namespace in use: links with the agent's alias, and the links of the
/// EXISTING values NB names.
pub(super) fn retrieve(
    shared: &Shared,
    correlate: &[Correlated<'_, Interface, InterfaceMeta>],
) -> RetrieveResult<Interface, InterfaceMeta> {
    let expected: HashMap<&str, &Interface> = correlate
        .iter()
        .map(|c| (c.value.name.as_str(), c.value))
        .collect();
    let mut namespaces = shared.namespaces_in_use();
    namespaces.extend(
        correlate
            .iter()
            .filter_map(|c| namespace::resolve(c.value.namespace.as_ref()).ok()),
    );
    let mut retrieved = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for ns in &namespaces {
        let links = match shared.netlink.links(ns) {
            Ok(links) => links,
            Err(err) if err.is_namespace_gone() => continue,
            Err(err) => return Err(failed(&err)),
        };
        let addresses = match shared.netlink.addresses(ns, None) {
            Ok(addresses) => addresses,
            Err(err) if err.is_namespace_gone() => continue,
            Err(err) => return Err(failed(&err)),
        };
        let owned: Vec<Found> = links
            .iter()
            .filter_map(|link| {
                let (name, peer) = shared.ownership.parse_alias(link.alias.as_deref()?)?;
                Some(Found {
                    name: name.to_owned(),
                    peer: peer.map(str::to_owned),
                    link: link.clone(),
                })
            })
            .collect();
        let names_by_index: HashMap<u32, &str> = owned
            .iter()
            .map(|f| (f.link.index, f.name.as_str()))
            .collect();
        for found in &owned {
            let wanted = expected
                .get(found.name.as_str())
                .copied()
                .filter(|w| namespace::resolve(w.namespace.as_ref()).as_ref() == Ok(ns));
            let Some(mut iface) = owned_value(found, wanted, &names_by_index) else {
                continue;
            };
            iface.namespace = wanted.map_or_else(|| reference_of(ns), |w| w.namespace.clone());
            iface.ip_addresses = wanted_addresses(&addresses, found.link.index, wanted);
            iface.link_only = wanted.is_some_and(|w| w.link_only);
            let count = seen.entry(iface.name.clone()).or_default();
            *count += 1;
            if *count > 1 || (wanted.is_none() && expected.contains_key(iface.name.as_str())) {
                // Another link claims the name (or NB wants it elsewhere): resync deletes it.
                iface.name = format!("{}{DUPLICATE_SUFFIX}{count}", iface.name);
                iface.link = None;
                if iface.r#type() == interface::Type::Veth {
                    iface.link = Some(interface::Link::Veth(VethLink::default()));
                }
            }
            retrieved.push(found_value(ns, &found.link, iface, Origin::FromNb));
        }
        for wanted in expected
            .values()
            .filter(|w| w.r#type() == interface::Type::Existing)
        {
            if namespace::resolve(wanted.namespace.as_ref()).as_ref() != Ok(ns) {
                continue;
            }
            let Some(link) = links.iter().find(|l| l.name == host_name(wanted)) else {
                continue;
            };
            let iface = existing_value(link, wanted, &addresses);
            retrieved.push(found_value(ns, link, iface, Origin::FromNb));
        }
    }
    Ok(retrieved)
}

fn found_value(
    ns: &Namespace,
    link: &Link,
    iface: Interface,
    origin: Origin,
) -> Retrieved<Interface, InterfaceMeta> {
    Retrieved {
        key: models::interface_key(&iface.name),
        value: iface,
        metadata: Some(InterfaceMeta {
            namespace: ns.clone(),
            host_name: link.name.clone(),
            index: link.index,
        }),
        origin,
    }
}

/// An owned link as an interface value (`None` for kinds the agent does not make).
fn owned_value(
    found: &Found,
    wanted: Option<&Interface>,
    names_by_index: &HashMap<u32, &str>,
) -> Option<Interface> {
    let link = &found.link;
    let (kind, link_settings) = match &link.kind {
        LinkKind::Veth => (
            interface::Type::Veth,
            Some(interface::Link::Veth(VethLink {
                peer_if_name: found.peer.clone().unwrap_or_default(),
                // Not read back (not applied either): as NB asks.
                ..wanted
                    .and_then(|w| match &w.link {
                        Some(interface::Link::Veth(veth)) => Some(veth.clone()),
                        _ => None,
                    })
                    .unwrap_or_default()
            })),
        ),
        LinkKind::Loopback => (interface::Type::Loopback, None),
        LinkKind::Dummy => (interface::Type::Dummy, None),
        LinkKind::Bridge => (interface::Type::Bridge, None),
        LinkKind::Vlan => (
            interface::Type::Vlan,
            Some(interface::Link::Vlan(VlanLink {
                parent_interface: link
                    .parent
                    .and_then(|p| names_by_index.get(&p))
                    .map(|p| (*p).to_owned())
                    .unwrap_or_default(),
                vlan_id: link.vlan_id.map(u32::from).unwrap_or_default(),
            })),
        ),
        LinkKind::Other(_) => return None,
    };
    Some(Interface {
        name: found.name.clone(),
        r#type: kind.into(),
        host_if_name: if kind == interface::Type::Loopback {
            String::new()
        } else {
            link.name.clone()
        },
        enabled: link.up,
        phys_address: link.mac.map(|m| m.to_string()).unwrap_or_default(),
        mtu: link.mtu,
        link: link_settings,
        bridge_master_interface: link
            .master
            .and_then(|m| names_by_index.get(&m))
            .map(|m| (*m).to_owned())
            .unwrap_or_default(),
        ..Interface::default()
    })
}

/// An EXISTING link as NB names it: the agent reports only what it manages.
fn existing_value(link: &Link, wanted: &Interface, addresses: &[Address]) -> Interface {
    Interface {
        name: wanted.name.clone(),
        r#type: interface::Type::Existing.into(),
        namespace: wanted.namespace.clone(),
        host_if_name: link.name.clone(),
        enabled: wanted.enabled,
        ip_addresses: wanted_addresses(addresses, link.index, Some(wanted)),
        phys_address: link.mac.map(|m| m.to_string()).unwrap_or_default(),
        mtu: link.mtu,
        link_only: wanted.link_only,
        bridge_master_interface: wanted.bridge_master_interface.clone(),
        ..Interface::default()
    }
}

/// Compares the link of a value just applied with the value (addresses and bridge
/// membership are checked by their own descriptors): the link as the kernel reported it
/// right after creating it (`fresh`), else read again.
pub(super) fn verify(
    shared: &Shared,
    iface: &Interface,
    meta: &InterfaceMeta,
    fresh: Option<Link>,
) -> Result<(), DescriptorError> {
    if !shared.verify {
        return Ok(());
    }
    let link = match fresh {
        Some(link) => link,
        None => shared
            .netlink
            .link(&meta.namespace, &LinkRef::Index(meta.index))
            .map_err(|err| failed(&err))?
            .ok_or_else(|| {
                DescriptorError::failed(format!(
                    "verification: the link of `{}` is gone right after it was applied",
                    iface.name
                ))
            })?,
    };
    let found = if iface.r#type() == interface::Type::Existing {
        existing_value(&link, iface, &[])
    } else {
        let Some((name, peer)) = link
            .alias
            .as_deref()
            .and_then(|a| shared.ownership.parse_alias(a))
        else {
            return Err(DescriptorError::failed(format!(
                "verification: link `{}` of `{}` lacks the agent's alias",
                link.name, iface.name
            )));
        };
        let found = Found {
            name: name.to_owned(),
            peer: peer.map(str::to_owned),
            link: link.clone(),
        };
        // The VLAN parent is compared by index: name it as asked when it matches.
        let mut names = HashMap::new();
        if let (Some((parent, _)), Some(index)) = (vlan_link(iface), link.parent)
            && shared
                .interfaces
                .get(parent)
                .is_some_and(|m| m.index == index)
        {
            names.insert(index, parent);
        }
        let Some(mut found) = owned_value(&found, Some(iface), &names) else {
            return Err(DescriptorError::failed(format!(
                "verification: link `{}` is of another kind",
                link.name
            )));
        };
        found.namespace = iface.namespace.clone();
        found.link_only = iface.link_only;
        found
    };
    if equivalent(&found, iface) {
        Ok(())
    } else {
        Err(DescriptorError::failed(format!(
            "verification: the kernel has {} where {} was applied",
            serde_json::to_string(&found).unwrap_or_default(),
            serde_json::to_string(iface).unwrap_or_default()
        )))
    }
}
