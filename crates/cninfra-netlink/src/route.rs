//! Routes: [`Route`], what to list ([`RouteFilter`]), and the numbers they carry
//! ([`Scope`], [`RouteProtocol`], [`RouteKind`], tables).

use std::net::IpAddr;

use ipnet::IpNet;

/// The main routing table (`RT_TABLE_MAIN`).
pub const TABLE_MAIN: u32 = 254;
/// The local routing table (`RT_TABLE_LOCAL`): the kernel's local and broadcast routes.
pub const TABLE_LOCAL: u32 = 255;

/// The scope of a route or address (`RT_SCOPE_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Anywhere (`global`).
    #[default]
    Universe,
    /// Within the site (IPv6).
    Site,
    /// On the link.
    Link,
    /// On this host.
    Host,
    /// Nowhere (also: "any scope" when deleting a route).
    Nowhere,
    /// Any other number.
    Other(u8),
}

impl Scope {
    /// The kernel's number.
    pub fn number(self) -> u8 {
        match self {
            Scope::Universe => 0,
            Scope::Site => 200,
            Scope::Link => 253,
            Scope::Host => 254,
            Scope::Nowhere => 255,
            Scope::Other(n) => n,
        }
    }

    /// The scope of the kernel's number.
    pub fn from_number(n: u8) -> Self {
        match n {
            0 => Scope::Universe,
            200 => Scope::Site,
            253 => Scope::Link,
            254 => Scope::Host,
            255 => Scope::Nowhere,
            other => Scope::Other(other),
        }
    }
}

/// Who installed a route (`rtm_protocol`); the agent marks its own routes with one number
/// (by default [`RouteProtocol::CNINFRA`]) to tell them from the kernel's and others'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteProtocol(pub u8);

impl RouteProtocol {
    /// Not specified.
    pub const UNSPEC: Self = Self(0);
    /// Installed by the kernel (connected routes of addresses).
    pub const KERNEL: Self = Self(2);
    /// Installed during boot, and by `ip route add` without `proto`.
    pub const BOOT: Self = Self(3);
    /// Installed by an administrator.
    pub const STATIC: Self = Self(4);
    /// Installed by router advertisements (IPv6).
    pub const RA: Self = Self(9);
    /// cninfra's mark: a number of the range no routing daemon in iproute2's
    /// `rt_protos` claims (shown by `ip route` as `proto 201`).
    pub const CNINFRA: Self = Self(201);
}

impl Default for RouteProtocol {
    fn default() -> Self {
        Self::BOOT
    }
}

/// The type of a route (`RTN_*`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RouteKind {
    /// A gateway or direct route.
    #[default]
    Unicast,
    /// A local address of this host.
    Local,
    /// A broadcast address, sent as broadcast.
    Broadcast,
    /// A multicast route.
    Multicast,
    /// Drops packets silently.
    Blackhole,
    /// Drops packets, answering "unreachable".
    Unreachable,
    /// Drops packets, answering "prohibited".
    Prohibit,
    /// Any other number.
    Other(u8),
}

impl RouteKind {
    /// The kernel's number.
    pub fn number(self) -> u8 {
        match self {
            RouteKind::Unicast => 1,
            RouteKind::Local => 2,
            RouteKind::Broadcast => 3,
            RouteKind::Multicast => 5,
            RouteKind::Blackhole => 6,
            RouteKind::Unreachable => 7,
            RouteKind::Prohibit => 8,
            RouteKind::Other(n) => n,
        }
    }

    /// The type of the kernel's number.
    pub fn from_number(n: u8) -> Self {
        match n {
            1 => RouteKind::Unicast,
            2 => RouteKind::Local,
            3 => RouteKind::Broadcast,
            5 => RouteKind::Multicast,
            6 => RouteKind::Blackhole,
            7 => RouteKind::Unreachable,
            8 => RouteKind::Prohibit,
            other => RouteKind::Other(other),
        }
    }
}

/// A route.
///
/// For a direct route (no gateway) through a link, iproute2 uses [`Scope::Link`]; so
/// should callers that want `ip route` to show the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// The destination network (`0.0.0.0/0` or `::/0` for a default route).
    pub dst: IpNet,
    /// The next hop.
    pub gateway: Option<IpAddr>,
    /// The outgoing link's index.
    pub oif: Option<u32>,
    /// The scope.
    pub scope: Scope,
    /// The metric (`RTA_PRIORITY`), 0 for none (the kernel gives IPv6 routes without one
    /// 1024, and lists them so).
    pub metric: u32,
    /// The table ([`TABLE_MAIN`] by default).
    pub table: u32,
    /// Who installed it.
    pub protocol: RouteProtocol,
    /// The type.
    pub kind: RouteKind,
}

