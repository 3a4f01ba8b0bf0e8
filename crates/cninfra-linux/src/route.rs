//! `linux-route`: vpp-agent's Linux routes (model `linux.l3.route`,
//! `config/linux/l3/v2/route/<dst>/<iface>`) in the main table of the outgoing
//! interface's namespace, marked with the agent's routing protocol number.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use cninfra_kvscheduler::models::Model;
use cninfra_kvscheduler::{
    Correlated, Dependency, DerivedValue, DescriptorError, InvalidValueError, Origin,
    RetrieveResult, Retrieved, TypedDescriptor, Value,
};
use cninfra_ligato::linux::l3::{Route, route::Scope as RouteScope};
use cninfra_netlink::{self as netlink, Namespace, RouteFilter, Scope};
use ipnet::IpNet;

use crate::keys;
use crate::models::{self, linux};
use crate::shared::{InterfaceMeta, Shared, failed, gone_is_ok};
use crate::{INTERFACE_DESCRIPTOR, ROUTE_DESCRIPTOR};

/// The kernel's metric of an IPv6 route given without one.
const IPV6_DEFAULT_METRIC: u32 = 1024;

/// Routes: depend on the outgoing interface being UP and having an address, and on the
/// gateway being inside one of its networks (an address or a LINK-scope route of the
/// interface); a LINK-scope route derives `linux/link-local-route/<iface>/dest-address/<dst>`.
///
/// Retrieve reports the routes carrying the agent's protocol number (owned: resync removes
/// those NB no longer names) and the routes NB names whatever their protocol (adopted);
/// every other route, the kernel's connected routes included, is invisible and never
/// touched. Only the main table is used (no VRFs).
#[derive(Debug)]
pub struct RouteDescriptor {
    shared: Shared,
    model: Arc<Model>,
}

impl RouteDescriptor {
    pub(crate) fn new(shared: Shared) -> Self {
        Self {
            shared,
            model: Arc::clone(&linux().route),
        }
    }

    /// The kernel route of a (valid) value on the interface `meta`.
    fn kernel_route(
        &self,
        route: &Route,
        meta: &InterfaceMeta,
    ) -> Result<netlink::Route, DescriptorError> {
        let parsed = Parsed::of(route)?;
        let mut kernel = netlink::Route::new(parsed.dst)
            .dev(meta.index)
            .metric(route.metric)
            .protocol(self.shared.ownership.route_protocol());
        if let Some(gw) = parsed.gw {
            kernel = kernel.via(gw);
        }
        if parsed.dst.addr().is_ipv4() {
            kernel = kernel.scope(match route.scope() {
                RouteScope::Undefined | RouteScope::Global => {
                    if parsed.gw.is_none() && route.scope() == RouteScope::Undefined {
                        Scope::Link
                    } else {
                        Scope::Universe
                    }
                }
                RouteScope::Site => Scope::Site,
                RouteScope::Link => Scope::Link,
                RouteScope::Host => Scope::Host,
            });
        }
        Ok(kernel)
    }

    fn install(&self, route: &Route) -> Result<(), DescriptorError> {
        let meta = self.shared.interface(&route.outgoing_interface)?;
        let kernel = self.kernel_route(route, &meta)?;
        self.shared
            .netlink
            .replace_route(&meta.namespace, &kernel)
            .map_err(|err| failed(&err))?;
        if self.shared.verify_routes {
            let found = self
                .shared
                .netlink
                .routes(&meta.namespace, &RouteFilter::main().oif(meta.index))
                .map_err(|err| failed(&err))?;
            let names = HashMap::from([(meta.index, route.outgoing_interface.as_str())]);
            if !found
                .iter()
                .filter_map(|k| value_of(k, &names))
                .any(|v| equivalent(&v, route))
            {
                return Err(DescriptorError::failed(format!(
                    "verification: route to {} via `{}` is not in the kernel after it was added",
                    route.dst_network, route.outgoing_interface
                )));
            }
        }
        Ok(())
    }
}

/// The parsed fields of a route value.
struct Parsed {
    dst: IpNet,
    gw: Option<IpAddr>,
}

impl Parsed {
    fn of(route: &Route) -> Result<Self, DescriptorError> {
        let dst = route
            .dst_network
            .parse::<IpNet>()
            .map_err(|_| {
                InvalidValueError::new(
                    format!(
                        "`{}` is not a network with prefix length",
                        route.dst_network
                    ),
                    ["dst_network"],
                )
            })?
            .trunc();
        let gw = if route.gw_addr.is_empty() {
            None
        } else {
            let gw = route.gw_addr.parse::<IpAddr>().map_err(|_| {
                InvalidValueError::new(
                    format!("`{}` is not an IP address", route.gw_addr),
                    ["gw_addr"],
                )
            })?;
            (!gw.is_unspecified()).then_some(gw)
        };
        Ok(Self { dst, gw })
    }

    fn metric(&self, metric: u32) -> u32 {
        if self.dst.addr().is_ipv6() && metric == 0 {
            IPV6_DEFAULT_METRIC
        } else {
            metric
        }
    }

