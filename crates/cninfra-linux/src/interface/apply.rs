//! Creating, changing and deleting the links of interface values.

use cninfra_kvscheduler::DescriptorError;
use cninfra_ligato::linux::interfaces::{Interface, interface};
use cninfra_netlink::{Link, LinkChange, LinkRef, MacAddr, Namespace, NewLink, VethPeer};

use super::{veth_peer, vlan_link};
use crate::namespace;
use crate::shared::{InterfaceMeta, Shared, failed, gone_is_ok, host_name};

fn meta_of(ns: &Namespace, link: &Link) -> InterfaceMeta {
    InterfaceMeta {
        namespace: ns.clone(),
        host_name: link.name.clone(),
        index: link.index,
    }
}

fn resolve(iface: &Interface) -> Result<Namespace, DescriptorError> {
    namespace::resolve(iface.namespace.as_ref())
        .map_err(|err| DescriptorError::permanent(format!("interface `{}`: {err}", iface.name)))
}

fn mac(iface: &Interface) -> Option<MacAddr> {
    (!iface.link_only)
        .then(|| iface.phys_address.parse().ok())
        .flatten()
}

fn mtu(iface: &Interface) -> Option<u32> {
    (iface.mtu != 0).then_some(iface.mtu)
}

/// The link of `name` in `ns`, if any.
fn find(shared: &Shared, ns: &Namespace, name: &str) -> Result<Option<Link>, DescriptorError> {
    shared
        .netlink
        .link(ns, &LinkRef::Name(name.to_owned()))
        .map_err(|err| failed(&err))
}

/// The alias the link of `iface` carries.
fn alias(shared: &Shared, iface: &Interface) -> String {
    shared.ownership.alias(&iface.name, veth_peer(iface))
}

/// Brings an existing link to what `iface` asks (settings the link lacks only).
fn configure(
    shared: &Shared,
    ns: &Namespace,
    link: &Link,
    iface: &Interface,
    set_alias: bool,
) -> Result<(), DescriptorError> {
    let mut change = LinkChange::new();
    if iface.r#type() != interface::Type::Existing && link.up != iface.enabled {
        change = change.up(iface.enabled);
    }
    if let Some(mtu) = mtu(iface).filter(|&mtu| mtu != link.mtu) {
        change = change.mtu(mtu);
    }
    if let Some(mac) = mac(iface).filter(|mac| link.mac.as_ref() != Some(mac)) {
        change = change.mac(mac);
    }
    if set_alias {
        let alias = alias(shared, iface);
        if link.alias.as_deref() != Some(alias.as_str()) {
            change = change.alias(alias);
        }
    }
    if change.is_empty() {
        return Ok(());
    }
    shared
        .netlink
        .set_link(ns, link.index, &change)
        .map_err(|err| failed(&err))
}

/// What creating an interface left: its metadata, and the link as the kernel reported it
/// right after creating it (`None` when an existing link was changed: read it again).
pub(super) type Created = (InterfaceMeta, Option<Link>);

/// Creates (or adopts) the link of `iface`.
pub(super) fn create(shared: &Shared, iface: &Interface) -> Result<Created, DescriptorError> {
    let ns = resolve(iface)?;
    let host = host_name(iface);
    match iface.r#type() {
        interface::Type::Existing => {
            let link = find(shared, &ns, host)?.ok_or_else(|| {
                DescriptorError::failed(format!(
                    "link `{host}` of EXISTING `{}` not found in {ns}",
                    iface.name
                ))
            })?;
            if !iface.link_only {
                configure(shared, &ns, &link, iface, false)?;
            }
            Ok((meta_of(&ns, &link), None))
        }
        interface::Type::Loopback => {
            let link = find(shared, &ns, host)?
                .ok_or_else(|| DescriptorError::failed(format!("no `lo` in {ns}")))?;
            if let Some((owner, _)) = link
                .alias
                .as_deref()
                .and_then(|a| shared.ownership.parse_alias(a))
                && owner != iface.name
            {
                return Err(DescriptorError::permanent(format!(
                    "the loopback of {ns} is configured already, as `{owner}`"
                )));
            }
            configure(shared, &ns, &link, iface, true)?;
            Ok((meta_of(&ns, &link), None))
        }
        interface::Type::Veth => create_veth(shared, &ns, iface),
        _ => {
            let new = new_link(shared, &ns, iface)?;
            add_or_adopt(shared, &ns, iface, &new)
        }
    }
}

