//! Proto3 JSON as upstream writes it: round trips of upstream-shaped samples and errors that
//! name the message and the field.

use std::sync::LazyLock;

use cninfra_models::json::{decode_dynamic, encode_dynamic};
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, Value};
use serde_json::json;

static POOL: LazyLock<DescriptorPool> = LazyLock::new(|| {
    let fds = protox::compile(["shapes.proto", "fib.proto"], ["tests/protos"]).unwrap();
    DescriptorPool::from_file_descriptor_set(fds).unwrap()
});

fn pool() -> DescriptorPool {
    POOL.clone()
}

fn message(name: &str) -> MessageDescriptor {
    pool().get_message_by_name(name).unwrap()
}

fn decode(name: &str, json: serde_json::Value) -> DynamicMessage {
    decode_dynamic(message(name), json.to_string().as_bytes()).unwrap()
}

/// An interface as an upstream user writes it with `etcdctl put`: original field names,
/// enums by name, a oneof, repeated and nested messages, 64-bit integers as string and
/// number, a map and a well-known type.
fn upstream_interface() -> serde_json::Value {
    json!({
        "name": "tap1",
        "type": "TAP",
        "enabled": true,
        "phys_address": "62:89:c6:a3:7e:3a",
        "ip_addresses": ["10.0.0.1/24", "fd00::1/64"],
        "mtu": 1500,
        "rx_modes": [{"queue": 0, "mode": "POLLING"}, {"queue": 1, "mode": "INTERRUPT"}],
        "tap": {"version": 2, "host_if_name": "tap-host"},
        "stats_offset": "-5",
        "rx_bytes": 12345,
        "labels": {"owner": "ops"},
        "keepalive": "1.500s"
    })
}

#[test]
fn upstream_sample_decodes_field_by_field() {
    let msg = decode("test.shapes.Interface", upstream_interface());
    let get = |name: &str| msg.get_field_by_name(name).unwrap().into_owned();
    assert_eq!(get("name"), Value::String("tap1".into()));
    assert_eq!(get("type"), Value::EnumNumber(5));
    assert_eq!(get("stats_offset"), Value::I64(-5));
    assert_eq!(get("rx_bytes"), Value::U64(12345));
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
    let msg = decode("test.shapes.Interface", upstream_interface());
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
            "tap": {"version": 2, "hostIfName": "tap-host"},
            "statsOffset": "-5",
            "rxBytes": "12345",
            "labels": {"owner": "ops"},
            "keepalive": "1.500s"
        })
    );
    assert_eq!(
        encode_dynamic(&decode("test.shapes.Interface", out.clone())),
        out
    );
}

#[test]
fn original_and_lower_camel_names_and_enum_numbers_agree() {
    let snake = decode(
        "test.fib.Fib",
        json!({"phys_address": "aa:bb:cc:dd:ee:ff", "bridge_domain": "bd1", "action": "DROP"}),
    );
    let camel = decode(
        "test.fib.Fib",
        json!({"physAddress": "aa:bb:cc:dd:ee:ff", "bridgeDomain": "bd1", "action": 1}),
    );
    assert_eq!(encode_dynamic(&snake), encode_dynamic(&camel));
}

#[test]
fn any_with_upstream_type_url_round_trips() {
    let item = json!({
        "id": "fib-1",
        "data": {
            "@type": "models.ligato.io/test.fib.Fib",
            "bridgeDomain": "bd1",
            "action": "DROP"
        }
    });
    let msg = decode("test.shapes.Item", item.clone());
    let any = msg.get_field_by_name("data").unwrap();
    let any = any.as_message().unwrap();
    assert_eq!(
        any.get_field_by_name("type_url").unwrap().as_str(),
        Some("models.ligato.io/test.fib.Fib")
    );
    assert_eq!(encode_dynamic(&msg), item);
    let unpacked = cninfra_models::any::unpack(&any.transcode_to().unwrap(), &pool()).unwrap();
    assert_eq!(
        unpacked
            .get_field_by_name("bridge_domain")
            .unwrap()
            .as_str(),
        Some("bd1")
    );
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
        let err = decode_dynamic(
            message("test.shapes.Interface"),
            input.to_string().as_bytes(),
        )
        .unwrap_err();
        assert_eq!(err.message, "test.shapes.Interface", "{input}");
        assert_eq!(err.path, path, "{input}: {err}");
        let text = err.to_string();
        assert!(
            text.contains(path) && text.contains(mention),
            "{input}: `{text}` names {path} and {mention}"
        );
    }
    let err = decode_dynamic(message("test.shapes.Interface"), b"{\"name\": ").unwrap_err();
    assert_eq!(err.path, "name");
    let err = decode_dynamic(message("test.shapes.Interface"), b"[1]").unwrap_err();
    assert_eq!(
        (err.path.as_str(), err.message.as_str()),
        ("", "test.shapes.Interface")
    );
    let err = decode_dynamic(message("test.shapes.Interface"), b"{} x").unwrap_err();
    assert!(err.to_string().contains("trailing"), "{err}");
}
