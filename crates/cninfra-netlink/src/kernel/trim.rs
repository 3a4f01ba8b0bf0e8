//! Link messages cut down to the attributes [`parse`](super::link::parse) reads, before
//! `netlink-packet-route` decodes them.
//!
//! The kernel answers every link request with the whole device: statistics, per-family
//! settings (`IFLA_AF_SPEC`), and for a bridge dozens of `IFLA_INFO_DATA` attributes.
//! `netlink-packet-route` decodes all of it, formatting an error context for each nested
//! attribute whether or not it fails; for a bridge that was most of the agent's time in
//! creating one. The agent reads eight attributes, so a link message is rewritten with only
//! those (and of `IFLA_LINKINFO` only the kind, plus the data of a VLAN for its id) before
//! it is decoded. A message that does not parse as expected is left as it came: the decoder
//! then reports what is wrong with it.

/// `RTM_NEWLINK` and `RTM_DELLINK`: the messages that carry a link.
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;

/// `sizeof(struct nlmsghdr)` and `sizeof(struct ifinfomsg)`.
const NLMSG_HEADER: usize = 16;
const IFINFO_HEADER: usize = 16;

/// The attribute header (`struct nlattr`): length and type, two bytes each.
const NLA_HEADER: usize = 4;
/// The type bits of `nla_type` (without the nested and byte-order flags).
const NLA_TYPE_MASK: u16 = 0x3fff;

/// The link attributes the agent reads.
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_IFALIAS: u16 = 20;
const IFLA_LINK_NETNSID: u16 = 37;
const KEPT: [u16; 8] = [
    IFLA_ADDRESS,
    IFLA_IFNAME,
    IFLA_MTU,
    IFLA_LINK,
    IFLA_MASTER,
    IFLA_LINKINFO,
    IFLA_IFALIAS,
    IFLA_LINK_NETNSID,
];

/// Of `IFLA_LINKINFO`: the kind, and the kind's data (read for VLANs only).
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;

/// `message` (one netlink message) without the link attributes the agent does not read,
/// when it is a link message; `None` when it is not one or does not parse.
pub(super) fn trim_link_message(message: &[u8]) -> Option<Vec<u8>> {
    let kind = u16::from_ne_bytes(message.get(4..6)?.try_into().ok()?);
    if kind != RTM_NEWLINK && kind != RTM_DELLINK {
        return None;
    }
    let length = u32::from_ne_bytes(message.get(0..4)?.try_into().ok()?) as usize;
    let headers = NLMSG_HEADER + IFINFO_HEADER;
    let attributes = message.get(headers..length)?;
    let mut trimmed = Vec::with_capacity(length);
    trimmed.extend_from_slice(&message[..headers]);
    for (kind, attribute) in Attributes::new(attributes) {
        let attribute = attribute?;
        match kind {
            IFLA_LINKINFO => {
                let info = link_info(attribute.get(NLA_HEADER..)?)?;
                push_attribute(&mut trimmed, attribute_type(attribute)?, &info)?;
            }
            kind if KEPT.contains(&kind) => push_aligned(&mut trimmed, attribute),
            _ => {}
        }
    }
    let total = u32::try_from(trimmed.len()).ok()?;
    trimmed[0..4].copy_from_slice(&total.to_ne_bytes());
    Some(trimmed)
}

/// The attributes of `IFLA_LINKINFO` that are read: the kind, and the data of a VLAN.
fn link_info(nested: &[u8]) -> Option<Vec<u8>> {
    let mut kept = Vec::with_capacity(nested.len().min(64));
    let mut vlan = false;
    for (kind, attribute) in Attributes::new(nested) {
        let attribute = attribute?;
        match kind {
            IFLA_INFO_KIND => {
                vlan = attribute
                    .get(NLA_HEADER..)?
                    .split(|b| *b == 0)
                    .next()
                    .is_some_and(|name| name == b"vlan");
                push_aligned(&mut kept, attribute);
            }
            IFLA_INFO_DATA if vlan => push_aligned(&mut kept, attribute),
            _ => {}
        }
    }
    Some(kept)
}

/// The raw type field (flags included) of an attribute.
fn attribute_type(attribute: &[u8]) -> Option<u16> {
    Some(u16::from_ne_bytes(attribute.get(2..4)?.try_into().ok()?))
}

/// Appends an attribute of `kind` holding `payload`, padded to four bytes.
fn push_attribute(out: &mut Vec<u8>, kind: u16, payload: &[u8]) -> Option<()> {
    let length = u16::try_from(NLA_HEADER + payload.len()).ok()?;
    out.extend_from_slice(&length.to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(payload);
    pad(out);
    Some(())
}

/// Appends a whole attribute (header and payload), padded to four bytes.
fn push_aligned(out: &mut Vec<u8>, attribute: &[u8]) {
    out.extend_from_slice(attribute);
    pad(out);
}

fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(4), 0);
}

