//! [`KernelNetlink`]: the [`Netlink`] of the running kernel.

mod address;
mod link;
mod neighbour;
mod route;
mod socket;
mod sockets;
mod trim;

use std::collections::HashSet;
use std::fmt::Display;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use nix::errno::Errno;

pub(crate) use self::address::parse as parse_address;
pub(crate) use self::link::parse as parse_link;
pub(crate) use self::neighbour::parse as parse_neighbour;
pub(crate) use self::route::parse as parse_route;
use self::socket::Socket;
pub(crate) use self::socket::{Messages, io_cause, open_raw};
pub(crate) use self::sockets::Sockets;
use crate::watch::Watcher;
use crate::{
    Address, Cause, Error, EventReceiver, Link, LinkChange, LinkRef, Namespace, Neighbour, Netlink,
    NewLink, NewLinkKind, Op, Result, Route, RouteFilter, netns,
};

/// The [`Netlink`] of the running kernel: blocking rtnetlink requests on one socket per
/// namespace (see the crate docs), with a time limit on every answer.
///
/// Needs `CAP_NET_ADMIN` to change anything, and `CAP_SYS_ADMIN` to enter other namespaces
/// and to create named ones.
#[derive(Debug)]
pub struct KernelNetlink {
    sockets: Arc<Sockets>,
    watcher: Watcher,
}

impl KernelNetlink {
    /// How long a request waits for the kernel's answer by default.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

    /// A client whose default namespace is the calling thread's, with
    /// [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT).
    pub fn new() -> Result<Self> {
        Self::with_timeout(Self::DEFAULT_TIMEOUT)
    }

    /// A client whose requests wait at most `timeout` for an answer.
    pub fn with_timeout(timeout: Duration) -> Result<Self> {
        let sockets = Sockets::new(timeout)
            .map_err(|cause| Error::new(Op::OpenSocket, "", &Namespace::Default, cause))?;
        Ok(Self {
            sockets: Arc::new(sockets),
            watcher: Watcher::default(),
        })
    }

    /// Runs `request` on the socket of `ns`, naming `op` and `object` in its error.
    fn call<T>(
        &self,
        op: Op,
        object: impl Display,
        ns: &Namespace,
        request: impl FnOnce(&Socket) -> Result<T, Cause>,
    ) -> Result<T> {
        self.sockets
            .socket(ns)
            .and_then(|socket| request(&socket))
            .map_err(|cause| Error::new(op, object.to_string(), ns, cause))
    }

    /// Enables IPv6 on the link `index` of `ns` (`disable_ipv6` = 0).
    fn enable_ipv6(&self, socket: &Socket, ns: &Namespace, index: u32) -> Result<(), Cause> {
        let link = link::get(socket, &LinkRef::Index(index))?.ok_or(Cause::Errno(Errno::ENODEV))?;
        let key = format!("net/ipv6/conf/{}/disable_ipv6", link.name);
        tracing::debug!(namespace = %ns, link = link.name, "enabling IPv6");
        write_sysctl(&self.sockets, ns, &key, "0")
    }
}

/// Reads the link `name` just created and applies the `change` left to do on it.
fn finish_new_link(socket: &Socket, name: &str, change: &LinkChange) -> Result<Link, Cause> {
    let gone = || {
        Cause::Protocol(format!(
            "link {name} was created but is gone when read back"
        ))
    };
    let mut created = link::get(socket, &LinkRef::Name(name.to_string()))?.ok_or_else(gone)?;
    if !change.is_empty() {
        // Not read back: the change is what the kernel acknowledged.
        link::set(socket, created.index, change)?;
        change.apply_to(&mut created);
    }
    Ok(created)
}

/// The indexes of the links of `ns` now.
pub(crate) fn link_indexes(sockets: &Sockets, ns: &Namespace) -> Result<HashSet<u32>, Cause> {
    let socket = sockets.socket(ns)?;
    Ok(link::dump(&socket)?.into_iter().map(|l| l.index).collect())
}

