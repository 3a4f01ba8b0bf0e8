//! Link messages: building `RTM_NEWLINK`/`RTM_SETLINK`/`RTM_DELLINK`/`RTM_GETLINK`
//! requests and reading the kernel's link messages into [`Link`].

use std::os::fd::{AsRawFd, RawFd};

use netlink_packet_core::{NLM_F_CREATE, NLM_F_EXCL};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoVeth, InfoVlan, LinkAttribute, LinkFlags, LinkInfo, LinkLayerType,
    LinkMessage,
};

use super::socket::Socket;
use crate::netns::NsFile;
use crate::{Cause, Link, LinkChange, LinkKind, LinkRef, MacAddr, Master, NewLink, NewLinkKind};

/// Every link of the socket's namespace.
pub(super) fn dump(socket: &Socket) -> Result<Vec<Link>, Cause> {
    let answers = socket.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))?;
    Ok(answers.into_iter().filter_map(from_answer).collect())
}

/// One link by name or index.
pub(super) fn get(socket: &Socket, link: &LinkRef) -> Result<Option<Link>, Cause> {
    let mut message = LinkMessage::default();
    match link {
        LinkRef::Index(index) => message.header.index = *index,
        LinkRef::Name(name) => {
            crate::link::check_name(name)?;
            message.attributes.push(LinkAttribute::IfName(name.clone()));
        }
    }
    Ok(socket
        .get(RouteNetlinkMessage::GetLink(message))?
        .and_then(from_answer))
}

/// Creates `new`; `peer_ns` is the namespace file of a veth peer created elsewhere.
pub(super) fn add(socket: &Socket, new: &NewLink, peer_ns: Option<&NsFile>) -> Result<(), Cause> {
    let peer_fd = peer_ns.map(|ns| ns.file().as_raw_fd());
    socket.ack(
        RouteNetlinkMessage::NewLink(new_message(new, peer_fd)?),
        NLM_F_CREATE | NLM_F_EXCL,
    )
}

/// The `RTM_NEWLINK` message creating `new`, its veth peer in the namespace of `peer_fd`.
fn new_message(new: &NewLink, peer_fd: Option<RawFd>) -> Result<LinkMessage, Cause> {
    crate::link::check_name(&new.name)?;
    let veth = matches!(new.kind, NewLinkKind::Veth(_));
    let mut message = LinkMessage::default();
    message
        .attributes
        .push(LinkAttribute::IfName(new.name.clone()));
    set_common(&mut message, new.up && !veth, new.mtu, new.mac);
    let mut info = Vec::new();
    match &new.kind {
        NewLinkKind::Dummy => info.push(LinkInfo::Kind(InfoKind::Dummy)),
        NewLinkKind::Bridge => info.push(LinkInfo::Kind(InfoKind::Bridge)),
        NewLinkKind::Vlan { parent, id } => {
            message.attributes.push(LinkAttribute::Link(*parent));
            info.push(LinkInfo::Kind(InfoKind::Vlan));
            info.push(LinkInfo::Data(InfoData::Vlan(vec![InfoVlan::Id(*id)])));
        }
        NewLinkKind::Veth(peer) => {
            crate::link::check_name(&peer.name)?;
            let mut peer_message = LinkMessage::default();
            peer_message
                .attributes
                .push(LinkAttribute::IfName(peer.name.clone()));
            set_common(&mut peer_message, false, peer.mtu, peer.mac);
            if let Some(fd) = peer_fd {
                peer_message.attributes.push(LinkAttribute::NetNsFd(fd));
            }
            info.push(LinkInfo::Kind(InfoKind::Veth));
            info.push(LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer_message))));
        }
    }
    message.attributes.push(LinkAttribute::LinkInfo(info));
    Ok(message)
}

