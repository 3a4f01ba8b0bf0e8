//! Prefixed views: relative keys everywhere, including transactions and watches.

use futures::{StreamExt, TryStreamExt};

use cninfra_kv::{DeleteOptions, KvStore, KvStoreExt, MemoryStore, PutOptions, Txn, WatchEvent};

#[tokio::test]
async fn keys_are_relative_on_every_operation() {
    let store = MemoryStore::new();
    let view = store.clone().with_prefix("/vnf-agent/vpp1/");
    store
        .put(
            "/vnf-agent/vpp2/config/a",
            "other".into(),
            PutOptions::default(),
        )
        .await
        .unwrap();

    let rev = view
        .put("config/a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        store
            .get("/vnf-agent/vpp1/config/a")
            .await
            .unwrap()
            .map(|v| v.revision),
        Some(rev)
    );
    assert_eq!(view.get("config/a").await.unwrap().unwrap().value, "1");
    let keys: Vec<String> = view.list_keys("").try_collect().await.unwrap();
    assert_eq!(keys, ["config/a"]);
    let entries: Vec<_> = view.list_values("config/").try_collect().await.unwrap();
    assert_eq!(entries[0].key, "config/a");

    assert!(view.delete("", DeleteOptions::prefix()).await.unwrap());
    assert!(
        store
            .get("/vnf-agent/vpp2/config/a")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        !view
            .delete("config/a", DeleteOptions::default())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn transactions_honour_the_prefix() {
    let store = MemoryStore::new();
    let view = store.clone().with_prefix("/p/");
    view.put("old", "x".into(), PutOptions::default())
        .await
        .unwrap();
    view.put("dir/1", "x".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .put("/old", "outside".into(), PutOptions::default())
        .await
        .unwrap();

    Txn::new()
        .put("new", "1")
        .delete("old")
        .delete_with("dir/", DeleteOptions::prefix())
        .commit(&view)
        .await
        .unwrap();
    let keys: Vec<String> = store.list_keys("").try_collect().await.unwrap();
    assert_eq!(keys, ["/old", "/p/new"]);
}

#[tokio::test]
async fn watches_strip_the_prefix_and_see_only_the_view() {
    let store = MemoryStore::new();
    let view = store.clone().with_prefix("/p/");
    let mut watch = view.watch(&[""], None).await.unwrap();
    store
        .put("/q/x", "1".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .put("/p/x", "2".into(), PutOptions::default())
        .await
        .unwrap();
    let Some(Ok(WatchEvent::Change(change))) = watch.next().await else {
        panic!()
    };
    assert_eq!((change.key.as_str(), &change.value[..]), ("x", &b"2"[..]));
}

#[tokio::test]
async fn views_nest_and_refuse_empty_keys() {
    let store = MemoryStore::new();
    let inner = store.clone().with_prefix("a/").with_prefix("b/");
    inner
        .put("k", "1".into(), PutOptions::default())
        .await
        .unwrap();
    assert!(store.get("a/b/k").await.unwrap().is_some());
    assert_eq!(inner.prefix(), "b/");

    let err = inner
        .put("", "1".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert!(err.is_invalid_key(), "{err}");
    assert!(inner.get("").await.unwrap_err().is_invalid_key());
    let err = Txn::new()
        .put("ok", "1")
        .put("", "2")
        .commit(&inner)
        .await
        .unwrap_err();
    assert!(err.is_invalid_key());
    assert!(
        inner.get("ok").await.unwrap().is_none(),
        "nothing of a refused txn applies"
    );
}
