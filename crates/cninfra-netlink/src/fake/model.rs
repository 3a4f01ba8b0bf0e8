//! The fake's in-memory model: namespaces with their links, addresses, routes, neighbours
//! and sysctls, changed as the kernel would (as far as the Linux plugins can tell).

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use ipnet::IpNet;
use nix::errno::Errno;

use crate::link::check_name;
use crate::{
    Address, Cause, Event, EventKind, Family, Link, LinkChange, LinkKind, LinkRef, MacAddr, Master,
    Namespace, Neighbour, NewLink, NewLinkKind, Route, RouteFilter, RouteKind,
};

type Outcome<T> = std::result::Result<T, Cause>;

/// One namespace of the model.
#[derive(Debug, Default)]
struct NsModel {
    links: BTreeMap<u32, FakeLink>,
    next_index: u32,
    addresses: Vec<Address>,
    routes: Vec<Route>,
    neighbours: Vec<Neighbour>,
    sysctls: BTreeMap<String, String>,
}

/// A link and, for a veth end, where its peer is.
#[derive(Debug, Clone)]
struct FakeLink {
    link: Link,
    peer: Option<(Namespace, u32)>,
}

/// Every namespace of the model, and which are watched.
#[derive(Debug)]
pub(super) struct World {
    namespaces: BTreeMap<Namespace, NsModel>,
    watched: BTreeSet<Namespace>,
    /// Events of watched namespaces, sent once the change is complete.
    pub(super) events: Vec<Event>,
    macs: u32,
}

impl World {
    /// The default namespace with `lo` up.
    pub(super) fn new() -> Self {
        let mut world = Self {
            namespaces: BTreeMap::new(),
            watched: BTreeSet::new(),
            events: Vec::new(),
            macs: 0,
        };
        world.add_namespace(Namespace::Default);
        if let Some(lo) = world
            .namespaces
            .get_mut(&Namespace::Default)
            .and_then(|m| m.links.get_mut(&1))
        {
            lo.link.up = true;
            lo.link.carrier = true;
        }
        world
    }

    // ===== namespaces =====

    /// Makes `ns` exist, with its loopback down (as the kernel makes a new namespace).
    pub(super) fn add_namespace(&mut self, ns: Namespace) -> bool {
        if self.namespaces.contains_key(&ns) {
            return false;
        }
        let lo = Link {
            index: 1,
            name: "lo".into(),
            kind: LinkKind::Loopback,
            up: false,
            carrier: false,
            mtu: 65536,
            mac: Some(MacAddr([0; 6])),
            alias: None,
            master: None,
            parent: None,
            link_netnsid: None,
            vlan_id: None,
        };
        let mut model = NsModel {
            next_index: 2,
            ..NsModel::default()
        };
        model.links.insert(
            1,
            FakeLink {
                link: lo,
                peer: None,
            },
        );
        self.namespaces.insert(ns, model);
        true
    }

    /// Destroys `ns` with its links (a veth's peer elsewhere goes too).
    pub(super) fn remove_namespace(&mut self, ns: &Namespace) -> bool {
        let Some(model) = self.namespaces.remove(ns) else {
            return false;
        };
        for fake in model.links.values() {
            if let Some((peer_ns, peer)) = &fake.peer {
                self.destroy_link(peer_ns, *peer);
            }
        }
        if self.watched.remove(ns) {
            self.events.push(Event {
                namespace: ns.clone(),
                kind: EventKind::NamespaceGone,
            });
        }
        true
    }

    pub(super) fn namespace_exists(&self, ns: &Namespace) -> bool {
        self.namespaces.contains_key(ns)
    }