/// What is left to do on a link created by [`add`]: its alias, and up for a veth end.
pub(super) fn follow_up(alias: Option<&str>, up: bool, veth: bool) -> LinkChange {
    LinkChange {
        alias: alias.filter(|a| !a.is_empty()).map(str::to_string),
        up: (veth && up).then_some(true),
        ..LinkChange::default()
    }
}

/// The attributes a new link and a veth peer share: up, MTU, MAC.
fn set_common(message: &mut LinkMessage, up: bool, mtu: Option<u32>, mac: Option<MacAddr>) {
    if up {
        message.header.flags |= LinkFlags::Up;
        message.header.change_mask |= LinkFlags::Up;
    }
    if let Some(mtu) = mtu {
        message.attributes.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(mac) = mac {
        message
            .attributes
            .push(LinkAttribute::Address(mac.0.to_vec()));
    }
}

/// Applies `change` to the link `index` in one request.
pub(super) fn set(socket: &Socket, index: u32, change: &LinkChange) -> Result<(), Cause> {
    let mut message = LinkMessage::default();
    message.header.index = index;
    if let Some(name) = &change.name {
        crate::link::check_name(name)?;
        message.attributes.push(LinkAttribute::IfName(name.clone()));
    }
    if let Some(up) = change.up {
        if up {
            message.header.flags |= LinkFlags::Up;
        }
        message.header.change_mask |= LinkFlags::Up;
    }
    if let Some(mtu) = change.mtu {
        message.attributes.push(LinkAttribute::Mtu(mtu));
    }
    if let Some(mac) = change.mac {
        message
            .attributes
            .push(LinkAttribute::Address(mac.0.to_vec()));
    }
    if let Some(alias) = &change.alias {
        message
            .attributes
            .push(LinkAttribute::IfAlias(alias.clone()));
    }
    match change.master {
        Some(Master::Index(master)) => message.attributes.push(LinkAttribute::Controller(master)),
        Some(Master::Detach) => message.attributes.push(LinkAttribute::Controller(0)),
        None => {}
    }
    socket.ack(RouteNetlinkMessage::SetLink(message), 0)
}

/// Moves the link `index` to the namespace of `target`, renamed to `name` if given.
pub(super) fn move_to(
    socket: &Socket,
    index: u32,
    target: &NsFile,
    name: Option<&str>,
) -> Result<(), Cause> {
    let mut message = LinkMessage::default();
    message.header.index = index;
    message
        .attributes
        .push(LinkAttribute::NetNsFd(target.file().as_raw_fd()));
    if let Some(name) = name {
        crate::link::check_name(name)?;
        message
            .attributes
            .push(LinkAttribute::IfName(name.to_string()));
    }
    socket.ack(RouteNetlinkMessage::SetLink(message), 0)
}

/// Deletes the link `index`.
pub(super) fn delete(socket: &Socket, index: u32) -> Result<(), Cause> {
    let mut message = LinkMessage::default();
    message.header.index = index;
    socket.ack(RouteNetlinkMessage::DelLink(message), 0)
}

/// The link of a `RTM_NEWLINK` answer.
fn from_answer(answer: RouteNetlinkMessage) -> Option<Link> {
    match answer {
        RouteNetlinkMessage::NewLink(message) => Some(parse(message)),
        _ => None,
    }
}

/// Reads a kernel link message.
pub(crate) fn parse(message: LinkMessage) -> Link {
    let header = message.header;
    let mut link = Link {
        index: header.index,
        name: String::new(),
        kind: if header.link_layer_type == LinkLayerType::Loopback {
            LinkKind::Loopback
        } else {
            LinkKind::Other(String::new())
        },
        up: header.flags.contains(LinkFlags::Up),
        carrier: header.flags.contains(LinkFlags::LowerUp),
        mtu: 0,
        mac: None,
        alias: None,
        master: None,
        parent: None,
        link_netnsid: None,
        vlan_id: None,
    };
    for attribute in message.attributes {
        match attribute {
            LinkAttribute::IfName(name) => link.name = name,
            LinkAttribute::Mtu(mtu) => link.mtu = mtu,
            LinkAttribute::Address(bytes) => link.mac = MacAddr::from_slice(&bytes),
            LinkAttribute::IfAlias(alias) if !alias.is_empty() => link.alias = Some(alias),
            LinkAttribute::Controller(master) if master != 0 => link.master = Some(master),
            LinkAttribute::Link(parent) if parent != 0 => link.parent = Some(parent),
            LinkAttribute::LinkNetNsId(id) => link.link_netnsid = Some(id),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    match info {
                        LinkInfo::Kind(kind) if link.kind != LinkKind::Loopback => {
                            link.kind = LinkKind::from_kernel_name(&kind.to_string());
                        }
                        LinkInfo::Data(InfoData::Vlan(vlan)) => {
                            link.vlan_id = vlan.iter().find_map(|v| match v {
                                InfoVlan::Id(id) => Some(*id),
                                _ => None,
                            });
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    // A device without a parent names itself, unless the parent is in another namespace
    // (where the same index is another link).
    if link.parent == Some(link.index) && link.link_netnsid.is_none() {
        link.parent = None;
    }
    link
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::Emitable;
    use netlink_packet_core::Parseable;

    use super::*;
    use crate::VethPeer;

    /// The message as the kernel reads it: emitted, then parsed back.
    fn round_trip(message: &LinkMessage) -> LinkMessage {
        let mut bytes = vec![0; message.buffer_len()];
        message.emit(&mut bytes);
        LinkMessage::parse(&bytes[..]).unwrap()
    }

    fn info(message: &LinkMessage) -> Vec<LinkInfo> {
        message
            .attributes
            .iter()
            .find_map(|a| match a {
                LinkAttribute::LinkInfo(info) => Some(info.clone()),
                _ => None,
            })
            .unwrap()
    }

    #[test]
    fn a_vlan_names_its_parent_and_id() {
        let message = round_trip(&new_message(&NewLink::vlan("eth0.7", 3, 7).up(), None).unwrap());
        assert!(message.attributes.contains(&LinkAttribute::Link(3)));
        assert!(message.header.flags.contains(LinkFlags::Up));
        let info = info(&message);
        assert!(info.contains(&LinkInfo::Kind(InfoKind::Vlan)));
        assert!(info.contains(&LinkInfo::Data(InfoData::Vlan(vec![InfoVlan::Id(7)]))));
    }

    #[test]
    fn a_veth_peer_is_placed_in_its_namespace_and_neither_end_is_up_yet() {
        let new = NewLink::veth("a", VethPeer::new("b").with_mtu(1400).up()).up();
        let message = round_trip(&new_message(&new, Some(42)).unwrap());
        assert!(!message.header.flags.contains(LinkFlags::Up));
        let peer = info(&message)
            .into_iter()
            .find_map(|i| match i {
                LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))) => Some(peer),
                _ => None,
            })
            .unwrap();
        assert!(peer.attributes.contains(&LinkAttribute::IfName("b".into())));
        assert!(peer.attributes.contains(&LinkAttribute::NetNsFd(42)));
        assert!(peer.attributes.contains(&LinkAttribute::Mtu(1400)));
        assert!(!peer.header.flags.contains(LinkFlags::Up));
    }

    #[test]
    fn invalid_names_are_refused_before_sending() {
        assert!(new_message(&NewLink::dummy("a/b"), None).is_err());
        assert!(new_message(&NewLink::veth("a", VethPeer::new("")), None).is_err());
    }

    #[test]
    fn follow_up_sets_the_alias_and_a_veth_up() {
        assert!(follow_up(None, true, false).is_empty());
        assert_eq!(follow_up(None, true, true), LinkChange::new().up(true));
        assert_eq!(
            follow_up(Some("x"), false, false),
            LinkChange::new().alias("x")
        );
    }
}
