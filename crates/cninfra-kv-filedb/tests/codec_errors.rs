//! Typed access on the file DB: a file value that does not fit the type is an error naming
//! the key and type, in `get` and in watch streams (which go on after it).

mod fixture;

use std::sync::Arc;
use std::time::Duration;

use cninfra_kv::{JsonBroker, TypedEvent};
use fixture::{Fixture, write, yaml};
use futures::StreamExt;

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Interface {
    name: String,
    mtu: u32,
}

#[tokio::test]
async fn values_of_the_wrong_shape_are_decode_errors_naming_key_and_type() {
    let f = Fixture::new(&[(
        "if.yaml",
        &yaml(&[
            ("if/eth0", "{name: eth0, mtu: 1500}"),
            ("if/bad", "{name: bad, mtu: lots}"),
        ]),
    )])
    .await;
    let interfaces: JsonBroker<Interface> = JsonBroker::new(Arc::new(f.store.clone()));
    let eth0 = interfaces.get("if/eth0").await.unwrap().unwrap();
    assert_eq!(
        eth0.value,
        Interface {
            name: "eth0".into(),
            mtu: 1500
        }
    );
    let err = interfaces.get("if/bad").await.unwrap_err();
    assert!(err.is_codec(), "{err:?}");
    // The key in the error, the type and the field in its source.
    let text = cninfra_testsupport::error_chain(&err);
    assert!(
        err.to_string().contains("if/bad")
            && text.contains("Interface")
            && text.contains("field `mtu`"),
        "{text}"
    );

    let mut watch = interfaces.watch(&["if/"], None).await.unwrap();
    write(
        &f.data("if.yaml"),
        &yaml(&[("if/eth0", "{name: eth0, mtu: 9000}"), ("if/bad", "7")]),
    );
    let mut next = async || {
        tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .expect("an item within 10 s")
            .expect("stream open")
    };
    // One revision, key order: `if/bad` (undecodable) first, then `if/eth0`.
    let err = next().await.unwrap_err();
    assert!(err.to_string().contains("if/bad"), "{err}");
    match next().await.unwrap() {
        TypedEvent::Change(change) => assert_eq!(change.value.map(|v| v.mtu), Some(9000)),
        other => panic!("{other:?}"),
    }
}
