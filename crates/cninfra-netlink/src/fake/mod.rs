//! [`FakeNetlink`]: an in-memory [`Netlink`] that records every call (youki's pattern), so
//! descriptor logic is tested without root.
//!
//! The model behaves as the kernel does where the Linux plugins can tell: names are unique
//! per namespace, a veth pair dies together, a deleted link takes its addresses, routes
//! and neighbours along, a link taken down loses its routes, IPv6 addresses and
//! neighbours, a moved link arrives down and without addresses, a route needs its link up
//! and its gateway inside one of the link's networks (`ENETDOWN`, `ENETUNREACH`,
//! `EHOSTUNREACH`), an IPv6 route without a metric gets 1024, errors carry the errno the
//! kernel answers (checked against a 6.18 kernel). It does not add the routes the kernel
//! adds itself (connected and local routes) nor IPv6 link-local addresses, and carrier is
//! simply "up" (for a veth: both ends up).

mod model;
mod request;

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;

use ipnet::IpNet;
use nix::errno::Errno;
use parking_lot::Mutex;

pub use request::Request;

use crate::event::Subscribers;
use crate::{
    Address, Cause, Error, EventReceiver, Link, LinkChange, LinkRef, Namespace, Neighbour, Netlink,
    NewLink, Op, Result, Route, RouteFilter,
};
use model::World;

/// An in-memory [`Netlink`] recording the calls made to it.
///
/// It starts with the default namespace holding `lo` (up). Other namespaces exist once
/// created ([`Netlink::create_namespace`]) or added ([`FakeNetlink::add_namespace`], for
/// PID and file namespaces); [`FakeNetlink::remove_namespace`] makes one vanish as when its
/// process dies. [`FakeNetlink::outside`] changes the model as someone else would (not
/// recorded, no injected failures), and [`FakeNetlink::fail_next`] makes a call fail.
#[derive(Debug)]
pub struct FakeNetlink {
    state: Mutex<State>,
    subscribers: Subscribers,
}

#[derive(Debug)]
struct State {
    world: World,
    requests: Vec<Request>,
    failures: HashMap<Op, VecDeque<Errno>>,
}

impl Default for FakeNetlink {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeNetlink {
    /// A model with only the default namespace.
    pub fn new() -> Self {
        Self {
            state: Mutex::new(State {
                world: World::new(),
                requests: Vec::new(),
                failures: HashMap::new(),
            }),
            subscribers: Subscribers::default(),
        }
    }

    /// Every call made so far, in order (reads included).
    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().requests.clone()
    }

    /// The calls made so far that change something (see [`Request::is_mutation`]).
    pub fn mutations(&self) -> Vec<Request> {
        self.state
            .lock()
            .requests
            .iter()
            .filter(|r| r.is_mutation())
            .cloned()
            .collect()
    }

    /// Forgets the recorded calls.
    pub fn clear_requests(&self) {
        self.state.lock().requests.clear();
    }

    /// Makes the next call of `op` fail with `errno`, before it changes anything (calls
    /// queue: two `fail_next` fail the next two calls).
    pub fn fail_next(&self, op: Op, errno: Errno) {
        self.state
            .lock()
            .failures
            .entry(op)
            .or_default()
            .push_back(errno);
    }

    /// The same model, changed as someone else would change it: calls through it are not
    /// recorded and never fail by [`fail_next`](Self::fail_next); watched namespaces still
    /// report events.
    pub fn outside(&self) -> Outside<'_> {
        Outside(self)
    }

    /// Makes the namespace `ns` exist (with `lo` down), as a process's or a file's
    /// namespace appearing; `false` if it existed.
    pub fn add_namespace(&self, ns: Namespace) -> bool {
        self.with_state(|state| state.world.add_namespace(ns))
    }

    /// Makes `ns` vanish with its links (veth peers elsewhere go too), as when its process
    /// dies; `false` if it did not exist.
    pub fn remove_namespace(&self, ns: &Namespace) -> bool {
        self.with_state(|state| state.world.remove_namespace(ns))
    }

    /// Runs `f` on the state, then sends the events it caused (outside the lock).
    fn with_state<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        let (out, events) = {
            let mut state = self.state.lock();
            let out = f(&mut state);
            (out, std::mem::take(&mut state.world.events))
        };
        for event in events {
            self.subscribers.send(event);
        }
        out
    }

    /// Runs `change` on the model: records `request` (unless from outside), fails it if a
    /// failure is queued for its operation, then sends the events it caused.
    fn apply<T>(
        &self,
        recording: Recording,
        request: Request,
        change: impl FnOnce(&mut World) -> std::result::Result<T, Cause>,
    ) -> Result<T> {
        let outcome = self.with_state(|state| {
            let injected = match recording {
                Recording::Recorded => {
                    state.requests.push(request.clone());
                    state
                        .failures
                        .get_mut(&request.op())
                        .and_then(VecDeque::pop_front)
                }
                Recording::Outside => None,
            };
            match injected {
                Some(errno) => Err(Cause::Errno(errno)),
                None => change(&mut state.world),
            }
        });
        outcome.map_err(|cause| {
            let ns = request.namespace().unwrap_or_default();
            Error::new(request.op(), request.object(), &ns, cause)
        })
    }
}