    pub(super) fn named_namespaces(&self) -> Vec<String> {
        self.namespaces
            .keys()
            .filter_map(|ns| match ns {
                Namespace::Named(name) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    pub(super) fn watch(&mut self, ns: &Namespace) -> Outcome<()> {
        self.model(ns)?;
        self.watched.insert(ns.clone());
        Ok(())
    }

    pub(super) fn unwatch(&mut self, ns: &Namespace) {
        self.watched.remove(ns);
    }

    fn model(&self, ns: &Namespace) -> Outcome<&NsModel> {
        self.namespaces.get(ns).ok_or(Cause::NamespaceGone)
    }

    fn model_mut(&mut self, ns: &Namespace) -> Outcome<&mut NsModel> {
        self.namespaces.get_mut(ns).ok_or(Cause::NamespaceGone)
    }

    fn emit(&mut self, ns: &Namespace, kind: EventKind) {
        if self.watched.contains(ns) {
            self.events.push(Event {
                namespace: ns.clone(),
                kind,
            });
        }
    }

    // ===== links =====

    pub(super) fn links(&self, ns: &Namespace) -> Outcome<Vec<Link>> {
        Ok(self
            .model(ns)?
            .links
            .values()
            .map(|f| f.link.clone())
            .collect())
    }

    pub(super) fn link(&self, ns: &Namespace, link: &LinkRef) -> Outcome<Option<Link>> {
        let model = self.model(ns)?;
        Ok(match link {
            LinkRef::Index(index) => model.links.get(index).map(|f| f.link.clone()),
            LinkRef::Name(name) => model.find(name).map(|f| f.link.clone()),
        })
    }

    fn existing(&self, ns: &Namespace, index: u32) -> Outcome<&FakeLink> {
        self.model(ns)?
            .links
            .get(&index)
            .ok_or(Cause::Errno(Errno::ENODEV))
    }

    fn next_mac(&mut self) -> MacAddr {
        self.macs += 1;
        let [_, _, a, b] = self.macs.to_be_bytes();
        MacAddr([0x02, 0xfa, 0x6b, 0, a, b])
    }

    pub(super) fn add_link(&mut self, ns: &Namespace, new: &NewLink) -> Outcome<Link> {
        check_name(&new.name)?;
        let model = self.model(ns)?;
        if model.find(&new.name).is_some() {
            return Err(Cause::Errno(Errno::EEXIST));
        }
        let (parent, vlan_id) = match &new.kind {
            NewLinkKind::Vlan { parent, id } => {
                if !(1..=4094).contains(id) {
                    return Err(Cause::Errno(Errno::ERANGE));
                }
                let parent_link = self.existing(ns, *parent)?;
                let clash = self.model(ns)?.links.values().any(|f| {
                    f.link.kind == LinkKind::Vlan
                        && f.link.parent == Some(*parent)
                        && f.link.vlan_id == Some(*id)
                });
                if clash || parent_link.link.kind == LinkKind::Loopback {
                    return Err(Cause::Errno(if clash {
                        Errno::EEXIST
                    } else {
                        Errno::EINVAL
                    }));
                }
                (Some(*parent), Some(*id))
            }
            _ => (None, None),
        };
        let peer_ns = match &new.kind {
            NewLinkKind::Veth(peer) => {
                check_name(&peer.name)?;
                let peer_ns = peer.namespace.clone().unwrap_or_else(|| ns.clone());
                let peer_model = self.model(&peer_ns)?;
                if peer_model.find(&peer.name).is_some()
                    || (peer_ns == *ns && peer.name == new.name)
                {
                    return Err(Cause::Errno(Errno::EEXIST));
                }
                Some(peer_ns)
            }
            _ => None,
        };
        let mac = match new.mac {
            Some(mac) => mac,
            None => self.next_mac(),
        };
        let mut link = Link {
            index: 0,
            name: new.name.clone(),
            kind: new.link_kind(),
            up: new.up,
            carrier: false,
            mtu: new.mtu.unwrap_or(1500),
            mac: Some(mac),
            alias: new.alias.clone().filter(|a| !a.is_empty()),
            master: None,
            parent,
            link_netnsid: None,
            vlan_id,
        };
        let index = self.model_mut(ns)?.allocate(None);
        link.index = index;
        if let (NewLinkKind::Veth(peer), Some(peer_ns)) = (&new.kind, peer_ns) {
            let peer_mac = match peer.mac {
                Some(mac) => mac,
                None => self.next_mac(),
            };
            let peer_model = self.model_mut(&peer_ns)?;
            let peer_index = peer_model.allocate(None);
            let peer_link = Link {
                index: peer_index,
                name: peer.name.clone(),
                kind: LinkKind::Veth,
                up: peer.up,
                carrier: false,
                mtu: peer.mtu.unwrap_or(1500),
                mac: Some(peer_mac),
                alias: peer.alias.clone().filter(|a| !a.is_empty()),
                master: None,
                parent: Some(index),
                link_netnsid: None,
                vlan_id: None,
            };
            link.parent = Some(peer_index);
            peer_model.links.insert(
                peer_index,
                FakeLink {
                    link: peer_link,
                    peer: Some((ns.clone(), index)),
                },
            );
            self.model_mut(ns)?.links.insert(
                index,
                FakeLink {
                    link,
                    peer: Some((peer_ns.clone(), peer_index)),
                },
            );
            self.refresh_carrier(ns, index);
            self.refresh_carrier(&peer_ns, peer_index);
            if let Ok(peer) = self.existing(&peer_ns, peer_index) {
                let peer = peer.link.clone();
                self.emit(&peer_ns, EventKind::LinkAdded(peer));
            }
        } else {
            self.model_mut(ns)?
                .links
                .insert(index, FakeLink { link, peer: None });
            self.refresh_carrier(ns, index);
        }
        let created = self.existing(ns, index)?.link.clone();
        self.emit(ns, EventKind::LinkAdded(created.clone()));
        Ok(created)
    }

    /// Carrier as the kernel shows it: a veth needs both ends up, other links their own.
    fn refresh_carrier(&mut self, ns: &Namespace, index: u32) {
        let Ok(fake) = self.existing(ns, index) else {
            return;
        };
        let peer_up = match &fake.peer {
            Some((peer_ns, peer)) => self
                .existing(peer_ns, *peer)
                .map(|p| p.link.up)
                .unwrap_or(false),
            None => true,
        };
        if let Some(fake) = self
            .namespaces
            .get_mut(ns)
            .and_then(|m| m.links.get_mut(&index))
        {
            fake.link.carrier = fake.link.up && peer_up;
        }
    }

    pub(super) fn set_link(
        &mut self,
        ns: &Namespace,
        index: u32,
        change: &LinkChange,
    ) -> Outcome<()> {
        let current = self.existing(ns, index)?.link.clone();
        let model = self.model(ns)?;
        if let Some(name) = &change.name {
            check_name(name)?;
            if model.find(name).is_some_and(|f| f.link.index != index) {
                return Err(Cause::Errno(Errno::EEXIST));
            }
        }
        if let Some(Master::Index(master)) = change.master {
            let master = model
                .links
                .get(&master)
                .ok_or(Cause::Errno(Errno::EINVAL))?;
            if master.link.kind != LinkKind::Bridge || master.link.index == index {
                return Err(Cause::Errno(Errno::EOPNOTSUPP));
            }
        }
        if change.mtu == Some(0) {
            return Err(Cause::Errno(Errno::EINVAL));
        }
        let mut link = current.clone();
        change.apply_to(&mut link);
        let went_down = current.up && !link.up;
        let peer = self.existing(ns, index)?.peer.clone();
        if let Some(fake) = self.model_mut(ns)?.links.get_mut(&index) {
            fake.link = link;
        }
        self.refresh_carrier(ns, index);
        if went_down {
            self.link_down(ns, index);
        }
        let changed = self.existing(ns, index)?.link.clone();
        if changed != current {
            self.emit(ns, EventKind::LinkChanged(changed));
        }
        if let Some((peer_ns, peer)) = peer {
            self.peer_carrier_changed(&peer_ns, peer);
        }
        Ok(())
    }

    fn peer_carrier_changed(&mut self, ns: &Namespace, index: u32) {
        let Ok(before) = self.existing(ns, index).map(|f| f.link.clone()) else {
            return;
        };
        self.refresh_carrier(ns, index);
        if let Ok(after) = self.existing(ns, index).map(|f| f.link.clone())
            && after != before
        {
            self.emit(ns, EventKind::LinkChanged(after));
        }
    }

    /// What the kernel drops when a link goes down: the routes out of it, its IPv6
    /// addresses and its neighbours (IPv4 addresses stay).
    fn link_down(&mut self, ns: &Namespace, index: u32) {
        let Ok(model) = self.model_mut(ns) else {
            return;
        };
        let (routes, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut model.routes)
            .into_iter()
            .partition(|r| r.oif == Some(index));
        model.routes = kept;
        let (addresses, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut model.addresses)
            .into_iter()
            .partition(|a| a.index == index && matches!(a.addr, IpNet::V6(_)));
        model.addresses = kept;
        let (neighbours, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut model.neighbours)
            .into_iter()
            .partition(|n| n.index == index);
        model.neighbours = kept;
        for route in routes {
            self.emit(ns, EventKind::RouteRemoved(route));
        }
        for address in addresses {
            self.emit(ns, EventKind::AddressRemoved(address));
        }
        for neighbour in neighbours {
            self.emit(ns, EventKind::NeighbourRemoved(neighbour));
        }
    }

    /// Removes the link and what hangs on it: addresses, routes, neighbours, ports'
    /// membership, VLANs on top; not its veth peer.
    fn detach_link(&mut self, ns: &Namespace, index: u32) -> Option<FakeLink> {
        let model = self.namespaces.get_mut(ns)?;
        let fake = model.links.remove(&index)?;
        let (addresses, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut model.addresses)
            .into_iter()
            .partition(|a| a.index == index);
        model.addresses = kept;
        let (routes, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut model.routes)
            .into_iter()
            .partition(|r| r.oif == Some(index));
        model.routes = kept;
        let (neighbours, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut model.neighbours)
            .into_iter()
            .partition(|n| n.index == index);
        model.neighbours = kept;
        let mut ports = Vec::new();
        for port in model.links.values_mut() {
            if port.link.master == Some(index) {
                port.link.master = None;
                ports.push(port.link.clone());
            }
        }
        let vlans: Vec<u32> = model
            .links
            .values()
            .filter(|f| f.link.kind == LinkKind::Vlan && f.link.parent == Some(index))
            .map(|f| f.link.index)
            .collect();
        for address in addresses {
            self.emit(ns, EventKind::AddressRemoved(address));
        }
        for route in routes {
            self.emit(ns, EventKind::RouteRemoved(route));
        }
        for neighbour in neighbours {
            self.emit(ns, EventKind::NeighbourRemoved(neighbour));
        }
        for port in ports {
            self.emit(ns, EventKind::LinkChanged(port));
        }
        for vlan in vlans {
            self.destroy_link(ns, vlan);
        }
        Some(fake)
    }

    /// Deletes the link for good (without its peer).
    fn destroy_link(&mut self, ns: &Namespace, index: u32) {
        if let Some(fake) = self.detach_link(ns, index) {
            self.emit(ns, EventKind::LinkRemoved(fake.link));
        }
    }

    pub(super) fn delete_link(&mut self, ns: &Namespace, index: u32) -> Outcome<()> {
        let fake = self.existing(ns, index)?;
        if fake.link.kind == LinkKind::Loopback {
            return Err(Cause::Errno(Errno::EOPNOTSUPP));
        }
        let peer = fake.peer.clone();
        self.destroy_link(ns, index);
        if let Some((peer_ns, peer)) = peer {
            self.destroy_link(&peer_ns, peer);
        }
        Ok(())
    }

    pub(super) fn move_link(
        &mut self,
        ns: &Namespace,
        index: u32,
        to: &Namespace,
        name: Option<&str>,
    ) -> Outcome<()> {
        let fake = self.existing(ns, index)?;
        if fake.link.kind == LinkKind::Loopback {
            return Err(Cause::Errno(Errno::EINVAL));
        }
        let new_name = name.unwrap_or(&fake.link.name).to_string();
        check_name(&new_name)?;
        let target = self.model(to)?;
        if to == ns {
            return Ok(());
        }
        if target.find(&new_name).is_some() {
            return Err(Cause::Errno(Errno::EEXIST));
        }
        let Some(mut fake) = self.detach_link(ns, index) else {
            return Err(Cause::Errno(Errno::ENODEV));
        };
        self.emit(ns, EventKind::LinkRemoved(fake.link.clone()));
        let target = self.model_mut(to)?;
        let new_index = target.allocate(Some(index));
        fake.link.index = new_index;
        fake.link.name = new_name;
        fake.link.up = false;
        fake.link.carrier = false;
        fake.link.master = None;
        let peer = fake.peer.clone();
        target.links.insert(new_index, fake);
        if let Some((peer_ns, peer)) = peer {
            if let Some(p) = self
                .namespaces
                .get_mut(&peer_ns)
                .and_then(|m| m.links.get_mut(&peer))
            {
                p.peer = Some((to.clone(), new_index));
                p.link.parent = Some(new_index);
            }
            self.peer_carrier_changed(&peer_ns, peer);
        }
        let moved = self.existing(to, new_index)?.link.clone();
        self.emit(to, EventKind::LinkAdded(moved));
        Ok(())
    }

    // ===== addresses =====

    pub(super) fn addresses(&self, ns: &Namespace, index: Option<u32>) -> Outcome<Vec<Address>> {
        Ok(self
            .model(ns)?
            .addresses
            .iter()
            .filter(|a| index.is_none_or(|i| a.index == i))
            .copied()
            .collect())
    }

    pub(super) fn add_address(&mut self, ns: &Namespace, index: u32, addr: IpNet) -> Outcome<()> {
        self.existing(ns, index)?;
        let model = self.model_mut(ns)?;
        if model
            .addresses
            .iter()
            .any(|a| a.index == index && a.addr == addr)
        {
            return Ok(());
        }
        let address = Address::new(index, addr);
        model.addresses.push(address);
        self.emit(ns, EventKind::AddressAdded(address));
        Ok(())
    }

    pub(super) fn delete_address(
        &mut self,
        ns: &Namespace,
        index: u32,
        addr: IpNet,
    ) -> Outcome<()> {
        self.existing(ns, index)?;
        let model = self.model_mut(ns)?;
        let position = model
            .addresses
            .iter()
            .position(|a| a.index == index && a.addr == addr)
            .ok_or(Cause::Errno(Errno::EADDRNOTAVAIL))?;
        let address = model.addresses.remove(position);
        self.emit(ns, EventKind::AddressRemoved(address));
        Ok(())
    }

    // ===== routes =====

    pub(super) fn routes(&self, ns: &Namespace, filter: &RouteFilter) -> Outcome<Vec<Route>> {
        Ok(self
            .model(ns)?
            .routes
            .iter()
            .filter(|r| filter.matches(r))
            .copied()
            .collect())
    }

    /// What the kernel checks of a new route: a next hop for unicast (`ENODEV`), its link
    /// existing (`ENODEV`) and up (`ENETDOWN`), its gateway inside a network of the link's
    /// (or any up link's) addresses (`ENETUNREACH`, `EHOSTUNREACH` for IPv6).
    fn check_route(&self, ns: &Namespace, route: &Route) -> Outcome<()> {
        let model = self.model(ns)?;
        if route
            .gateway
            .is_some_and(|gw| Family::of(gw) != Family::of(route.dst.addr()))
        {
            return Err(Cause::Errno(Errno::EINVAL));
        }
        if route.kind != RouteKind::Unicast {
            return Ok(());
        }
        if route.oif.is_none() && route.gateway.is_none() {
            return Err(Cause::Errno(Errno::ENODEV));
        }
        if let Some(oif) = route.oif {
            let link = model.links.get(&oif).ok_or(Cause::Errno(Errno::ENODEV))?;
            if !link.link.up {
                return Err(Cause::Errno(Errno::ENETDOWN));
            }
        }
        if let Some(gw) = route.gateway {
            let reachable = model.addresses.iter().any(|a| {
                route.oif.is_none_or(|oif| a.index == oif)
                    && model.links.get(&a.index).is_some_and(|l| l.link.up)
                    && a.addr.contains(&gw)
            });
            if !reachable {
                return Err(Cause::Errno(match gw {
                    IpAddr::V4(_) => Errno::ENETUNREACH,
                    IpAddr::V6(_) => Errno::EHOSTUNREACH,
                }));
            }
        }
        Ok(())
    }

    pub(super) fn add_route(
        &mut self,
        ns: &Namespace,
        route: &Route,
        replace: bool,
    ) -> Outcome<()> {
        self.check_route(ns, route)?;
        let route = &kernel_metric(*route);
        let model = self.model_mut(ns)?;
        let existing = model.routes.iter().position(|r| r.same_slot(route));
        let replaced = match existing {
            Some(_) if !replace => return Err(Cause::Errno(Errno::EEXIST)),
            Some(position) => Some(model.routes.remove(position)),
            None => None,
        };
        model.routes.push(*route);
        if let Some(old) = replaced.filter(|old| old != route) {
            self.emit(ns, EventKind::RouteRemoved(old));
        }
        self.emit(ns, EventKind::RouteAdded(*route));
        Ok(())
    }

    pub(super) fn delete_route(&mut self, ns: &Namespace, route: &Route) -> Outcome<()> {
        let route = &kernel_metric(*route);
        let model = self.model_mut(ns)?;
        let position = model
            .routes
            .iter()
            .position(|r| {
                r.same_slot(route)
                    && route.gateway.is_none_or(|gw| r.gateway == Some(gw))
                    && route.oif.is_none_or(|oif| r.oif == Some(oif))
                    && (route.protocol == crate::RouteProtocol::UNSPEC
                        || r.protocol == route.protocol)
            })
            .ok_or(Cause::Errno(Errno::ESRCH))?;
        let removed = model.routes.remove(position);
        self.emit(ns, EventKind::RouteRemoved(removed));
        Ok(())
    }

    // ===== neighbours =====

    pub(super) fn neighbours(&self, ns: &Namespace, index: Option<u32>) -> Outcome<Vec<Neighbour>> {
        Ok(self
            .model(ns)?
            .neighbours
            .iter()
            .filter(|n| index.is_none_or(|i| n.index == i))
            .copied()
            .collect())
    }

    pub(super) fn set_neighbour(&mut self, ns: &Namespace, neighbour: &Neighbour) -> Outcome<()> {
        self.existing(ns, neighbour.index)?;
        let model = self.model_mut(ns)?;
        model
            .neighbours
            .retain(|n| !(n.index == neighbour.index && n.ip == neighbour.ip));
        model.neighbours.push(*neighbour);
        self.emit(ns, EventKind::NeighbourUpdated(*neighbour));
        Ok(())
    }

    pub(super) fn delete_neighbour(
        &mut self,
        ns: &Namespace,
        index: u32,
        ip: IpAddr,
    ) -> Outcome<()> {
        self.existing(ns, index)?;
        let model = self.model_mut(ns)?;
        let position = model
            .neighbours
            .iter()
            .position(|n| n.index == index && n.ip == ip)
            .ok_or(Cause::Errno(Errno::ENOENT))?;
        let removed = model.neighbours.remove(position);
        self.emit(ns, EventKind::NeighbourRemoved(removed));
        Ok(())
    }

    // ===== sysctls =====

    pub(super) fn sysctl(&self, ns: &Namespace, key: &str) -> Outcome<String> {
        self.model(ns)?
            .sysctls
            .get(key)
            .cloned()
            .ok_or(Cause::Errno(Errno::ENOENT))
    }

    pub(super) fn set_sysctl(&mut self, ns: &Namespace, key: &str, value: &str) -> Outcome<()> {
        self.model_mut(ns)?
            .sysctls
            .insert(key.to_string(), value.to_string());
        Ok(())
    }
}

/// The metric the kernel gives a route: IPv6 routes without one get 1024.
fn kernel_metric(mut route: Route) -> Route {
    if route.metric == 0 && matches!(route.dst, IpNet::V6(_)) {
        route.metric = 1024;
    }
    route
}

impl NsModel {
    fn find(&self, name: &str) -> Option<&FakeLink> {
        self.links.values().find(|f| f.link.name == name)
    }

    /// An index for a new link: `wanted` if free, else the next unused.
    fn allocate(&mut self, wanted: Option<u32>) -> u32 {
        if let Some(index) = wanted.filter(|i| !self.links.contains_key(i)) {
            return index;
        }
        while self.links.contains_key(&self.next_index) {
            self.next_index += 1;
        }
        let index = self.next_index;
        self.next_index += 1;
        index
    }
}
