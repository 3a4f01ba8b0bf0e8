//! [`Request`]: one call made to the fake, as recorded.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::{LinkChange, LinkRef, Namespace, Neighbour, NewLink, Op, Route, RouteFilter};

/// A call made to [`FakeNetlink`](crate::FakeNetlink), with its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // the fields are the arguments of the trait's method of that name
pub enum Request {
    Links {
        ns: Namespace,
    },
    Link {
        ns: Namespace,
        link: LinkRef,
    },
    AddLink {
        ns: Namespace,
        link: NewLink,
    },
    SetLink {
        ns: Namespace,
        index: u32,
        change: LinkChange,
    },
    MoveLink {
        ns: Namespace,
        index: u32,
        to: Namespace,
        name: Option<String>,
    },
    DeleteLink {
        ns: Namespace,
        index: u32,
    },
    Addresses {
        ns: Namespace,
        index: Option<u32>,
    },
    AddAddress {
        ns: Namespace,
        index: u32,
        addr: IpNet,
    },
    DeleteAddress {
        ns: Namespace,
        index: u32,
        addr: IpNet,
    },
    Routes {
        ns: Namespace,
        filter: RouteFilter,
    },
    AddRoute {
        ns: Namespace,
        route: Route,
    },
    ReplaceRoute {
        ns: Namespace,
        route: Route,
    },
    DeleteRoute {
        ns: Namespace,
        route: Route,
    },
    Neighbours {
        ns: Namespace,
        index: Option<u32>,
    },
    SetNeighbour {
        ns: Namespace,
        neighbour: Neighbour,
    },
    DeleteNeighbour {
        ns: Namespace,
        index: u32,
        ip: IpAddr,
    },
    CreateNamespace {
        name: String,
    },
    DeleteNamespace {
        name: String,
    },
    Namespaces,
    Sysctl {
        ns: Namespace,
        key: String,
    },
    SetSysctl {
        ns: Namespace,
        key: String,
        value: String,
    },
    Watch {
        ns: Namespace,
    },
    Unwatch {
        ns: Namespace,
    },
}

impl Request {
    /// The operation, as errors name it.
    pub fn op(&self) -> Op {
        match self {
            Request::Links { .. } => Op::ListLinks,
            Request::Link { .. } => Op::GetLink,
            Request::AddLink { .. } => Op::AddLink,
            Request::SetLink { .. } => Op::SetLink,
            Request::MoveLink { .. } => Op::MoveLink,
            Request::DeleteLink { .. } => Op::DeleteLink,
            Request::Addresses { .. } => Op::ListAddresses,
            Request::AddAddress { .. } => Op::AddAddress,
            Request::DeleteAddress { .. } => Op::DeleteAddress,
            Request::Routes { .. } => Op::ListRoutes,
            Request::AddRoute { .. } => Op::AddRoute,
            Request::ReplaceRoute { .. } => Op::ReplaceRoute,
            Request::DeleteRoute { .. } => Op::DeleteRoute,
            Request::Neighbours { .. } => Op::ListNeighbours,
            Request::SetNeighbour { .. } => Op::SetNeighbour,
            Request::DeleteNeighbour { .. } => Op::DeleteNeighbour,
            Request::CreateNamespace { .. } => Op::CreateNamespace,
            Request::DeleteNamespace { .. } => Op::DeleteNamespace,
            Request::Namespaces => Op::ListNamespaces,
            Request::Sysctl { .. } => Op::GetSysctl,
            Request::SetSysctl { .. } => Op::SetSysctl,
            Request::Watch { .. } => Op::Watch,
            Request::Unwatch { .. } => Op::Unwatch,
        }
    }

    /// Whether the call changes something (reads, `watch` and `unwatch` do not).
    pub fn is_mutation(&self) -> bool {
        !matches!(
            self,
            Request::Links { .. }
                | Request::Link { .. }
                | Request::Addresses { .. }
                | Request::Routes { .. }
                | Request::Neighbours { .. }
                | Request::Namespaces
                | Request::Sysctl { .. }
                | Request::Watch { .. }
                | Request::Unwatch { .. }
        )
    }

    /// The namespace the call acts in (the named one for namespace calls; `None` for
    /// listing the namespaces).
    pub fn namespace(&self) -> Option<Namespace> {
        match self {
            Request::Links { ns }
            | Request::Link { ns, .. }
            | Request::AddLink { ns, .. }
            | Request::SetLink { ns, .. }
            | Request::MoveLink { ns, .. }
            | Request::DeleteLink { ns, .. }
            | Request::Addresses { ns, .. }
            | Request::AddAddress { ns, .. }
            | Request::DeleteAddress { ns, .. }
            | Request::Routes { ns, .. }
            | Request::AddRoute { ns, .. }
            | Request::ReplaceRoute { ns, .. }
            | Request::DeleteRoute { ns, .. }
            | Request::Neighbours { ns, .. }
            | Request::SetNeighbour { ns, .. }
            | Request::DeleteNeighbour { ns, .. }
            | Request::Sysctl { ns, .. }
            | Request::SetSysctl { ns, .. }
            | Request::Watch { ns }
            | Request::Unwatch { ns } => Some(ns.clone()),
            Request::CreateNamespace { name } | Request::DeleteNamespace { name } => {
                Some(Namespace::Named(name.clone()))
            }
            Request::Namespaces => None,
        }
    }

    /// The object the call acts on, as errors name it.
    pub fn object(&self) -> String {
        match self {
            Request::Links { .. }
            | Request::Addresses { index: None, .. }
            | Request::Neighbours { index: None, .. }
            | Request::Namespaces => String::new(),
            Request::Routes { filter, .. } => match filter.table {
                Some(table) => format!("table {table}"),
                None => String::new(),
            },
            Request::Link { link, .. } => link.to_string(),
            Request::AddLink { link, .. } => link.name.clone(),
            Request::SetLink { index, .. }
            | Request::MoveLink { index, .. }
            | Request::DeleteLink { index, .. }
            | Request::Addresses {
                index: Some(index), ..
            }
            | Request::Neighbours {
                index: Some(index), ..
            } => format!("#{index}"),
            Request::AddAddress { index, addr, .. }
            | Request::DeleteAddress { index, addr, .. } => {
                format!("{addr} on #{index}")
            }
            Request::AddRoute { route, .. }
            | Request::ReplaceRoute { route, .. }
            | Request::DeleteRoute { route, .. } => route.dst.to_string(),
            Request::SetNeighbour { neighbour, .. } => {
                format!("{} on #{}", neighbour.ip, neighbour.index)
            }
            Request::DeleteNeighbour { index, ip, .. } => format!("{ip} on #{index}"),
            Request::CreateNamespace { name } | Request::DeleteNamespace { name } => name.clone(),
            Request::Sysctl { key, .. } | Request::SetSysctl { key, .. } => key.clone(),
            Request::Watch { .. } | Request::Unwatch { .. } => String::new(),
        }
    }
}