/// Whether a call is recorded (and may fail by injection).
#[derive(Debug, Clone, Copy)]
enum Recording {
    Recorded,
    Outside,
}

/// [`FakeNetlink`] seen from outside the agent: see [`FakeNetlink::outside`].
#[derive(Debug, Clone, Copy)]
pub struct Outside<'a>(&'a FakeNetlink);

/// Implements [`Netlink`] for a type that reaches a [`FakeNetlink`] (`self.fake()`) and
/// calls it with its recording mode (`Self::RECORDING`).
macro_rules! impl_netlink {
    ($ty:ty) => {
        impl Netlink for $ty {
            fn links(&self, ns: &Namespace) -> Result<Vec<Link>> {
                let request = Request::Links { ns: ns.clone() };
                self.fake().apply(Self::RECORDING, request, |w| w.links(ns))
            }

            fn link(&self, ns: &Namespace, link: &LinkRef) -> Result<Option<Link>> {
                let request = Request::Link {
                    ns: ns.clone(),
                    link: link.clone(),
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.link(ns, link))
            }

            fn add_link(&self, ns: &Namespace, link: &NewLink) -> Result<Link> {
                let request = Request::AddLink {
                    ns: ns.clone(),
                    link: link.clone(),
                };
                let peer_ns = match &link.kind {
                    crate::NewLinkKind::Veth(peer) => peer.namespace.as_ref(),
                    _ => None,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.add_link(ns, link))
                    .map_err(|err| err.gone_elsewhere(peer_ns, |ns| self.namespace_exists(ns)))
            }

            fn set_link(&self, ns: &Namespace, index: u32, change: &LinkChange) -> Result<()> {
                let request = Request::SetLink {
                    ns: ns.clone(),
                    index,
                    change: change.clone(),
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.set_link(ns, index, change))
            }

            fn move_link(
                &self,
                ns: &Namespace,
                index: u32,
                to: &Namespace,
                name: Option<&str>,
            ) -> Result<()> {
                let request = Request::MoveLink {
                    ns: ns.clone(),
                    index,
                    to: to.clone(),
                    name: name.map(str::to_string),
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| {
                        w.move_link(ns, index, to, name)
                    })
                    .map_err(|err| err.gone_elsewhere(Some(to), |ns| self.namespace_exists(ns)))
            }

            fn delete_link(&self, ns: &Namespace, index: u32) -> Result<()> {
                let request = Request::DeleteLink {
                    ns: ns.clone(),
                    index,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.delete_link(ns, index))
            }

            fn addresses(&self, ns: &Namespace, index: Option<u32>) -> Result<Vec<Address>> {
                let request = Request::Addresses {
                    ns: ns.clone(),
                    index,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.addresses(ns, index))
            }

            fn add_address(&self, ns: &Namespace, index: u32, addr: IpNet) -> Result<()> {
                let request = Request::AddAddress {
                    ns: ns.clone(),
                    index,
                    addr,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.add_address(ns, index, addr))
            }

            fn delete_address(&self, ns: &Namespace, index: u32, addr: IpNet) -> Result<()> {
                let request = Request::DeleteAddress {
                    ns: ns.clone(),
                    index,
                    addr,
                };
                self.fake().apply(Self::RECORDING, request, |w| {
                    w.delete_address(ns, index, addr)
                })
            }

            fn routes(&self, ns: &Namespace, filter: &RouteFilter) -> Result<Vec<Route>> {
                let request = Request::Routes {
                    ns: ns.clone(),
                    filter: *filter,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.routes(ns, filter))
            }

            fn add_route(&self, ns: &Namespace, route: &Route) -> Result<()> {
                let request = Request::AddRoute {
                    ns: ns.clone(),
                    route: *route,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.add_route(ns, route, false))
            }

            fn replace_route(&self, ns: &Namespace, route: &Route) -> Result<()> {
                let request = Request::ReplaceRoute {
                    ns: ns.clone(),
                    route: *route,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.add_route(ns, route, true))
            }

            fn delete_route(&self, ns: &Namespace, route: &Route) -> Result<()> {
                let request = Request::DeleteRoute {
                    ns: ns.clone(),
                    route: *route,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.delete_route(ns, route))
            }

            fn neighbours(&self, ns: &Namespace, index: Option<u32>) -> Result<Vec<Neighbour>> {
                let request = Request::Neighbours {
                    ns: ns.clone(),
                    index,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.neighbours(ns, index))
            }

            fn set_neighbour(&self, ns: &Namespace, neighbour: &Neighbour) -> Result<()> {
                let request = Request::SetNeighbour {
                    ns: ns.clone(),
                    neighbour: *neighbour,
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.set_neighbour(ns, neighbour))
            }

            fn delete_neighbour(&self, ns: &Namespace, index: u32, ip: IpAddr) -> Result<()> {
                let request = Request::DeleteNeighbour {
                    ns: ns.clone(),
                    index,
                    ip,
                };
                self.fake().apply(Self::RECORDING, request, |w| {
                    w.delete_neighbour(ns, index, ip)
                })
            }

            fn create_namespace(&self, name: &str) -> Result<()> {
                let request = Request::CreateNamespace {
                    name: name.to_string(),
                };
                self.fake().apply(Self::RECORDING, request, |w| {
                    if !crate::namespace::valid_name(name) {
                        return Err(Cause::Invalid(format!("{name:?} is not a namespace name")));
                    }
                    match w.add_namespace(Namespace::named(name)) {
                        true => Ok(()),
                        false => Err(Cause::Errno(Errno::EEXIST)),
                    }
                })
            }

            fn delete_namespace(&self, name: &str) -> Result<()> {
                let request = Request::DeleteNamespace {
                    name: name.to_string(),
                };
                self.fake().apply(Self::RECORDING, request, |w| {
                    match w.remove_namespace(&Namespace::named(name)) {
                        true => Ok(()),
                        false => Err(Cause::Errno(Errno::ENOENT)),
                    }
                })
            }

            fn namespaces(&self) -> Result<Vec<String>> {
                self.fake()
                    .apply(Self::RECORDING, Request::Namespaces, |w| {
                        Ok(w.named_namespaces())
                    })
            }

            fn namespace_exists(&self, ns: &Namespace) -> bool {
                self.fake()
                    .with_state(|state| state.world.namespace_exists(ns))
            }

            fn sysctl(&self, ns: &Namespace, key: &str) -> Result<String> {
                let request = Request::Sysctl {
                    ns: ns.clone(),
                    key: key.to_string(),
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.sysctl(ns, key))
            }

            fn set_sysctl(&self, ns: &Namespace, key: &str, value: &str) -> Result<()> {
                let request = Request::SetSysctl {
                    ns: ns.clone(),
                    key: key.to_string(),
                    value: value.to_string(),
                };
                self.fake()
                    .apply(Self::RECORDING, request, |w| w.set_sysctl(ns, key, value))
            }

            fn watch(&self, ns: &Namespace) -> Result<()> {
                let request = Request::Watch { ns: ns.clone() };
                self.fake().apply(Self::RECORDING, request, |w| w.watch(ns))
            }

            fn unwatch(&self, ns: &Namespace) {
                let request = Request::Unwatch { ns: ns.clone() };
                // Unwatching cannot fail; an injected failure is dropped with the result.
                let _ = self.fake().apply(Self::RECORDING, request, |w| {
                    w.unwatch(ns);
                    Ok(())
                });
            }

            fn subscribe(&self) -> EventReceiver {
                self.fake().subscribers.subscribe()
            }
        }
    };
}

impl FakeNetlink {
    const RECORDING: Recording = Recording::Recorded;

    fn fake(&self) -> &FakeNetlink {
        self
    }
}

impl Outside<'_> {
    const RECORDING: Recording = Recording::Outside;

    fn fake(&self) -> &FakeNetlink {
        self.0
    }
}

impl_netlink!(FakeNetlink);
impl_netlink!(Outside<'_>);

#[cfg(test)]
mod tests;
