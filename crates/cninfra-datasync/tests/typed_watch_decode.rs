//! Typed watchers decode values (prost messages from proto3 JSON by default, binary when
//! chosen); a value that does not decode is logged and acknowledged as an error naming its
//! key (and the message and field), and the stream goes on.

mod support;

use std::sync::Arc;

use cninfra_datasync::{ProtoBinaryWatcher, StoreSource, TypedSyncEvent};
use cninfra_health::State;
use cninfra_kv::{KvStore, MemoryStore, PutOptions};
use cninfra_ligato::vpp::l2::FibEntry;
use cninfra_ligato::vpp::l2::fib_entry::Action;
use support::logs::Logs;
use support::{Stack, WAIT, plugin_state, plugin_status, quick_config};

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct Item {
    port: u16,
}

fn fib(mac: &str, action: Action) -> FibEntry {
    FibEntry {
        phys_address: mac.into(),
        bridge_domain: "bd1".into(),
        action: action.into(),
        outgoing_interface: "tap1".into(),
        ..FibEntry::default()
    }
}

const FIBS: &str = "config/vpp/l2/v2/fib/";

async fn put(store: &MemoryStore, key: &str, value: &str) {
    store
        .put(
            &format!("/vnf-agent/lbl/{key}"),
            value.to_owned().into(),
            PutOptions::default(),
        )
        .await
        .expect("put");
}

async fn next<T>(
    watcher: &mut cninfra_datasync::TypedWatcher<T, impl cninfra_kv::Codec<T>>,
) -> TypedSyncEvent<T> {
    tokio::time::timeout(WAIT, watcher.recv())
        .await
        .expect("an event in time")
        .expect("open")
}

