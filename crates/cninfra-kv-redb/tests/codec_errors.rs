//! Typed access on the redb store: a value that does not decode is an error naming the
//! key and type, at `get`, in lists and in watch streams (which go on after it).

use std::sync::Arc;
use std::time::Duration;

use cninfra_kv::{JsonBroker, KvStore, TypedEvent};
use cninfra_kv_redb::{RedbConfig, RedbStore};
use futures::StreamExt;

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Route {
    dst: String,
    metric: u32,
}

async fn next(
    watch: &mut cninfra_kv::TypedWatchStream<Route>,
) -> Result<TypedEvent<Route>, cninfra_kv::KvError> {
    tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("an item within 10 s")
        .expect("stream open")
}

#[tokio::test]
async fn undecodable_values_are_errors_naming_key_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let store = RedbStore::open(RedbConfig::at(dir.path().join("kv.redb")))
        .await
        .unwrap();
    let routes: JsonBroker<Route> = JsonBroker::new(Arc::new(store.clone()));
    let mut watch = routes.watch(&["route/"], None).await.unwrap();

    store
        .put("route/bad", "{\"dst\": 5}".into(), Default::default())
        .await
        .unwrap();
    let good = Route {
        dst: "10.0.0.0/8".into(),
        metric: 1,
    };
    routes.put("route/good", &good).await.unwrap();

    let err = routes.get("route/bad").await.unwrap_err();
    assert!(err.is_codec(), "{err:?}");
    assert!(err.to_string().contains("route/bad"), "{err}");
    // The type and the field are in its source.
    let cninfra_kv::KvError::Decode { key, source } = &err else {
        panic!("a decode error: {err:?}")
    };
    assert_eq!(key, "route/bad");
    assert!(
        source.message.contains("Route") && source.path == "dst",
        "{source}"
    );

    let first = next(&mut watch).await.unwrap_err();
    assert!(first.to_string().contains("route/bad"), "{first}");
    match next(&mut watch).await.unwrap() {
        TypedEvent::Change(change) => assert_eq!(change.value, Some(good)),
        other => panic!("{other:?}"),
    }
    store.close().await.unwrap();
}
