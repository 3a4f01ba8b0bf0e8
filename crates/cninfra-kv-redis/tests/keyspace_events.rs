//! Keyspace notifications: off on the server makes watches fail naming the setting;
//! `enable-keyspace-events` turns them on, and the watch works.

mod support;

use std::time::Duration;

use cninfra_kv::{KvStore, PutOptions, WatchEvent};
use cninfra_kv_redis::{RedisConfig, RedisStore};
use cninfra_testsupport::error_chain;
use futures::StreamExt;
use support::RedisServer;
use support::ServerConfig as _;

#[tokio::test]
async fn with_notifications_off_a_watch_fails_naming_the_setting() {
    let server = RedisServer::start(&["--notify-keyspace-events", ""]);
    let store = RedisStore::connect(&server.config()).await.unwrap();
    // The rest of the store works.
    store
        .put("k", "v".into(), PutOptions::default())
        .await
        .unwrap();
    let Err(err) = store.watch(&["k"], None).await else {
        panic!("a watch started without keyspace notifications")
    };
    let text = error_chain(&err);
    assert!(!err.is_retryable(), "{err:?}");
    for part in [
        "notify-keyspace-events",
        "enable-keyspace-events",
        &server.endpoint(),
    ] {
        assert!(text.contains(part), "`{part}` missing from: {text}");
    }
}

#[tokio::test]
async fn enable_keyspace_events_turns_them_on_and_the_watch_works() {
    let server = RedisServer::start(&["--notify-keyspace-events", "El"]);
    let config = RedisConfig {
        enable_keyspace_events: true,
        ..server.config()
    };
    let store = RedisStore::connect(&config).await.unwrap();
    let client = redis::Client::open(format!("redis://{}/", server.endpoint())).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    let setting: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("notify-keyspace-events")
        .query_async(&mut con)
        .await
        .unwrap();
    for flag in ['K', 'g', '$', 'x', 'E', 'l'] {
        assert!(
            setting[1].contains(flag),
            "`{flag}` missing from {setting:?}"
        );
    }

    let mut watch = store.watch(&["cfg/"], None).await.unwrap();
    // A write by another client comes through the keyspace notification alone.
    let () = redis::cmd("SET")
        .arg("cfg/x")
        .arg("foreign")
        .query_async(&mut con)
        .await
        .unwrap();
    let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let WatchEvent::Change(change) = event else {
        panic!("expected a change, got {event:?}")
    };
    assert_eq!(
        (change.key.as_str(), &change.value[..]),
        ("cfg/x", &b"foreign"[..])
    );
    assert_eq!(change.prev_value, None);
}
