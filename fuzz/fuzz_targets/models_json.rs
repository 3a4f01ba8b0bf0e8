//! Proto3 JSON values of the models: any bytes as the value of every upstream model
//! (`cninfra-ligato`'s VPP and Linux models), read as a dynamic message and as the typed
//! prost message. Nothing may panic; a value that reads is written back to JSON that reads
//! as the same message, and its key is computed (or refused) without panicking.

#![no_main]

use cninfra_fuzz::registry;
use cninfra_ligato::{linux, vpp};
use cninfra_models::json::{decode, decode_dynamic, encode_dynamic};
use cninfra_models::template::Fields;
use libfuzzer_sys::fuzz_target;
use prost_reflect::ReflectMessage;

/// The typed decode, and its round trip through proto3 JSON.
fn typed<M>(data: &[u8])
where
    M: ReflectMessage + Fields + Default + serde::Serialize + serde::de::DeserializeOwned,
{
    let Ok(msg) = decode::<M>(data) else {
        return;
    };
    // Compared as JSON, where a NaN equals itself.
    let json = serde_json::to_vec(&msg).expect("a message writes as JSON");
    let again = decode::<M>(&json).expect("written JSON reads back");
    let json_again = serde_json::to_vec(&again).expect("a message writes as JSON");
    assert_eq!(
        String::from_utf8_lossy(&json_again),
        String::from_utf8_lossy(&json),
        "round trip changed the message"
    );
    let _ = registry().key_of_message(&msg);
}

fuzz_target!(|data: &[u8]| {
    let registry = registry();
    for model in registry.models() {
        let Some(desc) = model.descriptor() else {
            continue;
        };
        let Ok(msg) = decode_dynamic(desc.clone(), data) else {
            continue;
        };
        let json = encode_dynamic(&msg);
        let bytes = serde_json::to_vec(&json).expect("a JSON value writes");
        let again = decode_dynamic(desc.clone(), &bytes).expect("written JSON reads back");
        assert_eq!(
            encode_dynamic(&again),
            json,
            "round trip changed the message"
        );
        let _ = registry.key_of_dynamic(&msg);
    }
    typed::<vpp::interfaces::Interface>(data);
    typed::<vpp::l2::BridgeDomain>(data);
    typed::<vpp::l2::FibEntry>(data);
    typed::<vpp::l2::XConnectPair>(data);
    typed::<linux::interfaces::Interface>(data);
    typed::<linux::l3::Route>(data);
    typed::<linux::l3::ArpEntry>(data);
    typed::<linux::netns::NamedNetns>(data);
});