    fn scope(&self, scope: RouteScope) -> RouteScope {
        match scope {
            _ if self.dst.addr().is_ipv6() => RouteScope::Undefined,
            RouteScope::Undefined if self.gw.is_none() => RouteScope::Link,
            RouteScope::Undefined => RouteScope::Global,
            scope => scope,
        }
    }
}

/// A kernel route as a value, if its outgoing interface is one of `names`.
fn value_of(kernel: &netlink::Route, names: &HashMap<u32, &str>) -> Option<Route> {
    let name = names.get(&kernel.oif?)?;
    let scope = match kernel.scope {
        Scope::Universe => RouteScope::Global,
        Scope::Site => RouteScope::Site,
        Scope::Link => RouteScope::Link,
        Scope::Host => RouteScope::Host,
        Scope::Nowhere | Scope::Other(_) => return None,
    };
    Some(Route {
        outgoing_interface: (*name).to_owned(),
        scope: scope.into(),
        dst_network: kernel.dst.to_string(),
        gw_addr: kernel.gateway.map(|gw| gw.to_string()).unwrap_or_default(),
        metric: kernel.metric,
    })
}

/// Same destination, gateway, metric and scope once defaults are applied (IPv6: metric 0
/// is 1024, scopes do not apply; IPv4 without scope: LINK without gateway, else GLOBAL).
fn equivalent(old: &Route, new: &Route) -> bool {
    match (Parsed::of(old), Parsed::of(new)) {
        (Ok(a), Ok(b)) => {
            old.outgoing_interface == new.outgoing_interface
                && a.dst == b.dst
                && a.gw == b.gw
                && a.metric(old.metric) == b.metric(new.metric)
                && a.scope(old.scope()) == b.scope(new.scope())
        }
        _ => old == new,
    }
}

/// Whether the network of an address key or a link-local route key contains `gw`.
fn reaches(key: &str, gw: IpAddr) -> bool {
    keys::address_of_key(key)
        .or_else(|| keys::link_local_route_dst(key))
        .and_then(|net| net.parse::<IpNet>().ok())
        .is_some_and(|net| net.contains(&gw))
}

impl TypedDescriptor for RouteDescriptor {
    type Value = Route;
    type Metadata = ();
    const SUPPORTS_UPDATE: bool = true;
    const SUPPORTS_RETRIEVE: bool = true;

    fn name(&self) -> &str {
        ROUTE_DESCRIPTOR
    }

    fn key_prefix(&self) -> &str {
        self.model.key_prefix()
    }

    fn model(&self) -> Option<&Model> {
        Some(&self.model)
    }

    fn equivalent(&self, _key: &str, old: &Route, new: &Route) -> bool {
        equivalent(old, new)
    }

    fn validate(&self, key: &str, route: &Route) -> Result<(), DescriptorError> {
        if route.outgoing_interface.is_empty() {
            return Err(InvalidValueError::new(
                "the outgoing interface is mandatory",
                ["outgoing_interface"],
            )
            .into());
        }
        let parsed = Parsed::of(route)?;
        if RouteScope::try_from(route.scope).is_err() {
            return Err(InvalidValueError::new(
                format!("unknown scope {}", route.scope),
                ["scope"],
            )
            .into());
        }
        if let Some(gw) = parsed.gw {
            if gw.is_ipv4() != parsed.dst.addr().is_ipv4() {
                return Err(InvalidValueError::new(
                    "gateway and destination are of different IP versions",
                    ["gw_addr"],
                )
                .into());
            }
            if route.scope() == RouteScope::Link {
                return Err(InvalidValueError::new(
                    "a LINK-scope route cannot have a gateway",
                    ["scope", "gw_addr"],
                )
                .into());
            }
        }
        if key != models::route_key(&route.dst_network, &route.outgoing_interface) {
            return Err(InvalidValueError::new(
                format!("the route does not match key `{key}`"),
                ["dst_network", "outgoing_interface"],
            )
            .into());
        }
        Ok(())
    }

    fn create(&self, _key: &str, route: &Route) -> Result<(), DescriptorError> {
        self.install(route)
    }

    fn update(
        &self,
        _key: &str,
        _old: &Route,
        new: &Route,
        _meta: Option<&()>,
    ) -> Result<(), DescriptorError> {
        self.install(new)
    }

    fn update_with_recreate(
        &self,
        _key: &str,
        old: &Route,
        new: &Route,
        _meta: Option<&()>,
    ) -> bool {
        // The metric is part of the kernel's key of a route.
        match (Parsed::of(old), Parsed::of(new)) {
            (Ok(a), Ok(b)) => a.metric(old.metric) != b.metric(new.metric),
            _ => true,
        }
    }

    fn delete(&self, _key: &str, route: &Route, _meta: Option<&()>) -> Result<(), DescriptorError> {
        let Some(meta) = self.shared.interfaces.get(&route.outgoing_interface) else {
            return Ok(());
        };
        let kernel = self.kernel_route(route, &meta)?;
        gone_is_ok(self.shared.netlink.delete_route(&meta.namespace, &kernel))
    }

