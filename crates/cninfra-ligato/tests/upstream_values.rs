//! Values in upstream's form: what `etcdctl put` writes in vpp-agent's docs decodes into
//! the generated messages, ours reads back there, and bad values are named precisely.

use cninfra_ligato::vpp::interfaces::{Interface, MemifLink, interface};
use cninfra_ligato::vpp::l2::{BridgeDomain, FibEntry, fib_entry};
use cninfra_models::json;
use cninfra_models::{Codec, ModelRegistry, ModelSpec, ProtoBinaryCodec, ProtoJsonCodec};
use serde_json::json;

#[test]
fn the_seed_values_decode_into_the_messages() {
    let fib: FibEntry = json::decode(
        br#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}"#,
    )
    .unwrap();
    assert_eq!(fib.bridge_domain, "bd1");
    assert_eq!(fib.action(), fib_entry::Action::Forward);
    let tap: Interface = json::decode(br#"{"name":"tap1","type":"TAP","enabled":true}"#).unwrap();
    assert_eq!(tap.r#type(), interface::Type::Tap);
    assert!(tap.enabled);
    let bd: BridgeDomain =
        json::decode(br#"{"name":"bd1","interfaces":[{"name":"tap1"}]}"#).unwrap();
    assert_eq!(bd.interfaces[0].name, "tap1");
}

#[test]
fn our_output_is_protojson_and_reads_back() {
    let iface = Interface {
        name: "memif1".into(),
        r#type: interface::Type::Memif.into(),
        enabled: true,
        ip_addresses: vec!["10.0.0.1/24".into()],
        mtu: 1500,
        link: Some(interface::Link::Memif(MemifLink {
            master: true,
            id: 3,
            socket_filename: "/run/memif.sock".into(),
            ..Default::default()
        })),
        ..Default::default()
    };
    let bytes = ProtoJsonCodec.encode(&iface).unwrap();
    let text: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        text,
        json!({
            "name": "memif1", "type": "MEMIF", "enabled": true,
            "ipAddresses": ["10.0.0.1/24"], "mtu": 1500,
            "memif": {"master": true, "id": 3, "socketFilename": "/run/memif.sock"}
        })
    );
    let back: Interface = ProtoJsonCodec.decode(&bytes).unwrap();
    assert_eq!(back, iface);
    // The typed decoder and the descriptor-driven one agree.
    let dynamic =
        json::decode_dynamic(prost_reflect::ReflectMessage::descriptor(&iface), &bytes).unwrap();
    assert_eq!(dynamic.transcode_to::<Interface>().unwrap(), iface);
    // Binary stays available, chosen explicitly.
    let binary = ProtoBinaryCodec.encode(&iface).unwrap();
    assert_eq!(
        Codec::<Interface>::decode(&ProtoBinaryCodec, &binary).unwrap(),
        iface
    );
}

#[test]
fn numbers_and_enums_in_every_form_upstream_accepts() {
    let a: Interface = json::decode(br#"{"name":"a","type":5,"mtu":"9000","vrf":3.0}"#).unwrap();
    let b: Interface = json::decode(br#"{"name":"a","type":"TAP","mtu":9000,"vrf":3}"#).unwrap();
    assert_eq!(a, b);
    let camel: FibEntry =
        json::decode(br#"{"physAddress":"aa:bb:cc:dd:ee:ff","bridgeDomain":"bd1"}"#).unwrap();
    let snake: FibEntry =
        json::decode(br#"{"phys_address":"aa:bb:cc:dd:ee:ff","bridge_domain":"bd1"}"#).unwrap();
    assert_eq!(camel, snake);
}

#[test]
fn decode_errors_name_message_and_field() {
    let cases: [(&[u8], &str, &str); 5] = [
        (br#"{"action":"FORWARDX"}"#, "action", "FORWARDX"),
        (br#"{"bridge_domain":7}"#, "bridge_domain", "integer"),
        (br#"{"colour":"red"}"#, "colour", "colour"),
        (br#"{"bridge_domain":"bd1""#, "", "EOF"),
        (br#"{"action":"DROP"} trailing"#, "", "trailing"),
    ];
    for (input, path, mention) in cases {
        let err = json::decode::<FibEntry>(input).unwrap_err();
        let text = err.to_string();
        assert_eq!(err.message, "ligato.vpp.l2.FIBEntry", "{text}");
        assert_eq!(err.path, path, "{text}");
        assert!(text.contains(mention), "`{text}` mentions {mention}");
    }
    let err = json::decode::<Interface>(br#"{"rx_modes":[{"queue":1},{"mode":"SOMETIMES"}]}"#)
        .unwrap_err();
    assert_eq!(err.path, "rx_modes[1].mode", "{err}");
}

#[test]
fn models_have_upstreams_keys() {
    let mut registry = ModelRegistry::new();
    cninfra_ligato::register_vpp(&mut registry).unwrap();
    let fib = FibEntry {
        phys_address: "62:89:c6:a3:7e:3a".into(),
        bridge_domain: "bd1".into(),
        ..Default::default()
    };
    let tap = Interface {
        name: "tap1".into(),
        ..Default::default()
    };
    let bd = BridgeDomain {
        name: "bd1".into(),
        ..Default::default()
    };
    assert_eq!(
        registry.key_of_message(&fib).unwrap(),
        "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a"
    );
    assert_eq!(
        registry.key_of_message(&tap).unwrap(),
        "config/vpp/v2/interfaces/tap1"
    );
    assert_eq!(
        registry.key_of_message(&bd).unwrap(),
        "config/vpp/l2/v2/bridge-domain/bd1"
    );
    let model = registry
        .for_key("config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a")
        .unwrap();
    assert_eq!(
        registry
            .for_key_prefix("config/vpp/l2/v2/fib/")
            .map(|m| m.name()),
        Some("vpp.l2.fib")
    );
    assert!(registry.for_key_prefix("config/vpp/l2/v2/").is_none());
    assert_eq!(
        (model.name(), model.proto_name(), model.name_template()),
        (
            "vpp.l2.fib",
            "ligato.vpp.l2.FIBEntry",
            Some("{{.BridgeDomain}}/mac/{{.PhysAddress}}")
        )
    );
    assert_eq!(
        registry.get("vpp.interfaces").unwrap().name_template(),
        Some("{{.Name}}")
    );
    // One message, one model: a second registration names both.
    let err = registry
        .register::<FibEntry>(ModelSpec::new("other", "v1", "fib").unwrap(), None)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("other.fib") && err.contains("vpp.l2.fib"),
        "{err}"
    );
}

#[test]
fn typed_messages_render_templates_as_their_dynamic_form() {
    use cninfra_models::template::NameTemplate;
    use prost_reflect::ReflectMessage;

    let iface: Interface = json::decode(
        br#"{"name":"memif1","type":"MEMIF","mtu":1500,"ip_addresses":["10.0.0.1/24"],
             "rx_modes":[{"queue":1,"mode":"POLLING"}],"memif":{"id":7,"master":true}}"#,
    )
    .unwrap();
    let dynamic = iface.transcode_to_dynamic();
    for (template, expected) in [
        ("{{.Name}}/{{.Type}}/{{.Mtu}}", "memif1/MEMIF/1500"),
        ("{{.name}}-{{.physAddress}}-{{.Vrf}}", "memif1--0"),
        ("{{with .Memif}}id/{{.Id}}{{end}}", "id/7"),
        ("{{if .Tap}}tap{{else}}not-tap{{end}}", "not-tap"),
        // upstream's `field` prints protoreflect's Value.String(): an enum as its number.
        ("{{field . 2}}/{{len .IpAddresses}}", "4/1"),
        ("{{printf \"%d\" .Type}}", "4"),
    ] {
        let t = NameTemplate::parse(template).unwrap();
        let typed = t.render(&iface);
        let from_dynamic = t.render(&dynamic);
        assert_eq!(
            typed.as_deref().ok(),
            Some(expected),
            "{template}: {typed:?}"
        );
        assert_eq!(typed, from_dynamic, "{template}");
    }
    let err = NameTemplate::parse("{{.Colour}}")
        .unwrap()
        .render(&iface)
        .unwrap_err()
        .to_string();
    assert!(err.contains("Colour"), "{err}");
}

#[test]
fn enums_are_open_as_in_protojson() {
    // A number the enum does not name is a valid proto3 value: read, kept and written back
    // as the number (Go's protojson does the same).
    let fib: FibEntry = json::decode(br#"{"bridge_domain":"bd1","action":7}"#).unwrap();
    assert_eq!(fib.action, 7);
    let out: serde_json::Value =
        serde_json::from_slice(&ProtoJsonCodec.encode(&fib).unwrap()).unwrap();
    assert_eq!(out, json!({"bridgeDomain": "bd1", "action": 7}));
    let mut iface: Interface =
        json::decode(br#"{"name":"a","rx_modes":[{"mode":9},{"mode":"POLLING"}]}"#).unwrap();
    assert_eq!(iface.rx_modes[0].mode, 9);
    assert_eq!(iface.rx_modes[1].mode, 1);
    iface.r#type = 99;
    let out: serde_json::Value =
        serde_json::from_slice(&ProtoJsonCodec.encode(&iface).unwrap()).unwrap();
    assert_eq!(out["type"], 99);
    assert_eq!(out["rxModes"][0]["mode"], 9);
    // Names must still be names the enum has.
    assert!(json::decode::<FibEntry>(br#"{"action":"SIDEWAYS"}"#).is_err());
}