/// The file of the sysctl `key`, if it is a plain relative path under `/proc/sys`.
fn sysctl_path(key: &str) -> Result<PathBuf, Cause> {
    let valid = !key.is_empty()
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if !valid {
        return Err(Cause::Invalid(format!(
            "{key:?} is not a sysctl under /proc/sys"
        )));
    }
    Ok(PathBuf::from("/proc/sys").join(key))
}

fn write_sysctl(sockets: &Sockets, ns: &Namespace, key: &str, value: &str) -> Result<(), Cause> {
    let path = sysctl_path(key)?;
    sockets
        .run_in(ns, || std::fs::write(&path, value))?
        .map_err(io_cause)
}

impl Netlink for KernelNetlink {
    fn links(&self, ns: &Namespace) -> Result<Vec<Link>> {
        self.call(Op::ListLinks, "", ns, link::dump)
    }

    fn link(&self, ns: &Namespace, which: &LinkRef) -> Result<Option<Link>> {
        self.call(Op::GetLink, which, ns, |socket| link::get(socket, which))
    }

    fn add_link(&self, ns: &Namespace, new: &NewLink) -> Result<Link> {
        let added = self.call(Op::AddLink, &new.name, ns, |socket| {
            let peer = match &new.kind {
                NewLinkKind::Veth(peer) => Some(peer),
                _ => None,
            };
            let peer_ns = peer.and_then(|p| p.namespace.as_ref()).filter(|p| *p != ns);
            match peer_ns {
                Some(peer_ns) => self
                    .sockets
                    .with_file(peer_ns, |file| link::add(socket, new, Some(file)))?,
                None => link::add(socket, new, None)?,
            }
            if let Some(peer) = peer {
                let change = link::follow_up(peer.alias.as_deref(), peer.up, true);
                let peer_socket = match peer_ns {
                    Some(peer_ns) => self.sockets.socket(peer_ns)?,
                    None => self.sockets.socket(ns)?,
                };
                finish_new_link(&peer_socket, &peer.name, &change)?;
            }
            let change = link::follow_up(new.alias.as_deref(), new.up, peer.is_some());
            finish_new_link(socket, &new.name, &change)
        });
        added.map_err(|err| {
            let peer_ns = match &new.kind {
                NewLinkKind::Veth(peer) => peer.namespace.as_ref(),
                _ => None,
            };
            err.gone_elsewhere(peer_ns, |ns| self.namespace_exists(ns))
        })
    }

    fn set_link(&self, ns: &Namespace, index: u32, change: &LinkChange) -> Result<()> {
        self.call(Op::SetLink, format_args!("#{index}"), ns, |socket| {
            link::set(socket, index, change)
        })
    }

    fn move_link(
        &self,
        ns: &Namespace,
        index: u32,
        to: &Namespace,
        name: Option<&str>,
    ) -> Result<()> {
        self.call(
            Op::MoveLink,
            format_args!("#{index} to {to}"),
            ns,
            |socket| {
                self.sockets
                    .with_file(to, |file| link::move_to(socket, index, file, name))
            },
        )
        .map_err(|err| err.gone_elsewhere(Some(to), |ns| self.namespace_exists(ns)))
    }

    fn delete_link(&self, ns: &Namespace, index: u32) -> Result<()> {
        self.call(Op::DeleteLink, format_args!("#{index}"), ns, |socket| {
            link::delete(socket, index)
        })
    }

    fn addresses(&self, ns: &Namespace, index: Option<u32>) -> Result<Vec<Address>> {
        self.call(Op::ListAddresses, "", ns, |socket| {
            address::dump(socket, index)
        })
    }

    fn add_address(&self, ns: &Namespace, index: u32, addr: IpNet) -> Result<()> {
        let object = format_args!("{addr} on #{index}");
        self.call(Op::AddAddress, object, ns, |socket| {
            let added = match address::add(socket, index, addr) {
                Err(Cause::Errno(Errno::EACCES)) if matches!(addr, IpNet::V6(_)) => {
                    self.enable_ipv6(socket, ns, index)?;
                    address::add(socket, index, addr)
                }
                other => other,
            };
            match added {
                Err(Cause::Errno(Errno::EEXIST)) => Ok(()),
                other => other,
            }
        })
    }

