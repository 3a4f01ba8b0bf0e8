//! The store wrapper on a memory store: JSON and protobuf values, several keys, failures
//! that name the key and let the rest go on.

use std::sync::Arc;

use bytes::Bytes;
use cninfra_cryptodata::{
    Decrypter, DecryptingStore, PrivateKeys, ProtoFields, encrypt_field, encrypt_json_string,
};
use cninfra_kv::{KvStore, MemoryStore, PutOptions, WatchEvent};
use cninfra_models::{ModelRegistry, ModelSpec};
use futures::StreamExt;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{Value, json};

fn key() -> RsaPrivateKey {
    // 1024 bits keeps key generation quick in debug builds; the format does not depend on it.
    RsaPrivateKey::new(&mut rand::thread_rng(), 1024).unwrap()
}

struct Fixture {
    raw: MemoryStore,
    store: DecryptingStore<MemoryStore>,
    public: RsaPublicKey,
    second: RsaPublicKey,
}

fn fixture(fields: ProtoFields) -> Fixture {
    let (first, second) = (key(), key());
    let (public, second_public) = (first.to_public_key(), second.to_public_key());
    let raw = MemoryStore::new();
    let keys = PrivateKeys::from_keys(vec![first, second]);
    let store = DecryptingStore::new(raw.clone(), Arc::new(Decrypter::new(keys, fields)));
    Fixture {
        raw,
        store,
        public,
        second: second_public,
    }
}

