//! Typed brokers: round trips (prost messages as proto3 JSON by default, binary when chosen),
//! and a value that does not decode is reported (naming the key, the message or type and the
//! field) without ending a watch or a listing.

use std::sync::Arc;

use futures::StreamExt;

use cninfra_kv::{
    ChangeKind, JsonBroker, KvError, KvStore, MemoryStore, ProtoBinaryBroker, ProtoBroker,
    PutOptions, TypedEvent,
};
use cninfra_ligato::vpp::l2::FibEntry;
use cninfra_ligato::vpp::l2::fib_entry::Action;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Route {
    dst: String,
    metric: u32,
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

fn fib(bridge_domain: &str, mac: &str, action: Action) -> FibEntry {
    FibEntry {
        phys_address: mac.into(),
        bridge_domain: bridge_domain.into(),
        action: action.into(),
        outgoing_interface: "tap1".into(),
        ..FibEntry::default()
    }
}

/// The error with its causes, as logs and statuses show it.
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// `err` is a decode error of `key` whose text names `key`, the message or type
/// (`type_fragment`) and, when given, the field.
fn assert_decode_error(err: &KvError, key: &str, type_fragment: &str, field: Option<&str>) {
    let KvError::Decode { key: at, source } = err else {
        panic!("expected a decode error, got {err}");
    };
    assert_eq!(at, key);
    assert!(source.message.contains(type_fragment), "{source:?}");
    if let Some(field) = field {
        assert_eq!(source.path, field, "{source:?}");
    }
    let text = chain(err);
    assert!(text.contains(key) && text.contains(type_fragment), "{text}");
    assert!(
        field.is_none_or(|field| text.contains(&format!("field `{field}`"))),
        "{text}"
    );
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
    assert_decode_error(&err, "r/1", "Route", None);
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
    raw_put(&store, "r/b", br#"{"dst":"10.0.0.0/8","metric":"high"}"#).await;
    routes.put("r/c", &route(3)).await.unwrap();

    assert_decode_error(
        &routes.get("r/b").await.unwrap_err(),
        "r/b",
        "Route",
        Some("metric"),
    );
    assert!(routes.get("r/none").await.unwrap().is_none());

    let listed: Vec<_> = routes.list("r/").collect().await;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].as_ref().unwrap().value, route(1));
    assert_decode_error(
        listed[1].as_ref().unwrap_err(),
        "r/b",
        "Route",
        Some("metric"),
    );
    assert_eq!(listed[2].as_ref().unwrap().key, "r/c");
}

const MAC: &str = "62:89:c6:a3:7e:3a";

