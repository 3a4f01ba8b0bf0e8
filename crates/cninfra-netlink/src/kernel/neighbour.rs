//! Neighbour messages: `RTM_NEWNEIGH`/`RTM_DELNEIGH`/`RTM_GETNEIGH` requests and reading
//! the kernel's neighbour messages into [`Neighbour`].

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_CREATE, NLM_F_REPLACE};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::neighbour::{NeighbourAddress, NeighbourAttribute, NeighbourMessage};

use super::address::family;
use super::socket::Socket;
use crate::{Cause, MacAddr, Neighbour, NeighbourState};

/// The IPv4 and IPv6 neighbours of the socket's namespace, of the link `index` only if
/// given.
pub(super) fn dump(socket: &Socket, index: Option<u32>) -> Result<Vec<Neighbour>, Cause> {
    let mut message = NeighbourMessage::default();
    if let Some(index) = index {
        message.attributes.push(NeighbourAttribute::IfIndex(index));
    }
    let answers = socket.dump(RouteNetlinkMessage::GetNeighbour(message))?;
    Ok(answers
        .into_iter()
        .filter_map(|answer| match answer {
            RouteNetlinkMessage::NewNeighbour(message) => parse(message),
            _ => None,
        })
        .filter(|n| index.is_none_or(|i| n.index == i))
        .collect())
}

/// Adds or replaces `neighbour`.
pub(super) fn set(socket: &Socket, neighbour: &Neighbour) -> Result<(), Cause> {
    let mut message = request(neighbour.index, neighbour.ip);
    message.header.state = neighbour.state.bits().into();
    if let Some(mac) = neighbour.mac {
        message
            .attributes
            .push(NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()));
    }
    socket.ack(
        RouteNetlinkMessage::NewNeighbour(message),
        NLM_F_CREATE | NLM_F_REPLACE,
    )
}

/// Deletes the neighbour `ip` of the link `index`.
pub(super) fn delete(socket: &Socket, index: u32, ip: IpAddr) -> Result<(), Cause> {
    socket.ack(RouteNetlinkMessage::DelNeighbour(request(index, ip)), 0)
}

/// A request naming the neighbour `ip` on the link `index`.
fn request(index: u32, ip: IpAddr) -> NeighbourMessage {
    let mut message = NeighbourMessage::default();
    message.header.family = family(ip);
    message.header.ifindex = index;
    message
        .attributes
        .push(NeighbourAttribute::Destination(match ip {
            IpAddr::V4(v4) => NeighbourAddress::Inet(v4),
            IpAddr::V6(v6) => NeighbourAddress::Inet6(v6),
        }));
    message
}

/// Reads a kernel neighbour message (IPv4 and IPv6 entries only).
pub(crate) fn parse(message: NeighbourMessage) -> Option<Neighbour> {
    let mut ip = None;
    let mut mac = None;
    for attribute in message.attributes {
        match attribute {
            NeighbourAttribute::Destination(NeighbourAddress::Inet(v4)) => ip = Some(v4.into()),
            NeighbourAttribute::Destination(NeighbourAddress::Inet6(v6)) => ip = Some(v6.into()),
            NeighbourAttribute::LinkLayerAddress(bytes) => mac = MacAddr::from_slice(&bytes),
            _ => {}
        }
    }
    Some(Neighbour {
        index: message.header.ifindex,
        ip: ip?,
        mac,
        state: NeighbourState::from_bits(message.header.state.into()),
    })
}
