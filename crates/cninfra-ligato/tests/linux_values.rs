//! The Linux models: vpp-agent's values in upstream's form decode, keys are upstream's, and
//! cninfra's extensions (numbers from 30 on) sit beside upstream's fields.

use cninfra_ligato::linux::interfaces::{Interface, VethLink, VlanLink, interface};
use cninfra_ligato::linux::l3::{ArpEntry, Route, route};
use cninfra_ligato::linux::namespace::{NetNamespace, net_namespace};
use cninfra_ligato::linux::netns::NamedNetns;
use cninfra_models::{Codec, ModelRegistry, ProtoBinaryCodec, ProtoJsonCodec, json};
use prost::Message;
use serde_json::json;

fn registry() -> ModelRegistry {
    let mut registry = ModelRegistry::new();
    cninfra_ligato::register_linux(&mut registry).unwrap();
    cninfra_ligato::register_vpp(&mut registry).unwrap();
    registry
}

#[test]
fn upstreams_veth_value_decodes() {
    let veth: Interface = json::decode(
        br#"{"name":"veth1","type":"VETH","enabled":true,"ip_addresses":["10.0.0.1/24"],
             "phys_address":"d2:74:8c:12:67:d2","mtu":1500,"host_if_name":"veth-a",
             "namespace":{"type":"NSID","reference":"ns1"},
             "veth":{"peer_if_name":"veth2","rx_checksum_offloading":"CHKSM_OFFLOAD_DISABLED"}}"#,
    )
    .unwrap();
    assert_eq!(veth.r#type(), interface::Type::Veth);
    assert_eq!(
        veth.namespace,
        Some(NetNamespace {
            r#type: net_namespace::ReferenceType::Nsid.into(),
            reference: "ns1".into(),
        })
    );
    let Some(interface::Link::Veth(link)) = &veth.link else {
        panic!("no veth link: {veth:?}");
    };
    assert_eq!(link.peer_if_name, "veth2");
    assert_eq!(
        link.rx_checksum_offloading(),
        cninfra_ligato::linux::interfaces::veth_link::ChecksumOffloading::ChksmOffloadDisabled
    );
    assert_eq!(
        registry().key_of_message(&veth).unwrap(),
        "config/linux/interfaces/v2/interface/veth1"
    );
}

#[test]
fn routes_and_arps_have_upstreams_keys() {
    let registry = registry();
    // Upstream's models_test.go: the destination is normalised, then the interface.
    let route: Route = json::decode(
        br#"{"outgoing_interface":"memif1","dst_network":"192.168.1.1/24","scope":"GLOBAL","metric":100}"#,
    )
    .unwrap();
    assert_eq!(route.scope(), route::Scope::Global);
    assert_eq!(
        registry.key_of_message(&route).unwrap(),
        "config/linux/l3/v2/route/192.168.1.0/24/memif1"
    );
    let alloc = Route {
        outgoing_interface: "memif1".into(),
        dst_network: "alloc:net1/memif2".into(),
        ..Route::default()
    };
    assert_eq!(
        registry.key_of_message(&alloc).unwrap(),
        "config/linux/l3/v2/route/alloc:net1/memif2/memif1"
    );
    let arp: ArpEntry = json::decode(
        br#"{"interface":"veth1","ip_address":"10.0.0.2","hw_address":"aa:bb:cc:dd:ee:ff"}"#,
    )
    .unwrap();
    assert_eq!(
        registry.key_of_message(&arp).unwrap(),
        "config/linux/l3/v2/arp/veth1/10.0.0.2"
    );
    assert_eq!(
        registry
            .for_key("config/linux/l3/v2/arp/veth1/10.0.0.2")
            .map(|m| m.proto_name()),
        Some("ligato.linux.l3.ARPEntry")
    );
}

#[test]
fn named_namespaces_are_cninfras_model() {
    let registry = registry();
    let netns = NamedNetns {
        name: "blue".into(),
    };
    assert_eq!(
        registry.key_of_message(&netns).unwrap(),
        "config/linux/namespace/v1/netns/blue"
    );
    let model = registry
        .for_key("config/linux/namespace/v1/netns/blue")
        .unwrap();
    assert_eq!(model.name(), "linux.namespace.netns");
    assert_eq!(model.proto_name(), "cninfra.linux.namespace.NamedNetns");
}

#[test]
fn extensions_sit_beside_upstreams_fields() {
    let vlan = Interface {
        name: "vlan10".into(),
        r#type: interface::Type::Vlan.into(),
        bridge_master_interface: "br0".into(),
        link: Some(interface::Link::Vlan(VlanLink {
            parent_interface: "eth".into(),
            vlan_id: 10,
        })),
        ..Interface::default()
    };
    let text: serde_json::Value =
        serde_json::from_slice(&ProtoJsonCodec.encode(&vlan).unwrap()).unwrap();
    assert_eq!(
        text,
        json!({"name": "vlan10", "type": "VLAN", "bridgeMasterInterface": "br0",
               "vlan": {"parentInterface": "eth", "vlanId": 10}})
    );
    // On the wire the extensions have numbers upstream leaves free: a Go agent reading
    // this message keeps the upstream fields and skips ours as unknown fields.
    let bytes = ProtoBinaryCodec.encode(&vlan).unwrap();
    assert_eq!(bytes, vlan.encode_to_vec());
    // `type` (field 2) = 31; fields 30 (`bridge_master_interface`) and 31 (`vlan`) have
    // two-byte tags.
    assert!(bytes.windows(2).any(|w| w == [0x10, 31]));
    assert!(bytes.windows(2).any(|w| w == [0xf2, 0x01]));
    assert!(bytes.windows(2).any(|w| w == [0xfa, 0x01]));
    assert_eq!(
        Codec::<Interface>::decode(&ProtoBinaryCodec, &bytes).unwrap(),
        vlan
    );
    // A VETH in upstream's form still reads as upstream's.
    let veth = Interface {
        name: "v".into(),
        r#type: interface::Type::Veth.into(),
        link: Some(interface::Link::Veth(VethLink {
            peer_if_name: "w".into(),
            ..VethLink::default()
        })),
        ..Interface::default()
    };
    let text = String::from_utf8(ProtoJsonCodec.encode(&veth).unwrap()).unwrap();
    assert_eq!(
        text,
        r#"{"name":"v","type":"VETH","veth":{"peerIfName":"w"}}"#
    );
}
