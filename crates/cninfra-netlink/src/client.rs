//! [`Netlink`]: the operations the Linux plugins use, each in the namespace it acts in.

use std::fmt::Debug;
use std::net::IpAddr;

use ipnet::IpNet;

use crate::{
    Address, EventReceiver, Link, LinkChange, LinkRef, Namespace, Neighbour, NewLink, Result,
    Route, RouteFilter,
};

/// A synchronous rtnetlink client: links, addresses, routes, neighbours and named network
/// namespaces, each call acting in the namespace it is given.
///
/// Implemented by [`KernelNetlink`](crate::KernelNetlink) (the running kernel) and
/// [`FakeNetlink`](crate::FakeNetlink) (an in-memory model recording the requests). Calls block the calling thread until the
/// kernel answers (or a time limit passes); none of them switches the caller's namespace.
///
/// Errors carry an [`ErrorKind`](crate::ErrorKind): `NotFound` ("already gone" for a
/// delete), `Exists` ("already there" for an add) and `NamespaceGone` (the namespace's
/// file or process is gone).
pub trait Netlink: Send + Sync + Debug {
    // ===== links =====

    /// Every link of `ns`.
    fn links(&self, ns: &Namespace) -> Result<Vec<Link>>;

    /// The link `link` of `ns`, `None` if there is none.
    fn link(&self, ns: &Namespace, link: &LinkRef) -> Result<Option<Link>>;

    /// Creates a link in `ns` and returns it as the kernel reports it (for a veth pair:
    /// the first end; the peer is created in its own namespace). `Exists` if the name is
    /// taken.
    fn add_link(&self, ns: &Namespace, link: &NewLink) -> Result<Link>;

    /// Changes the link `index` of `ns`.
    fn set_link(&self, ns: &Namespace, index: u32, change: &LinkChange) -> Result<()>;

    /// Moves the link `index` of `ns` to the namespace `to`, renaming it to `name` there if
    /// given. The kernel drops the link's addresses and takes it down on the way.
    fn move_link(
        &self,
        ns: &Namespace,
        index: u32,
        to: &Namespace,
        name: Option<&str>,
    ) -> Result<()>;

    /// Deletes the link `index` of `ns` (a veth's peer goes with it).
    fn delete_link(&self, ns: &Namespace, index: u32) -> Result<()>;

    // ===== addresses =====

    /// The addresses of `ns`, of the link `index` only if given.
    fn addresses(&self, ns: &Namespace, index: Option<u32>) -> Result<Vec<Address>>;

    /// Adds `addr` to the link `index` of `ns`; an address already there is success. For
    /// IPv6 it enables IPv6 on the link first if it is disabled.
    fn add_address(&self, ns: &Namespace, index: u32, addr: IpNet) -> Result<()>;

    /// Removes `addr` from the link `index` of `ns`.
    fn delete_address(&self, ns: &Namespace, index: u32, addr: IpNet) -> Result<()>;

    // ===== routes =====

    /// The routes of `ns` that pass `filter`.
    fn routes(&self, ns: &Namespace, filter: &RouteFilter) -> Result<Vec<Route>>;

    /// Adds `route` to `ns`; `Exists` if its slot (destination, table, metric) is taken.
    fn add_route(&self, ns: &Namespace, route: &Route) -> Result<()>;

    /// Adds `route` to `ns`, replacing the route in its slot.
    fn replace_route(&self, ns: &Namespace, route: &Route) -> Result<()>;

    /// Deletes `route` from `ns` (matched by destination, table, metric, and the gateway,
    /// link and protocol when given).
    fn delete_route(&self, ns: &Namespace, route: &Route) -> Result<()>;

    // ===== neighbours =====

    /// The neighbour entries of `ns`, of the link `index` only if given.
    fn neighbours(&self, ns: &Namespace, index: Option<u32>) -> Result<Vec<Neighbour>>;

    /// Adds or replaces the neighbour entry `neighbour` in `ns`.
    fn set_neighbour(&self, ns: &Namespace, neighbour: &Neighbour) -> Result<()>;

    /// Deletes the neighbour entry of `ip` on the link `index` of `ns`.
    fn delete_neighbour(&self, ns: &Namespace, index: u32, ip: IpAddr) -> Result<()>;

    // ===== namespaces =====

    /// Creates the named namespace `name` (`/run/netns/<name>`); `Exists` if it exists.
    fn create_namespace(&self, name: &str) -> Result<()>;

    /// Deletes the named namespace `name`; `NotFound` if there is none. The kernel
    /// destroys it (and its links) once nothing else holds it.
    fn delete_namespace(&self, name: &str) -> Result<()>;

    /// The names of the named namespaces.
    fn namespaces(&self) -> Result<Vec<String>>;

    /// Whether `ns` exists now (its file, or its process).
    fn namespace_exists(&self, ns: &Namespace) -> bool;

    /// Reads the sysctl `key` (a path under `/proc/sys`, such as
    /// `net/ipv4/ip_forward`) inside `ns`, without the trailing newline.
    fn sysctl(&self, ns: &Namespace, key: &str) -> Result<String>;

    /// Writes `value` to the sysctl `key` inside `ns`.
    fn set_sysctl(&self, ns: &Namespace, key: &str, value: &str) -> Result<()>;

    // ===== events =====

    /// Starts watching `ns`: its link, address, route and neighbour events go to every
    /// subscriber. Watching a watched namespace again does nothing.
    fn watch(&self, ns: &Namespace) -> Result<()>;

    /// Stops watching `ns`.
    fn unwatch(&self, ns: &Namespace);

    /// A new subscription to the events of the watched namespaces. Events are never held
    /// back for a slow subscriber (the channel is unbounded); a dropped receiver is
    /// forgotten.
    fn subscribe(&self) -> EventReceiver;
}