/// The attributes of a buffer: each one's type (without flags) and its bytes (header and
/// payload, without padding), or `None` for a malformed one (which ends the walk).
struct Attributes<'a> {
    rest: &'a [u8],
}

impl<'a> Attributes<'a> {
    fn new(buffer: &'a [u8]) -> Self {
        Self { rest: buffer }
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = (u16, Option<&'a [u8]>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.len() < NLA_HEADER {
            return None;
        }
        let length = u16::from_ne_bytes([self.rest[0], self.rest[1]]) as usize;
        let kind = u16::from_ne_bytes([self.rest[2], self.rest[3]]) & NLA_TYPE_MASK;
        let Some(attribute) = self.rest.get(..length).filter(|_| length >= NLA_HEADER) else {
            self.rest = &[];
            return Some((kind, None));
        };
        self.rest = self
            .rest
            .get(length.next_multiple_of(4)..)
            .unwrap_or_default();
        Some((kind, Some(attribute)))
    }
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::{NetlinkHeader, NetlinkMessage, NetlinkPayload};
    use netlink_packet_route::RouteNetlinkMessage;
    use netlink_packet_route::link::{
        InfoBridge, InfoData, InfoKind, InfoVlan, LinkAttribute, LinkInfo, LinkMessage,
    };

    use super::*;

    fn bytes(link: LinkMessage) -> Vec<u8> {
        let mut packet = NetlinkMessage::new(
            NetlinkHeader::default(),
            NetlinkPayload::from(RouteNetlinkMessage::NewLink(link)),
        );
        packet.finalize();
        let mut out = vec![0; packet.buffer_len()];
        packet.serialize(&mut out);
        out
    }

    fn decoded(bytes: &[u8]) -> LinkMessage {
        match NetlinkMessage::<RouteNetlinkMessage>::deserialize(bytes)
            .expect("decodes")
            .payload
        {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(link)) => link,
            other => panic!("{other:?}"),
        }
    }

    fn link(kind: InfoKind, data: Option<InfoData>) -> LinkMessage {
        let mut link = LinkMessage::default();
        link.header.index = 7;
        link.attributes.extend([
            LinkAttribute::IfName("br0".into()),
            LinkAttribute::Mtu(1500),
            LinkAttribute::TxQueueLen(1000),
            LinkAttribute::IfAlias("owned".into()),
            LinkAttribute::Controller(3),
        ]);
        let mut info = vec![LinkInfo::Kind(kind)];
        info.extend(data.map(LinkInfo::Data));
        link.attributes.push(LinkAttribute::LinkInfo(info));
        link
    }

    #[test]
    fn a_bridge_keeps_what_is_read_and_loses_its_data() {
        let bridge = link(
            InfoKind::Bridge,
            Some(InfoData::Bridge(vec![
                InfoBridge::ForwardDelay(1500),
                InfoBridge::Priority(7),
            ])),
        );
        let trimmed = trim_link_message(&bytes(bridge.clone())).expect("a link message");
        let link = decoded(&trimmed);
        assert_eq!(link.header.index, 7);
        let mut expected = bridge.attributes.clone();
        expected.retain(|a| !matches!(a, LinkAttribute::TxQueueLen(_)));
        if let Some(LinkAttribute::LinkInfo(info)) = expected.last_mut() {
            info.truncate(1);
        }
        assert_eq!(link.attributes, expected);
        assert_eq!(
            super::super::link::parse(link),
            super::super::link::parse(bridge),
            "the agent reads the same link from both"
        );
    }

    #[test]
    fn a_vlan_keeps_its_id() {
        let vlan = link(InfoKind::Vlan, Some(InfoData::Vlan(vec![InfoVlan::Id(42)])));
        let link = decoded(&trim_link_message(&bytes(vlan)).expect("a link message"));
        assert_eq!(super::super::link::parse(link).vlan_id, Some(42));
    }

    #[test]
    fn other_messages_and_broken_ones_are_left_alone() {
        let mut message = bytes(link(InfoKind::Dummy, None));
        message[4] = 24; // RTM_NEWROUTE
        assert_eq!(trim_link_message(&message), None);
        let mut broken = bytes(link(InfoKind::Dummy, None));
        let headers = NLMSG_HEADER + IFINFO_HEADER;
        broken[headers..headers + 2].copy_from_slice(&2u16.to_ne_bytes()); // shorter than a header
        assert_eq!(trim_link_message(&broken), None);
        assert_eq!(trim_link_message(&broken[..10]), None);
    }
}
