//! Typed brokers: round trips, and a value that does not decode is reported (naming key
//! and Rust type) without ending a watch or a listing.

use std::sync::Arc;

use futures::StreamExt;

use cninfra_kv::{
    ChangeKind, JsonBroker, KvError, KvStore, MemoryStore, ProtoBroker, PutOptions, TypedEvent,
};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Route {
    dst: String,
    metric: u32,
}

#[derive(Clone, PartialEq, prost::Message)]
struct Interface {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(uint32, tag = "2")]
    mtu: u32,
}

fn route(metric: u32) -> Route {
    Route {
        dst: "10.0.0.0/8".into(),
        metric,
    }
}

async fn raw_put(store: &MemoryStore, key: &str, bytes: &'static [u8]) {
    store
        .put(key, bytes.into(), PutOptions::default())
        .await
        .unwrap();
}

fn assert_decode_error(err: &KvError, key: &str, type_fragment: &str) {
    let KvError::Decode {
        key: at, type_name, ..
    } = err
    else {
        panic!("expected a decode error, got {err}");
    };
    assert_eq!(at, key);
    assert!(type_name.contains(type_fragment), "{type_name}");
    let text = err.to_string();
    assert!(text.contains(key) && text.contains(type_fragment), "{text}");
}

#[tokio::test]
async fn json_watch_goes_on_after_a_bad_value() {
    let store = MemoryStore::new();
    let routes: JsonBroker<Route> = JsonBroker::new(Arc::new(store.clone()));
    let mut watch = routes.watch(&["r/"], None).await.unwrap();

    routes.put("r/1", &route(1)).await.unwrap();
    raw_put(&store, "r/1", b"{not json").await;
    routes.put("r/1", &route(3)).await.unwrap();
    routes.delete("r/1").await.unwrap();

    let Some(Ok(TypedEvent::Change(first))) = watch.next().await else {
        panic!()
    };
    assert_eq!((first.key.as_str(), first.value), ("r/1", Some(route(1))));
    let err = watch.next().await.unwrap().unwrap_err();
    assert_decode_error(&err, "r/1", "Route");
    let Some(Ok(TypedEvent::Change(third))) = watch.next().await else {
        panic!()
    };
    assert_eq!(third.value, Some(route(3)));
    assert_eq!(
        third.prev_value, None,
        "the undecodable previous value is left out"
    );
    let Some(Ok(TypedEvent::Change(deleted))) = watch.next().await else {
        panic!()
    };
    assert_eq!(deleted.kind, ChangeKind::Delete);
    assert_eq!((deleted.value, deleted.prev_value), (None, Some(route(3))));
}

#[tokio::test]
async fn json_get_and_list_name_the_bad_key() {
    let store = MemoryStore::new();
    let routes: JsonBroker<Route> = JsonBroker::new(Arc::new(store.clone()));
    routes.put("r/a", &route(1)).await.unwrap();
    raw_put(&store, "r/b", b"[]").await;
    routes.put("r/c", &route(3)).await.unwrap();

    assert_decode_error(&routes.get("r/b").await.unwrap_err(), "r/b", "Route");
    assert!(routes.get("r/none").await.unwrap().is_none());

    let listed: Vec<_> = routes.list("r/").collect().await;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].as_ref().unwrap().value, route(1));
    assert_decode_error(listed[1].as_ref().unwrap_err(), "r/b", "Route");
    assert_eq!(listed[2].as_ref().unwrap().key, "r/c");
}

#[tokio::test]
async fn proto_broker_round_trip_and_bad_value() {
    let store = MemoryStore::new();
    let ifaces: ProtoBroker<Interface> = ProtoBroker::new(Arc::new(store.clone()));
    let mut watch = ifaces.watch(&["if/"], None).await.unwrap();
    let eth0 = Interface {
        name: "eth0".into(),
        mtu: 1500,
    };
    let rev = ifaces.put("if/eth0", &eth0).await.unwrap();
    let got = ifaces.get("if/eth0").await.unwrap().unwrap();
    assert_eq!((got.value, got.revision), (eth0.clone(), rev));
    // A truncated varint is not a valid message.
    raw_put(&store, "if/eth1", b"\x10").await;
    ifaces.put("if/eth2", &eth0).await.unwrap();

    assert!(matches!(watch.next().await, Some(Ok(TypedEvent::Change(c))) if c.key == "if/eth0"));
    assert_decode_error(
        &watch.next().await.unwrap().unwrap_err(),
        "if/eth1",
        "Interface",
    );
    assert!(matches!(watch.next().await, Some(Ok(TypedEvent::Change(c))) if c.key == "if/eth2"));
}

#[tokio::test]
async fn typed_watch_passes_resync_through() {
    let store = MemoryStore::builder().history_limit(1).build();
    let routes: JsonBroker<Route> = JsonBroker::new(Arc::new(store.clone()));
    let first = routes.put("r/1", &route(1)).await.unwrap();
    routes.put("r/2", &route(2)).await.unwrap();
    let mut watch = routes.watch(&["r/"], Some(first)).await.unwrap();
    assert!(matches!(
        watch.next().await,
        Some(Ok(TypedEvent::Resync(_)))
    ));
}

#[tokio::test]
async fn encode_error_names_key_and_type() {
    #[derive(Debug)]
    struct NotJson;
    impl serde::Serialize for NotJson {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("refused"))
        }
    }
    impl<'de> serde::Deserialize<'de> for NotJson {
        fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
            Err(serde::de::Error::custom("refused"))
        }
    }
    let store = Arc::new(MemoryStore::new());
    let broker: JsonBroker<NotJson> = JsonBroker::new(store.clone());
    let err = broker.put("x", &NotJson).await.unwrap_err();
    assert!(
        matches!(&err, KvError::Encode { key, type_name, .. } if key == "x" && type_name.contains("NotJson")),
        "{err}"
    );
    assert!(store.get("x").await.unwrap().is_none());
}