impl Route {
    /// A unicast route to `dst` in the main table, with no next hop yet.
    pub fn new(dst: IpNet) -> Self {
        Self {
            dst,
            gateway: None,
            oif: None,
            scope: Scope::Universe,
            metric: 0,
            table: TABLE_MAIN,
            protocol: RouteProtocol::default(),
            kind: RouteKind::Unicast,
        }
    }

    /// Through the gateway `gateway`.
    pub fn via(mut self, gateway: IpAddr) -> Self {
        self.gateway = Some(gateway);
        self
    }

    /// Out of the link `index`.
    pub fn dev(mut self, index: u32) -> Self {
        self.oif = Some(index);
        self
    }

    /// With scope `scope`.
    pub fn scope(mut self, scope: Scope) -> Self {
        self.scope = scope;
        self
    }

    /// With metric `metric`.
    pub fn metric(mut self, metric: u32) -> Self {
        self.metric = metric;
        self
    }

    /// In table `table`.
    pub fn table(mut self, table: u32) -> Self {
        self.table = table;
        self
    }

    /// Marked with `protocol`.
    pub fn protocol(mut self, protocol: RouteProtocol) -> Self {
        self.protocol = protocol;
        self
    }

    /// Of type `kind`.
    pub fn kind(mut self, kind: RouteKind) -> Self {
        self.kind = kind;
        self
    }

    /// The identity the kernel replaces and deletes by: destination, table and metric.
    pub fn same_slot(&self, other: &Route) -> bool {
        self.dst == other.dst && self.table == other.table && self.metric == other.metric
    }
}

/// An IP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of `addr`.
    pub fn of(addr: IpAddr) -> Self {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

/// Which routes to list; `None` matches any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RouteFilter {
    /// Only this IP version.
    pub family: Option<Family>,
    /// Only this table.
    pub table: Option<u32>,
    /// Only routes out of this link.
    pub oif: Option<u32>,
    /// Only routes installed by this protocol.
    pub protocol: Option<RouteProtocol>,
}

impl RouteFilter {
    /// Every route of every table.
    pub fn all() -> Self {
        Self::default()
    }

    /// The routes of the main table.
    pub fn main() -> Self {
        Self::all().table(TABLE_MAIN)
    }

    /// Only this IP version.
    pub fn family(mut self, family: Family) -> Self {
        self.family = Some(family);
        self
    }

    /// Only this table.
    pub fn table(mut self, table: u32) -> Self {
        self.table = Some(table);
        self
    }

    /// Only routes out of this link.
    pub fn oif(mut self, index: u32) -> Self {
        self.oif = Some(index);
        self
    }

    /// Only routes marked with this protocol.
    pub fn protocol(mut self, protocol: RouteProtocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Whether `route` passes the filter.
    pub fn matches(&self, route: &Route) -> bool {
        self.family
            .is_none_or(|f| f == Family::of(route.dst.addr()))
            && self.table.is_none_or(|t| t == route.table)
            && self.oif.is_none_or(|i| route.oif == Some(i))
            && self.protocol.is_none_or(|p| p == route.protocol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip() {
        for n in [0, 200, 253, 254, 255, 17] {
            assert_eq!(Scope::from_number(n).number(), n);
        }
        for n in [1, 2, 3, 5, 6, 7, 8, 9] {
            assert_eq!(RouteKind::from_number(n).number(), n);
        }
    }

    #[test]
    fn filters_match_every_given_field() {
        let route = Route::new("10.0.0.0/24".parse().unwrap())
            .dev(3)
            .protocol(RouteProtocol::CNINFRA);
        assert!(RouteFilter::main().matches(&route));
        assert!(
            RouteFilter::main()
                .oif(3)
                .family(Family::V4)
                .matches(&route)
        );
        assert!(!RouteFilter::main().oif(4).matches(&route));
        assert!(!RouteFilter::all().family(Family::V6).matches(&route));
        assert!(
            !RouteFilter::all()
                .protocol(RouteProtocol::BOOT)
                .matches(&route)
        );
        assert!(!RouteFilter::all().table(100).matches(&route));
    }
}
