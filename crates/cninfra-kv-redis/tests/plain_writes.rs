//! The default write mode (`exact-watch-values: false`): plain `SET`/`DEL` writes that any
//! Redis client can read, watches without previous values, and the capabilities that say
//! so; and what `exact-watch-values: true` adds on top.

mod support;

use support::ServerConfig as _;

use std::time::Duration;

use cninfra_kv::{ChangeKind, DeleteOptions, KvStore, PutOptions, Txn, WatchEvent};
use cninfra_kv_redis::{RedisConfig, RedisStore};
use futures::{StreamExt, TryStreamExt};
use redis::aio::MultiplexedConnection;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_writes_work_and_watches_report_no_previous_values() {
    let store = RedisStore::connect(&support::shared_config())
        .await
        .unwrap();
    assert!(!store.capabilities().prev_values);
    let p = support::unique_prefix("plain");
    let key = |rel: &str| format!("{p}{rel}");

    let mut watch = store.watch(&[&p], None).await.unwrap();
    store
        .put(&key("a"), "1".into(), PutOptions::default())
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap();
    let Some(Ok(WatchEvent::Change(change))) = event else {
        panic!("expected a change, got {event:?}")
    };
    assert_eq!(
        (change.kind, &change.value[..]),
        (ChangeKind::Put, &b"1"[..])
    );

    // Stored as a plain string: another client reads it with GET.
    let client = redis::Client::open(format!("redis://{}/", support::shared_endpoint())).unwrap();
    let mut raw = client.get_multiplexed_async_connection().await.unwrap();
    let value: String = redis::cmd("GET")
        .arg(key("a"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert_eq!(value, "1");

    Txn::new()
        .put(key("b"), "2")
        .put_with(
            key("c"),
            "3",
            PutOptions::default().with_ttl(Duration::from_secs(60)),
        )
        .delete(key("a"))
        .commit(&store)
        .await
        .unwrap();
    let mut keys: Vec<String> = store.list_keys(&p).try_collect().await.unwrap();
    keys.sort();
    assert_eq!(keys, [key("b"), key("c")]);
    let ttl: i64 = redis::cmd("PTTL")
        .arg(key("c"))
        .query_async(&mut raw)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= 60_000, "PTTL {ttl}");

    let mut deletes = 0;
    while deletes == 0 {
        let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .unwrap();
        if let Some(Ok(WatchEvent::Change(change))) = event {
            assert_eq!(change.prev_value, None, "{change:?}");
            if change.kind == ChangeKind::Delete {
                assert_eq!(change.key, key("a"));
                deletes += 1;
            }
        }
    }
    assert!(store.delete(&p, DeleteOptions::prefix()).await.unwrap());
    assert!(!store.delete(&p, DeleteOptions::prefix()).await.unwrap());
}

/// How often the server ran `command`, from `INFO commandstats`.
async fn calls(con: &mut MultiplexedConnection, command: &str) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(con)
        .await
        .unwrap();
    let line = format!("cmdstat_{command}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |n| n.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_use_scripts_only_with_exact_watch_values() {
    let server = support::RedisServer::start(&["--notify-keyspace-events", "KA"]);
    let client = redis::Client::open(format!("redis://{}/", server.endpoint())).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();

    let plain = RedisStore::connect(&server.config()).await.unwrap();
    for i in 0..10 {
        let key = format!("plain/{i}");
        plain
            .put(&key, "v".into(), PutOptions::default())
            .await
            .unwrap();
    }
    plain
        .delete("plain/", DeleteOptions::prefix())
        .await
        .unwrap();
    assert_eq!(calls(&mut con, "evalsha").await, 0);
    assert_eq!(calls(&mut con, "eval").await, 0);
    assert_eq!(calls(&mut con, "set").await, 10);
    assert_eq!(calls(&mut con, "del").await, 1);

    let config = RedisConfig {
        exact_watch_values: true,
        ..server.config()
    };
    let exact = RedisStore::connect(&config).await.unwrap();
    exact
        .put("exact/a", "v".into(), PutOptions::default())
        .await
        .unwrap();
    exact
        .delete("exact/a", DeleteOptions::default())
        .await
        .unwrap();
    let scripted = calls(&mut con, "evalsha").await + calls(&mut con, "eval").await;
    assert!(
        scripted >= 2,
        "{scripted} script calls for a put and a delete"
    );
    assert_eq!(
        calls(&mut con, "set").await,
        11,
        "the script's SET counts once"
    );
}
