//! Route messages: `RTM_NEWROUTE`/`RTM_DELROUTE`/`RTM_GETROUTE` requests and reading the
//! kernel's route messages into [`Route`].

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL, NLM_F_REPLACE};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteHeader, RouteMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::address::family;
use super::socket::Socket;
use crate::{Cause, Family, Route, RouteFilter, RouteKind, RouteProtocol, Scope};

/// The routes of the socket's namespace that pass `filter` (filtered by the kernel as far
/// as strict checking allows, then here).
pub(super) fn dump(socket: &Socket, filter: &RouteFilter) -> Result<Vec<Route>, Cause> {
    let mut message = RouteMessage::default();
    message.header.address_family = match filter.family {
        None => AddressFamily::Unspec,
        Some(Family::V4) => AddressFamily::Inet,
        Some(Family::V6) => AddressFamily::Inet6,
    };
    if let Some(table) = filter.table {
        set_table(&mut message, table);
    }
    if let Some(protocol) = filter.protocol {
        message.header.protocol = protocol.0.into();
    }
    if let Some(oif) = filter.oif {
        message.attributes.push(RouteAttribute::Oif(oif));
    }
    let answers = socket.dump(RouteNetlinkMessage::GetRoute(message))?;
    Ok(answers
        .into_iter()
        .filter_map(|answer| match answer {
            RouteNetlinkMessage::NewRoute(message) => parse(message),
            _ => None,
        })
        .filter(|route| filter.matches(route))
        .collect())
}

/// Adds `route`, replacing the route in its slot if `replace`, else failing with `EEXIST`.
pub(super) fn add(socket: &Socket, route: &Route, replace: bool) -> Result<(), Cause> {
    let flags = if replace {
        NLM_F_CREATE | NLM_F_REPLACE
    } else {
        NLM_F_CREATE | NLM_F_EXCL
    };
    socket.ack(
        RouteNetlinkMessage::NewRoute(message(route, route.scope)),
        flags,
    )
}

/// Deletes `route`: any scope; the gateway, link and protocol must match when given.
pub(super) fn delete(socket: &Socket, route: &Route) -> Result<(), Cause> {
    socket.ack(
        RouteNetlinkMessage::DelRoute(message(route, Scope::Nowhere)),
        0,
    )
}

/// Puts `table` in the header (if it fits in 8 bits) and in `RTA_TABLE`.
fn set_table(message: &mut RouteMessage, table: u32) {
    message.header.table = u8::try_from(table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
    message.attributes.push(RouteAttribute::Table(table));
}

/// The request message of `route`, with `scope`.
fn message(route: &Route, scope: Scope) -> RouteMessage {
    let mut message = RouteMessage::default();
    message.header.address_family = family(route.dst.addr());
    message.header.destination_prefix_length = route.dst.prefix_len();
    message.header.protocol = route.protocol.0.into();
    message.header.scope = scope.number().into();
    message.header.kind = route.kind.number().into();
    set_table(&mut message, route.table);
    if route.dst.prefix_len() > 0 {
        message
            .attributes
            .push(RouteAttribute::Destination(route.dst.network().into()));
    }
    if let Some(gateway) = route.gateway {
        message
            .attributes
            .push(RouteAttribute::Gateway(gateway.into()));
    }
    if let Some(oif) = route.oif {
        message.attributes.push(RouteAttribute::Oif(oif));
    }
    if route.metric > 0 {
        message
            .attributes
            .push(RouteAttribute::Priority(route.metric));
    }
    message
}

/// The IP address of a route attribute.
fn ip(address: RouteAddress) -> Option<IpAddr> {
    match address {
        RouteAddress::Inet(v4) => Some(v4.into()),
        RouteAddress::Inet6(v6) => Some(v6.into()),
        _ => None,
    }
}

/// Reads a kernel route message (IPv4 and IPv6 only).
pub(crate) fn parse(message: RouteMessage) -> Option<Route> {
    let header = &message.header;
    let unspecified: IpAddr = match header.address_family {
        AddressFamily::Inet => Ipv4Addr::UNSPECIFIED.into(),
        AddressFamily::Inet6 => Ipv6Addr::UNSPECIFIED.into(),
        _ => return None,
    };
    let mut dst = unspecified;
    let mut route = Route {
        dst: IpNet::new(unspecified, 0).ok()?,
        gateway: None,
        oif: None,
        scope: Scope::from_number(header.scope.into()),
        metric: 0,
        table: u32::from(header.table),
        protocol: RouteProtocol(header.protocol.into()),
        kind: RouteKind::from_number(header.kind.into()),
    };
    for attribute in message.attributes {
        match attribute {
            RouteAttribute::Destination(address) => dst = ip(address)?,
            RouteAttribute::Gateway(address) => route.gateway = ip(address),
            RouteAttribute::Oif(oif) => route.oif = Some(oif),
            RouteAttribute::Priority(metric) => route.metric = metric,
            RouteAttribute::Table(table) => route.table = table,
            _ => {}
        }
    }
    route.dst = IpNet::new(dst, header.destination_prefix_length).ok()?;
    Some(route)
}