/// The link request of a DUMMY, BRIDGE or VLAN.
fn new_link(
    shared: &Shared,
    ns: &Namespace,
    iface: &Interface,
) -> Result<NewLink, DescriptorError> {
    let host = host_name(iface);
    let mut new = match (iface.r#type(), vlan_link(iface)) {
        (interface::Type::Bridge, _) => NewLink::bridge(host),
        (interface::Type::Vlan, Some((parent, id))) => {
            let parent_meta = shared.interface(parent)?;
            if parent_meta.namespace != *ns {
                return Err(DescriptorError::permanent(format!(
                    "VLAN `{}` must be in the namespace of its parent `{parent}` ({})",
                    iface.name, parent_meta.namespace
                )));
            }
            let id = u16::try_from(id)
                .map_err(|_| DescriptorError::permanent(format!("VLAN id {id} out of range")))?;
            NewLink::vlan(host, parent_meta.index, id)
        }
        (interface::Type::Dummy, _) => NewLink::dummy(host),
        (kind, _) => {
            return Err(DescriptorError::permanent(format!(
                "interface type {} cannot be created",
                kind.as_str_name()
            )));
        }
    };
    new = new.with_alias(alias(shared, iface));
    if let Some(mtu) = mtu(iface) {
        new = new.with_mtu(mtu);
    }
    if let Some(mac) = mac(iface) {
        new = new.with_mac(mac);
    }
    if iface.enabled {
        new = new.up();
    }
    Ok(new)
}

/// Adds the link; a link of that name that is already the agent's (same alias) is
/// adopted, a foreign one is an error.
fn add_or_adopt(
    shared: &Shared,
    ns: &Namespace,
    iface: &Interface,
    new: &NewLink,
) -> Result<Created, DescriptorError> {
    match shared.netlink.add_link(ns, new) {
        Ok(link) => Ok((meta_of(ns, &link), Some(link))),
        Err(err) if err.is_exists() => {
            let link = find(shared, ns, &new.name)?.ok_or_else(|| failed(&err))?;
            let ours = alias(shared, iface);
            if link.alias.as_deref() != Some(ours.as_str()) || link.kind != new.link_kind() {
                return Err(DescriptorError::failed(format!(
                    "a link named `{}` exists in {ns} and is not the agent's `{}`",
                    new.name, iface.name
                )));
            }
            configure(shared, ns, &link, iface, false)?;
            Ok((meta_of(ns, &link), None))
        }
        Err(err) => Err(failed(&err)),
    }
}

/// The first end applied creates the pair, the peer directly in its namespace with its
/// final name and settings (its NB value, remembered by validation); the second end finds
/// its link and brings it to what it asks.
fn create_veth(
    shared: &Shared,
    ns: &Namespace,
    iface: &Interface,
) -> Result<Created, DescriptorError> {
    let host = host_name(iface);
    if let Some(link) = find(shared, ns, host)?
        && link.alias.as_deref() == Some(alias(shared, iface).as_str())
    {
        configure(shared, ns, &link, iface, false)?;
        return Ok((meta_of(ns, &link), None));
    }
    let peer_name = veth_peer(iface).unwrap_or_default();
    let peer = shared
        .desired
        .lock()
        .get(peer_name)
        .cloned()
        .ok_or_else(|| DescriptorError::failed(format!("VETH peer `{peer_name}` is not known")))?;
    let peer_ns = resolve(&peer)?;
    let mut end = VethPeer::new(host_name(&peer)).with_alias(alias(shared, &peer));
    if peer_ns != *ns {
        end = end.in_namespace(peer_ns);
    }
    if let Some(mtu) = mtu(&peer) {
        end = end.with_mtu(mtu);
    }
    if let Some(mac) = mac(&peer) {
        end = end.with_mac(mac);
    }
    if peer.enabled {
        end = end.up();
    }
    let mut new = NewLink::veth(host, end).with_alias(alias(shared, iface));
    if let Some(mtu) = mtu(iface) {
        new = new.with_mtu(mtu);
    }
    if let Some(mac) = mac(iface) {
        new = new.with_mac(mac);
    }
    if iface.enabled {
        new = new.up();
    }
    add_or_adopt(shared, ns, iface, &new)
}