#[tokio::test]
async fn bad_json_values_are_left_out_reported_and_the_stream_goes_on() {
    let (logs, _guard) = Logs::capture();
    let store = MemoryStore::new();
    put(&store, "config/ex/a", r#"{"port":80}"#).await;
    put(&store, "config/ex/b", "not json").await;
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[],
    )
    .await;
    let mut items = stack
        .sync
        .watch_json::<Item>(&support::ctx("ex"), &["config/ex/"])
        .expect("watch");

    let TypedSyncEvent::Resync(resync) = next(&mut items).await else {
        panic!("resync first")
    };
    let values: Vec<_> = resync
        .values
        .iter()
        .map(|e| (e.key.as_str(), e.value.port))
        .collect();
    assert_eq!(values, [("config/ex/a", 80)]);
    resync.done.ok();
    let error = plugin_state(&stack.status, "ex", State::Error)
        .await
        .expect("text");
    assert!(
        error.contains("failed to apply the resync")
            && error.contains("cannot decode the value of `config/ex/b`"),
        "{error}"
    );
    assert_eq!(
        logs.lines_with(&[
            "value left out of the resync",
            "plugin=ex",
            "key=config/ex/b"
        ])
        .len(),
        1
    );

    put(&store, "config/ex/c", "{").await;
    put(&store, "config/ex/d", r#"{"port":81}"#).await;
    let TypedSyncEvent::Change(change) = next(&mut items).await else {
        panic!("a change")
    };
    assert_eq!(
        (change.key.as_str(), change.value.clone()),
        ("config/ex/d", Some(Item { port: 81 }))
    );
    assert_eq!(
        logs.lines_with(&["change dropped", "plugin=ex", "key=config/ex/c"])
            .len(),
        1
    );
    let expected = "cannot decode the value of `config/ex/c`";
    plugin_status(&stack.status, "ex", |p| {
        p.error.as_deref().is_some_and(|e| e.contains(expected))
    })
    .await;
    change.done.ok();
    assert_eq!(plugin_state(&stack.status, "ex", State::Ok).await, None);

    // A delete has no value to decode; the previous value comes along decoded.
    store
        .delete("/vnf-agent/lbl/config/ex/d", Default::default())
        .await
        .unwrap();
    let TypedSyncEvent::Change(change) = next(&mut items).await else {
        panic!("a change")
    };
    assert_eq!(
        (change.value, change.prev_value),
        (None, Some(Item { port: 81 }))
    );
    change.done.ok();
    stack.stop().await;
}

#[tokio::test]
async fn proto_watchers_read_upstreams_proto3_json_and_name_key_message_and_field() {
    let (logs, _guard) = Logs::capture();
    let store = MemoryStore::new();
    // As `etcdctl put` writes them in upstream's docs: original field names, enum names.
    put(
        &store,
        "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a",
        r#"{"phys_address":"62:89:c6:a3:7e:3a","bridge_domain":"bd1","outgoing_interface":"tap1","action":"FORWARD"}"#,
    )
    .await;
    put(
        &store,
        "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3b",
        r#"{"phys_address":"62:89:c6:a3:7e:3b","bridge_domain":"bd1","action":"FORWARDX"}"#,
    )
    .await;
    put(
        &store,
        "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3c",
        r#"{"physAddress":"62:89:c6:a3:7e:3c","bridgeDomain":"bd1","outgoingInterface":"tap1","action":"DROP"}"#,
    )
    .await;
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[],
    )
    .await;
    let mut fibs = stack
        .sync
        .watch_proto::<FibEntry>(&support::ctx("fibs"), &[FIBS])
        .expect("watch");

    let TypedSyncEvent::Resync(resync) = next(&mut fibs).await else {
        panic!("resync first")
    };
    let values: Vec<_> = resync
        .values
        .iter()
        .map(|e| (e.key.as_str(), e.value.clone()))
        .collect();
    assert_eq!(
        values,
        [
            (
                "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a",
                fib("62:89:c6:a3:7e:3a", Action::Forward)
            ),
            (
                "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3c",
                fib("62:89:c6:a3:7e:3c", Action::Drop)
            ),
        ]
    );
    resync.done.ok();
    let error = plugin_state(&stack.status, "fibs", State::Error)
        .await
        .expect("text");
    assert!(
        error.contains(
            "cannot decode the value of `config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3b`"
        ) && error.contains("`ligato.vpp.l2.FIBEntry`")
            && error.contains("field `action`"),
        "{error}"
    );
    assert_eq!(
        logs.lines_with(&[
            "value left out of the resync",
            "plugin=fibs",
            "ligato.vpp.l2.FIBEntry",
            "field `action`",
        ])
        .len(),
        1
    );

    // What our publisher writes is proto3 JSON, as upstream's.
    let publisher = stack.sync.publisher();
    let bad = "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3d";
    put(
        &store,
        bad,
        r#"{"bridge_domain":"bd1","action":"FORWARDX"}"#,
    )
    .await;
    let key = "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3e";
    let drop = fib("62:89:c6:a3:7e:3e", Action::Drop);
    publisher.put_proto(key, &drop).await.expect("put");
    let stored = store
        .get(&format!("/vnf-agent/lbl/{key}"))
        .await
        .unwrap()
        .expect("written");
    let text = std::str::from_utf8(&stored.value).unwrap();
    assert!(
        text.contains(r#""action":"DROP""#) && text.contains(r#""bridgeDomain":"bd1""#),
        "{text}"
    );
    let TypedSyncEvent::Change(change) = next(&mut fibs).await else {
        panic!("a change")
    };
    assert_eq!(
        (change.key.as_str(), change.value.as_ref()),
        (key, Some(&drop))
    );
    assert_eq!(
        logs.lines_with(&["change dropped", "plugin=fibs", bad, "field `action`"])
            .len(),
        1
    );
    plugin_status(&stack.status, "fibs", |p| {
        p.error.as_deref().is_some_and(|e| {
            e.contains(&format!("cannot decode the value of `{bad}`"))
                && e.contains("ligato.vpp.l2.FIBEntry")
                && e.contains("field `action`")
        })
    })
    .await;
    change.done.ok();
    assert_eq!(plugin_state(&stack.status, "fibs", State::Ok).await, None);
    stack.stop().await;
}

#[tokio::test]
async fn binary_protobuf_is_an_explicit_choice() {
    let store = MemoryStore::new();
    let stack = Stack::start(
        StoreSource::fixed(Arc::new(store.clone())),
        quick_config(),
        &[],
    )
    .await;
    let mut fibs: ProtoBinaryWatcher<FibEntry> = ProtoBinaryWatcher::new(
        stack
            .sync
            .watch(&support::ctx("fibs"), &[FIBS])
            .expect("watch"),
    );
    let TypedSyncEvent::Resync(resync) = next(&mut fibs).await else {
        panic!("resync first")
    };
    assert!(resync.values.is_empty());
    resync.done.ok();

    let key = "config/vpp/l2/v2/fib/bd1/mac/62:89:c6:a3:7e:3a";
    let drop = fib("62:89:c6:a3:7e:3a", Action::Drop);
    let publisher = stack.sync.publisher();
    publisher.put_proto_binary(key, &drop).await.expect("put");
    let stored = store
        .get(&format!("/vnf-agent/lbl/{key}"))
        .await
        .unwrap()
        .expect("written");
    assert_eq!(
        stored.value.as_ref(),
        prost::Message::encode_to_vec(&drop).as_slice()
    );
    let TypedSyncEvent::Change(change) = next(&mut fibs).await else {
        panic!("a change")
    };
    assert_eq!(
        (change.key.as_str(), change.value.as_ref()),
        (key, Some(&drop))
    );
    change.done.ok();
    stack.stop().await;
}