async fn put(store: &MemoryStore, key: &str, value: &Value) {
    store
        .put(key, Bytes::from(value.to_string()), PutOptions::default())
        .await
        .unwrap();
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[tokio::test]
async fn marked_json_is_decrypted_at_any_depth_with_either_key_and_loses_its_marker() {
    let f = fixture(ProtoFields::new());
    let a = encrypt_json_string(b"top secret", &f.public).unwrap();
    let b = encrypt_json_string(b"other key", &f.second).unwrap();
    let c = encrypt_json_string("ünïcode".as_bytes(), &f.public).unwrap();
    let value = json!({
        "encrypted": true,
        "name": "db",
        "password": a,
        "nested": {"token": b, "plain": "$crypt$ no"},
        "list": [{"k": c}, "plain"],
    });
    put(&f.raw, "cfg/db", &value).await;
    let got = f.store.get("cfg/db").await.unwrap().unwrap();
    assert_eq!(
        json_of(&got.value),
        json!({
            "name": "db",
            "password": "top secret",
            "nested": {"token": "other key", "plain": "$crypt$ no"},
            "list": [{"k": "ünïcode"}, "plain"],
        })
    );
}

#[tokio::test]
async fn unmarked_values_pass_unchanged() {
    let f = fixture(ProtoFields::new());
    let secret = encrypt_json_string(b"x", &f.public).unwrap();
    for (key, value) in [
        ("cfg/a", format!(r#"{{"encrypted":false,"p":"{secret}"}}"#)),
        ("cfg/b", format!(r#"{{ "p":"{secret}" }}"#)),
        ("cfg/c", "not json, \"encrypted\": true".to_owned()),
    ] {
        f.raw
            .put(key, value.clone().into(), PutOptions::default())
            .await
            .unwrap();
        let got = f.store.get(key).await.unwrap().unwrap();
        assert_eq!(got.value, Bytes::from(value), "{key}");
    }
}

#[tokio::test]
async fn a_value_that_does_not_decrypt_is_an_error_naming_the_key_and_the_listing_goes_on() {
    let f = fixture(ProtoFields::new());
    let foreign = encrypt_json_string(b"plaintext-of-foreign", &key().to_public_key()).unwrap();
    let good = encrypt_json_string(b"fine", &f.public).unwrap();
    put(&f.raw, "cfg/1", &json!({"encrypted": true, "p": good})).await;
    put(&f.raw, "cfg/2", &json!({"encrypted": true, "p": foreign})).await;
    put(
        &f.raw,
        "cfg/3",
        &json!({"encrypted": true, "q": "$crypto$not base64!"}),
    )
    .await;
    put(&f.raw, "cfg/4", &json!({"plain": 1})).await;

    let items: Vec<_> = f.store.list_values("cfg/").collect().await;
    assert_eq!(items.len(), 4);
    assert_eq!(
        json_of(&items[0].as_ref().unwrap().value),
        json!({"p": "fine"})
    );
    assert!(items[3].is_ok());
    for (item, key, field, reason) in [
        (
            &items[1],
            "cfg/2",
            "p",
            "none of the 2 private keys decrypts it",
        ),
        (&items[2], "cfg/3", "q", "not base64url"),
    ] {
        let err = item.as_ref().unwrap_err();
        let chain = format!("{err}: {}", std::error::Error::source(err).unwrap());
        assert_eq!(
            chain,
            format!(
                "cannot decode the value of `{key}`: not a valid `encrypted JSON value`: field `{field}`: cannot decrypt: {reason}"
            )
        );
        assert!(err.is_codec());
        assert!(!chain.contains("$crypto$") && !chain.contains("plaintext"));
    }
    let err = f.store.get("cfg/2").await.unwrap_err();
    assert!(err.to_string().contains("cfg/2"));
}

#[tokio::test]
async fn watch_events_come_decrypted_and_a_bad_one_does_not_end_the_stream() {
    let f = fixture(ProtoFields::new());
    let mut events = f.store.watch(&["cfg/"], None).await.unwrap();
    let one = encrypt_json_string(b"one", &f.public).unwrap();
    let two = encrypt_json_string(b"two", &f.second).unwrap();
    put(&f.raw, "cfg/a", &json!({"encrypted": true, "v": one})).await;
    put(
        &f.raw,
        "cfg/b",
        &json!({"encrypted": true, "v": "$crypto$AAAA"}),
    )
    .await;
    put(&f.raw, "cfg/a", &json!({"encrypted": true, "v": two})).await;

    let Some(Ok(WatchEvent::Change(first))) = events.next().await else {
        panic!("no first change")
    };
    assert_eq!(json_of(&first.value), json!({"v": "one"}));
    let second = events.next().await.unwrap().unwrap_err();
    assert!(second.to_string().contains("cfg/b"));
    let Some(Ok(WatchEvent::Change(third))) = events.next().await else {
        panic!("no third change")
    };
    assert_eq!(json_of(&third.value), json!({"v": "two"}));
    let prev = third
        .prev_value
        .expect("memory store reports previous values");
    assert_eq!(json_of(&prev), json!({"v": "one"}));
}

/// A protobuf model with a registered field: the field holds base64url without prefix and
/// needs no marker; both JSON names of the field are matched, under an agent prefix too.
#[tokio::test]
async fn registered_protobuf_fields_are_decrypted_by_model() {
    let mut registry = ModelRegistry::new();
    registry
        .register::<prost_types::Api>(ModelSpec::new("example", "v1", "apis").unwrap(), None)
        .unwrap();
    let model = registry.get("example.apis").unwrap();
    let mut fields = ProtoFields::new();
    fields
        .register(model, &[&["methods", "request_type_url"], &["version"]])
        .unwrap();
    assert!(
        ProtoFields::new()
            .register(model, &[&["methods", "nope"]])
            .is_err()
    );
    assert!(ProtoFields::new().register(model, &[&["methods"]]).is_err());
    let f = fixture(fields);
    let value = json!({
        "name": "a",
        "version": encrypt_field(b"v-secret", &f.public).unwrap(),
        "methods": [
            {"name": "m1", "requestTypeUrl": encrypt_field(b"url-1", &f.second).unwrap()},
            {"name": "m2", "request_type_url": ""},
        ],
    });
    let key = "/vnf-agent/a1/config/example/v1/apis/a";
    put(&f.raw, key, &value).await;
    let got = f.store.get(key).await.unwrap().unwrap();
    assert_eq!(
        json_of(&got.value),
        json!({
            "name": "a",
            "version": "v-secret",
            "methods": [
                {"name": "m1", "requestTypeUrl": "url-1"},
                {"name": "m2", "request_type_url": ""},
            ],
        })
    );
    // The same value under a key of no registered model is left alone.
    put(&f.raw, "cfg/other", &value).await;
    let got = f.store.get("cfg/other").await.unwrap().unwrap();
    assert_eq!(json_of(&got.value), value);
    // A binary value of a registered model is refused rather than passed on encrypted.
    f.raw
        .put(key, Bytes::from_static(b"\x0a\x01a"), PutOptions::default())
        .await
        .unwrap();
    let err = f.store.get(key).await.unwrap_err();
    assert!(err.is_codec());
}
