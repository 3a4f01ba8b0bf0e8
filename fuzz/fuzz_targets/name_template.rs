//! Name templates: any text as a template (Go `text/template` subset), rendered over a JSON
//! object and over a dynamic message of upstream's VPP interface. The input is the template,
//! optionally followed by a NUL byte and the JSON data. Nothing may panic; a parsed template
//! renders (or fails with an error) in bounded time and output.

#![no_main]

use std::sync::OnceLock;

use cninfra_models::json::decode_dynamic;
use cninfra_models::template::NameTemplate;
use libfuzzer_sys::fuzz_target;
use prost_reflect::{DynamicMessage, ReflectMessage};

const DEFAULT_DATA: &str = r#"{"name":"tap1","type":"TAP","enabled":true,"phys_address":"a2:01:01:01:01:01","ip_addresses":["10.0.0.1/24","fd00::1/64"],"mtu":1500,"vrf":0,"dst_network":"10.1.2.3/24","outgoing_interface":"tap0","bridge_domain":"bd1","rx_modes":[{"queue":1}],"nested":{"a":{"b":[1,2.5,"x",null]}}}"#;

fn interface() -> &'static DynamicMessage {
    static MESSAGE: OnceLock<DynamicMessage> = OnceLock::new();
    MESSAGE.get_or_init(|| {
        let desc = cninfra_ligato::vpp::interfaces::Interface::default().descriptor();
        decode_dynamic(
            desc,
            br#"{"name":"tap1","type":"TAP","enabled":true,"phys_address":"a2:01:01:01:01:01","ip_addresses":["10.0.0.1/24"],"mtu":1500,"tap":{"version":2}}"#,
        )
        .expect("the sample interface reads")
    })
}

fuzz_target!(|data: &[u8]| {
    let (template, json) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, DEFAULT_DATA.as_bytes()),
    };
    let Ok(template) = std::str::from_utf8(template) else {
        return;
    };
    let Ok(template) = NameTemplate::parse(template) else {
        return;
    };
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(json) {
        let _ = template.render(&value);
    }
    let _ = template.render(interface());
});