    fn retrieve(&self, correlate: &[Correlated<'_, Route, ()>]) -> RetrieveResult<Route, ()> {
        let wanted: HashMap<String, &Route> = correlate
            .iter()
            .map(|c| (c.key.to_owned(), c.value))
            .collect();
        let interfaces = self.shared.interfaces.list_all();
        let namespaces: BTreeSet<&Namespace> =
            interfaces.iter().map(|(_, m)| &m.namespace).collect();
        let mut found: HashMap<String, Retrieved<Route, ()>> = HashMap::new();
        for ns in namespaces {
            let names: HashMap<u32, &str> = interfaces
                .iter()
                .filter(|(_, m)| m.namespace == *ns)
                .map(|(name, m)| (m.index, &**name))
                .collect();
            let routes = match self.shared.netlink.routes(ns, &RouteFilter::main()) {
                Ok(routes) => routes,
                Err(err) if err.is_namespace_gone() => continue,
                Err(err) => return Err(failed(&err)),
            };
            for kernel in &routes {
                if let std::net::IpAddr::V6(dst) = kernel.dst.addr()
                    && dst.is_unicast_link_local()
                {
                    continue;
                }
                let Some(value) = value_of(kernel, &names) else {
                    continue;
                };
                let key = models::route_key(&value.dst_network, &value.outgoing_interface);
                let owned = kernel.protocol == self.shared.ownership.route_protocol();
                let named = wanted.get(&key).is_some_and(|w| equivalent(&value, w));
                if !owned && !named {
                    continue;
                }
                let origin = if owned {
                    Origin::FromNb
                } else {
                    Origin::Unknown
                };
                // Of two routes for one key, the one NB asks for.
                if found.get(&key).is_some_and(|_| !named) {
                    continue;
                }
                let mut retrieved = Retrieved::new(key.clone(), value);
                retrieved.origin = origin;
                found.insert(key, retrieved);
            }
        }
        Ok(found.into_values().collect())
    }

    fn retrieve_dependencies(&self) -> Vec<String> {
        vec![INTERFACE_DESCRIPTOR.to_owned()]
    }

    fn dependencies(&self, _key: &str, route: &Route) -> Vec<Dependency> {
        let iface = &route.outgoing_interface;
        let mut dependencies = vec![
            Dependency::on_key(
                "outgoing-interface-is-up",
                keys::interface_state_key(iface, true),
            ),
            Dependency::any_of(
                "outgoing-interface-has-ip-address",
                [keys::address_prefix(iface)],
            ),
        ];
        if let Ok(Parsed { gw: Some(gw), .. }) = Parsed::of(route) {
            dependencies.push(
                Dependency::any_of(
                    "gw-reachable",
                    [
                        keys::address_prefix(iface),
                        keys::link_local_route_prefix(iface),
                    ],
                )
                .with_selector(move |key| reaches(key, gw)),
            );
        }
        dependencies
    }

    fn derived_values(&self, _key: &str, route: &Route) -> Vec<DerivedValue> {
        match Parsed::of(route) {
            Ok(parsed) if route.scope() == RouteScope::Link => vec![DerivedValue::new(
                keys::link_local_route_key(&route.outgoing_interface, &parsed.dst.to_string()),
                Value::new(()),
            )],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn route(dst: &str, gw: &str, scope: RouteScope, metric: u32) -> Route {
        Route {
            outgoing_interface: "veth1".into(),
            dst_network: dst.into(),
            gw_addr: gw.into(),
            scope: scope.into(),
            metric,
        }
    }

    #[test]
    fn defaults_are_equivalent() {
        let asked = route("10.2.0.1/24", "10.1.0.2", RouteScope::Undefined, 0);
        let kernel = route("10.2.0.0/24", "10.1.0.2", RouteScope::Global, 0);
        assert!(equivalent(&kernel, &asked));
        let direct = route("10.3.0.0/24", "", RouteScope::Undefined, 0);
        assert!(equivalent(
            &route("10.3.0.0/24", "", RouteScope::Link, 0),
            &direct
        ));
        let v6 = route("2001:db8::/64", "", RouteScope::Global, 0);
        assert!(equivalent(
            &route("2001:db8::/64", "", RouteScope::Undefined, 1024),
            &v6
        ));
        assert!(!equivalent(
            &route("10.2.0.0/24", "10.1.0.3", RouteScope::Global, 0),
            &asked
        ));
        assert!(!equivalent(
            &route("10.2.0.0/24", "10.1.0.2", RouteScope::Global, 5),
            &asked
        ));
    }

    #[test]
    fn a_gateway_is_reached_through_a_network_of_the_interface() {
        let gw: IpAddr = "10.1.0.2".parse().unwrap();
        assert!(reaches(
            "linux/interface/veth1/address/static/10.1.0.1/24",
            gw
        ));
        assert!(!reaches(
            "linux/interface/veth1/address/static/10.9.0.1/24",
            gw
        ));
        assert!(reaches(
            "linux/link-local-route/veth1/dest-address/10.1.0.0/30",
            gw
        ));
        assert!(!reaches("linux/interface/state/veth1/UP", gw));
    }
}
