//! Address messages: `RTM_NEWADDR`/`RTM_DELADDR`/`RTM_GETADDR` requests and reading the
//! kernel's address messages into [`Address`].

use std::net::IpAddr;

use ipnet::IpNet;
use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use super::socket::Socket;
use crate::{Address, Cause, Scope};

/// The addresses of the socket's namespace, of the link `index` only if given.
pub(super) fn dump(socket: &Socket, index: Option<u32>) -> Result<Vec<Address>, Cause> {
    let mut message = AddressMessage::default();
    message.header.index = index.unwrap_or(0);
    let answers = socket.dump(RouteNetlinkMessage::GetAddress(message))?;
    Ok(answers
        .into_iter()
        .filter_map(|answer| match answer {
            RouteNetlinkMessage::NewAddress(message) => parse(message),
            _ => None,
        })
        .filter(|a| index.is_none_or(|i| a.index == i))
        .collect())
}

/// Adds `addr` to the link `index` (`EEXIST` if it is there).
pub(super) fn add(socket: &Socket, index: u32, addr: IpNet) -> Result<(), Cause> {
    socket.ack(
        RouteNetlinkMessage::NewAddress(message(index, addr)),
        NLM_F_CREATE | NLM_F_EXCL,
    )
}

/// Removes `addr` from the link `index`.
pub(super) fn delete(socket: &Socket, index: u32, addr: IpNet) -> Result<(), Cause> {
    socket.ack(RouteNetlinkMessage::DelAddress(message(index, addr)), 0)
}

/// The message for `addr` on `index`, as `ip address add` builds it (with the broadcast
/// address of IPv4 networks larger than /31, as `brd +` would).
fn message(index: u32, addr: IpNet) -> AddressMessage {
    let mut message = AddressMessage::default();
    message.header.index = index;
    message.header.prefix_len = addr.prefix_len();
    message.header.family = family(addr.addr());
    message
        .attributes
        .push(AddressAttribute::Local(addr.addr()));
    message
        .attributes
        .push(AddressAttribute::Address(addr.addr()));
    if let IpNet::V4(v4) = addr
        && v4.prefix_len() < 31
    {
        message
            .attributes
            .push(AddressAttribute::Broadcast(v4.broadcast()));
    }
    message
}

/// The address family of `ip`.
pub(super) fn family(ip: IpAddr) -> AddressFamily {
    match ip {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

/// Reads a kernel address message (the local address, for IPv4 peers too).
pub(crate) fn parse(message: AddressMessage) -> Option<Address> {
    let mut local = None;
    let mut address = None;
    for attribute in message.attributes {
        match attribute {
            AddressAttribute::Local(ip) => local = Some(ip),
            AddressAttribute::Address(ip) => address = Some(ip),
            _ => {}
        }
    }
    let ip = local.or(address)?;
    let addr = IpNet::new(ip, message.header.prefix_len).ok()?;
    Some(Address {
        index: message.header.index,
        addr,
        scope: Scope::from_number(message.header.scope.into()),
    })
}