/// Changes what can change in place: the kernel name, admin state, MTU and MAC.
pub(super) fn update(
    shared: &Shared,
    old: &Interface,
    new: &Interface,
    meta: Option<&InterfaceMeta>,
) -> Result<InterfaceMeta, DescriptorError> {
    let ns = resolve(new)?;
    let link = match meta {
        Some(meta) => shared
            .netlink
            .link(&ns, &LinkRef::Index(meta.index))
            .map_err(|err| failed(&err))?,
        None => find(shared, &ns, host_name(old))?,
    }
    .ok_or_else(|| DescriptorError::failed(format!("the link of `{}` is gone", new.name)))?;
    let host = host_name(new);
    if link.name != host {
        // Most kinds of link can be renamed only while down.
        let netlink = &shared.netlink;
        if link.up {
            netlink
                .set_link(&ns, link.index, &LinkChange::new().up(false))
                .map_err(|err| failed(&err))?;
        }
        netlink
            .set_link(&ns, link.index, &LinkChange::new().name(host))
            .map_err(|err| failed(&err))?;
        if link.up && new.r#type() == interface::Type::Existing {
            netlink
                .set_link(&ns, link.index, &LinkChange::new().up(true))
                .map_err(|err| failed(&err))?;
        }
    }
    let link = shared
        .netlink
        .link(&ns, &LinkRef::Index(link.index))
        .map_err(|err| failed(&err))?
        .ok_or_else(|| DescriptorError::failed(format!("the link of `{}` is gone", new.name)))?;
    if !(new.r#type() == interface::Type::Existing && new.link_only) {
        let owned = new.r#type() != interface::Type::Existing;
        configure(shared, &ns, &link, new, owned)?;
    }
    Ok(meta_of(&ns, &link))
}

/// Deletes the link (a VETH's peer goes with it); gives the loopback back unconfigured;
/// leaves an EXISTING link alone.
pub(super) fn delete(
    shared: &Shared,
    iface: &Interface,
    meta: Option<&InterfaceMeta>,
) -> Result<(), DescriptorError> {
    let ns = resolve(iface)?;
    let link = match meta {
        Some(meta) => shared.netlink.link(&ns, &LinkRef::Index(meta.index)),
        None => shared
            .netlink
            .link(&ns, &LinkRef::Name(host_name(iface).to_owned())),
    };
    let link = match link {
        Ok(Some(link)) => link,
        Ok(None) => return Ok(()),
        Err(err) => return gone_is_ok(Err(err)),
    };
    match iface.r#type() {
        interface::Type::Existing => Ok(()),
        interface::Type::Loopback => gone_is_ok(shared.netlink.set_link(
            &ns,
            link.index,
            &LinkChange::new().alias(String::new()),
        )),
        _ => {
            // Only what carries the agent's mark is deleted.
            if !shared.ownership.owns_alias(link.alias.as_deref()) {
                tracing::warn!(target: crate::LOG, interface = %iface.name, link = %link.name, %ns,
                    "the link is not the agent's: left in place");
                return Ok(());
            }
            gone_is_ok(shared.netlink.delete_link(&ns, link.index))
        }
    }
}