    fn delete_address(&self, ns: &Namespace, index: u32, addr: IpNet) -> Result<()> {
        let object = format_args!("{addr} on #{index}");
        self.call(Op::DeleteAddress, object, ns, |socket| {
            address::delete(socket, index, addr)
        })
    }

    fn routes(&self, ns: &Namespace, filter: &RouteFilter) -> Result<Vec<Route>> {
        self.call(Op::ListRoutes, "", ns, |socket| route::dump(socket, filter))
    }

    fn add_route(&self, ns: &Namespace, which: &Route) -> Result<()> {
        self.call(Op::AddRoute, which.dst, ns, |socket| {
            route::add(socket, which, false)
        })
    }

    fn replace_route(&self, ns: &Namespace, which: &Route) -> Result<()> {
        self.call(Op::ReplaceRoute, which.dst, ns, |socket| {
            route::add(socket, which, true)
        })
    }

    fn delete_route(&self, ns: &Namespace, which: &Route) -> Result<()> {
        self.call(Op::DeleteRoute, which.dst, ns, |socket| {
            route::delete(socket, which)
        })
    }

    fn neighbours(&self, ns: &Namespace, index: Option<u32>) -> Result<Vec<Neighbour>> {
        self.call(Op::ListNeighbours, "", ns, |socket| {
            neighbour::dump(socket, index)
        })
    }

    fn set_neighbour(&self, ns: &Namespace, which: &Neighbour) -> Result<()> {
        let object = format_args!("{} on #{}", which.ip, which.index);
        self.call(Op::SetNeighbour, object, ns, |socket| {
            neighbour::set(socket, which)
        })
    }

    fn delete_neighbour(&self, ns: &Namespace, index: u32, ip: IpAddr) -> Result<()> {
        let object = format_args!("{ip} on #{index}");
        self.call(Op::DeleteNeighbour, object, ns, |socket| {
            neighbour::delete(socket, index, ip)
        })
    }

    fn create_namespace(&self, name: &str) -> Result<()> {
        let ns = Namespace::named(name);
        netns::create_named(name).map_err(|cause| Error::new(Op::CreateNamespace, name, &ns, cause))
    }

    fn delete_namespace(&self, name: &str) -> Result<()> {
        let ns = Namespace::named(name);
        self.sockets.forget(&ns);
        self.watcher.unwatch(&ns);
        netns::delete_named(name).map_err(|cause| Error::new(Op::DeleteNamespace, name, &ns, cause))
    }

    fn namespaces(&self) -> Result<Vec<String>> {
        netns::list_named()
            .map_err(|cause| Error::new(Op::ListNamespaces, "", &Namespace::Default, cause))
    }

    fn namespace_exists(&self, ns: &Namespace) -> bool {
        match ns.path() {
            None => true,
            Some(path) => netns::NsFile::open(&path).is_ok(),
        }
    }

    fn sysctl(&self, ns: &Namespace, key: &str) -> Result<String> {
        let read = || {
            let path = sysctl_path(key)?;
            let value = self
                .sockets
                .run_in(ns, || std::fs::read_to_string(&path))?
                .map_err(io_cause)?;
            Ok(value.trim_end_matches('\n').to_string())
        };
        read().map_err(|cause| Error::new(Op::GetSysctl, key, ns, cause))
    }

    fn set_sysctl(&self, ns: &Namespace, key: &str, value: &str) -> Result<()> {
        write_sysctl(&self.sockets, ns, key, value)
            .map_err(|cause| Error::new(Op::SetSysctl, key, ns, cause))
    }

    fn watch(&self, ns: &Namespace) -> Result<()> {
        self.watcher
            .watch(&self.sockets, ns)
            .map_err(|cause| Error::new(Op::Watch, "", ns, cause))
    }

    fn unwatch(&self, ns: &Namespace) {
        self.watcher.unwatch(ns);
    }

    fn subscribe(&self) -> EventReceiver {
        self.watcher.subscribe()
    }
}