#[tokio::test]
async fn proto_broker_stores_proto3_json_and_reads_upstreams_form() {
    let store = MemoryStore::new();
    let fibs: ProtoBroker<FibEntry> = ProtoBroker::new(Arc::new(store.clone()));
    let drop = fib("bd1", MAC, Action::Drop);
    let rev = fibs.put("fib/bd1/mac/a", &drop).await.unwrap();

    let stored = store.get("fib/bd1/mac/a").await.unwrap().unwrap();
    let text = std::str::from_utf8(&stored.value).unwrap();
    assert!(
        text.contains(r#""action":"DROP""#) && text.contains(r#""bridgeDomain":"bd1""#),
        "{text}"
    );
    let got = fibs.get("fib/bd1/mac/a").await.unwrap().unwrap();
    assert_eq!((got.value, got.revision), (drop, rev));

    // As a Go agent or `etcdctl put` writes it: original field names, enum by name.
    raw_put(
        &store,
        "fib/bd1/mac/b",
        br#"{"phys_address":"62:89:c6:a3:7e:3b","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}"#,
    )
    .await;
    let got = fibs.get("fib/bd1/mac/b").await.unwrap().unwrap();
    assert_eq!(got.value, fib("bd1", "62:89:c6:a3:7e:3b", Action::Forward));
}

#[tokio::test]
async fn proto_decode_errors_name_key_message_and_field_and_the_rest_goes_on() {
    let store = MemoryStore::new();
    let fibs: ProtoBroker<FibEntry> = ProtoBroker::new(Arc::new(store.clone()));
    let mut watch = fibs.watch(&["fib/"], None).await.unwrap();
    fibs.put("fib/a", &fib("bd1", MAC, Action::Forward))
        .await
        .unwrap();
    raw_put(
        &store,
        "fib/b",
        br#"{"bridge_domain":"bd1","action":"FORWARDX"}"#,
    )
    .await;
    fibs.put("fib/c", &fib("bd2", MAC, Action::Drop))
        .await
        .unwrap();

    let bad = "fib/b";
    let err = fibs.get(bad).await.unwrap_err();
    assert_decode_error(&err, bad, "ligato.vpp.l2.FIBEntry", Some("action"));

    let listed: Vec<_> = fibs.list("fib/").collect().await;
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].as_ref().unwrap().key, "fib/a");
    assert_decode_error(
        listed[1].as_ref().unwrap_err(),
        bad,
        "ligato.vpp.l2.FIBEntry",
        Some("action"),
    );
    assert_eq!(
        listed[2].as_ref().unwrap().value,
        fib("bd2", MAC, Action::Drop)
    );

    assert!(matches!(watch.next().await, Some(Ok(TypedEvent::Change(c))) if c.key == "fib/a"));
    assert_decode_error(
        &watch.next().await.unwrap().unwrap_err(),
        bad,
        "ligato.vpp.l2.FIBEntry",
        Some("action"),
    );
    let Some(Ok(TypedEvent::Change(third))) = watch.next().await else {
        panic!("the watch goes on after the bad value")
    };
    assert_eq!(third.value, Some(fib("bd2", MAC, Action::Drop)));
}

#[tokio::test]
async fn binary_is_an_explicit_choice() {
    let store = MemoryStore::new();
    let binary: ProtoBinaryBroker<FibEntry> = ProtoBinaryBroker::new(Arc::new(store.clone()));
    let mut watch = binary.watch(&["fib/"], None).await.unwrap();
    let drop = fib("bd1", MAC, Action::Drop);
    let rev = binary.put("fib/a", &drop).await.unwrap();
    let got = binary.get("fib/a").await.unwrap().unwrap();
    assert_eq!((got.value, got.revision), (drop.clone(), rev));
    let stored = store.get("fib/a").await.unwrap().unwrap();
    assert_eq!(
        stored.value.as_ref(),
        prost::Message::encode_to_vec(&drop).as_slice()
    );
    // Binary bytes are not proto3 JSON: the default broker names the key.
    let json: ProtoBroker<FibEntry> = ProtoBroker::new(Arc::new(store.clone()));
    assert_decode_error(
        &json.get("fib/a").await.unwrap_err(),
        "fib/a",
        "FIBEntry",
        None,
    );

    // A truncated varint is not a valid message; the watch goes on.
    raw_put(&store, "fib/b", b"\x10").await;
    binary.put("fib/c", &drop).await.unwrap();
    assert!(matches!(watch.next().await, Some(Ok(TypedEvent::Change(c))) if c.key == "fib/a"));
    assert_decode_error(
        &watch.next().await.unwrap().unwrap_err(),
        "fib/b",
        "FibEntry",
        None,
    );
    assert!(matches!(watch.next().await, Some(Ok(TypedEvent::Change(c))) if c.key == "fib/c"));
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
        matches!(&err, KvError::Encode { key, source } if key == "x" && source.type_name.contains("NotJson")),
        "{err}"
    );
    let text = chain(&err);
    assert!(
        text.contains("`x`") && text.contains("NotJson") && text.contains("refused"),
        "{text}"
    );
    assert!(store.get("x").await.unwrap().is_none());
}
