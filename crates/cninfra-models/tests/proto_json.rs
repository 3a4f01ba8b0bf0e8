//! Proto3 JSON by descriptor (the dynamic path of the generic API and tools): round trips of
//! upstream-shaped samples, and errors that name the message and the field.

use std::sync::LazyLock;

use cninfra_models::json::{decode_dynamic, encode_dynamic};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, Value};
use serde_json::json;

/// Upstream's VPP protos (as cninfra-ligato keeps them) and the test's extra shapes.
static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    let fds = protox::compile(
        ["shapes.proto", "ligato/vpp/l2/fib.proto"],
        ["tests/protos", "../cninfra-ligato/proto"],
    )
    .unwrap();
    DescriptorPool::from_file_descriptor_set(fds).unwrap()
});

fn message(name: &str) -> MessageDescriptor {
    POOL.get_message_by_name(name).unwrap()
}

fn decode(name: &str, json: serde_json::Value) -> DynamicMessage {
    decode_dynamic(message(name), json.to_string().as_bytes()).unwrap()
}

const INTERFACE: &str = "ligato.vpp.interfaces.Interface";

/// An interface as an upstream user writes it with `etcdctl put`: original field names,
/// enums by name, a oneof, repeated and nested messages.
fn upstream_interface() -> serde_json::Value {
    json!({
        "name": "tap1",
        "type": "TAP",
        "enabled": true,
        "phys_address": "62:89:c6:a3:7e:3a",
        "ip_addresses": ["10.0.0.1/24", "fd00::1/64"],
        "mtu": 1500,
        "rx_modes": [{"queue": 0, "mode": "POLLING"}, {"queue": 1, "mode": "INTERRUPT"}],
        "tap": {"version": 2, "host_if_name": "tap-host"}
    })
}

#[test]
fn upstream_sample_decodes_field_by_field() {
    let msg = decode(INTERFACE, upstream_interface());
    let get = |name: &str| msg.get_field_by_name(name).unwrap().into_owned();
    assert_eq!(get("name"), Value::String("tap1".into()));
    assert_eq!(get("type"), Value::EnumNumber(5));
    let modes = get("rx_modes");
    let modes = modes.as_list().unwrap();
    assert_eq!(
        modes[1]
            .as_message()
            .unwrap()
            .get_field_by_name("mode")
            .unwrap()
            .as_enum_number(),
        Some(2)
    );
    assert!(msg.has_field_by_name("tap"), "the oneof case is set");
    assert!(!msg.has_field_by_name("memif"));
}

#[test]
fn output_is_canonical_and_reads_back() {
    let msg = decode(INTERFACE, upstream_interface());
    let out = encode_dynamic(&msg);
    assert_eq!(
        out,
        json!({
            "name": "tap1",
            "type": "TAP",
            "enabled": true,
            "physAddress": "62:89:c6:a3:7e:3a",
            "ipAddresses": ["10.0.0.1/24", "fd00::1/64"],
            "mtu": 1500,
            "rxModes": [{"mode": "POLLING"}, {"queue": 1, "mode": "INTERRUPT"}],
            "tap": {"version": 2, "hostIfName": "tap-host"}
        })
    );
    assert_eq!(encode_dynamic(&decode(INTERFACE, out.clone())), out);
}

#[test]
fn sixty_four_bit_integers_maps_and_well_known_types() {
    let msg = decode(
        "test.shapes.Counters",
        json!({
            "interface": {"name": "tap1"},
            "stats_offset": "-5",
            "rx_bytes": 12345,
            "labels": {"owner": "ops"},
            "keepalive": "1.500s"
        }),
    );
    assert_eq!(
        msg.get_field_by_name("stats_offset").unwrap().as_i64(),
        Some(-5)
    );
    assert_eq!(
        encode_dynamic(&msg),
        json!({
            "interface": {"name": "tap1"},
            "statsOffset": "-5",
            "rxBytes": "12345",
            "labels": {"owner": "ops"},
            "keepalive": "1.500s"
        })
    );
}

#[test]
fn original_and_lower_camel_names_and_enum_numbers_agree() {
    let fib = "ligato.vpp.l2.FIBEntry";
    let snake = decode(
        fib,
        json!({"phys_address": "aa:bb:cc:dd:ee:ff", "bridge_domain": "bd1", "action": "DROP"}),
    );
    let camel = decode(
        fib,
        json!({"physAddress": "aa:bb:cc:dd:ee:ff", "bridgeDomain": "bd1", "action": 1}),
    );
    assert_eq!(encode_dynamic(&snake), encode_dynamic(&camel));
}

#[test]
fn any_with_upstream_type_url_round_trips() {
    let item = json!({
        "id": "fib-1",
        "data": {
            "@type": "models.ligato.io/ligato.vpp.l2.FIBEntry",
            "bridgeDomain": "bd1",
            "action": "DROP"
        }
    });
    let msg = decode("test.shapes.Item", item.clone());
    let any = msg.get_field_by_name("data").unwrap();
    let any = any.as_message().unwrap();
    assert_eq!(
        any.get_field_by_name("type_url").unwrap().as_str(),
        Some("models.ligato.io/ligato.vpp.l2.FIBEntry")
    );
    assert_eq!(encode_dynamic(&msg), item);
    let unpacked = cninfra_models::any::unpack(&any.transcode_to().unwrap(), &POOL).unwrap();
    assert_eq!(
        unpacked
            .get_field_by_name("bridge_domain")
            .unwrap()
            .as_str(),
        Some("bd1")
    );
    let err = decode_dynamic(
        message("test.shapes.Item"),
        br#"{"data": {"@type": "models.ligato.io/ligato.vpp.l9.Nothing"}}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("ligato.vpp.l9.Nothing"), "{err}");
}

#[test]
fn errors_name_the_message_and_the_field() {
    let cases = [
        (
            json!({"rx_modes": [{"queue": 0}, {"mode": "POLLINGX"}]}),
            "rx_modes[1].mode",
            "POLLINGX",
        ),
        (json!({"type": "LOOPBACK"}), "type", "LOOPBACK"),
        (json!({"mtu": "big"}), "mtu", "invalid digit"),
        (
            json!({"tap": {"version": 2}, "memif": {"id": 1}}),
            "",
            "oneof 'link'",
        ),
        (json!({"colour": "red"}), "", "colour"),
    ];
    for (input, path, mention) in cases {
        let err = decode_dynamic(message(INTERFACE), input.to_string().as_bytes()).unwrap_err();
        assert_eq!(err.message, INTERFACE, "{input}");
        assert_eq!(err.path, path, "{input}: {err}");
        let text = err.to_string();
        assert!(
            text.contains(path) && text.contains(mention),
            "{input}: `{text}` names {path} and {mention}"
        );
    }
    let err = decode_dynamic(message(INTERFACE), b"{\"name\": ").unwrap_err();
    assert_eq!(err.path, "name");
    let err = decode_dynamic(message(INTERFACE), b"[1]").unwrap_err();
    assert_eq!((err.path.as_str(), err.message.as_str()), ("", INTERFACE));
    let err = decode_dynamic(message(INTERFACE), b"{} x").unwrap_err();
    assert!(err.to_string().contains("trailing"), "{err}");
}
