//! Sentinel mode against real servers started here (`cninfra_testsupport::RedisSentinels`:
//! a master, a replica and three sentinels). The store finds the master through the
//! sentinels, and after a failover (`SENTINEL FAILOVER`) its writes reach the new master
//! and its watch resubscribes there with a resync.

use std::time::{Duration, Instant};

use cninfra_kv::{KvStore, PutOptions, ResyncReason, WatchEvent};
use cninfra_kv_redis::{RedisConfig, RedisError, RedisStore};
use cninfra_testsupport::{RedisSentinels, SENTINEL_MASTER_NAME};
use futures::StreamExt;

/// The sentinels' `down-after-milliseconds` and `failover-timeout`.
const DOWN_AFTER: Duration = Duration::from_secs(2);
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(10);

fn start_group() -> RedisSentinels {
    tokio::task::block_in_place(|| RedisSentinels::start(DOWN_AFTER, FAILOVER_TIMEOUT))
}

/// A config whose first sentinel is down: the next ones answer.
fn config(group: &RedisSentinels) -> RedisConfig {
    let mut endpoints = vec!["127.0.0.1:1".to_owned()];
    endpoints.extend(group.sentinel_endpoints());
    RedisConfig {
        master_name: SENTINEL_MASTER_NAME.into(),
        endpoints,
        dial_timeout: Duration::from_secs(2),
        ..RedisConfig::default()
    }
}

async fn raw_get(endpoint: &str, key: &str) -> Option<String> {
    let client = redis::Client::open(format!("redis://{endpoint}/")).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut con)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_follows_the_master_through_a_failover() {
    let group = start_group();
    let (master, replica) = (group.endpoint(0), group.endpoint(1));

    // The first sentinel listed is down: the next one answers.
    let store = RedisStore::connect(&config(&group)).await.unwrap();
    let mut watch = store.watch(&["s/"], None).await.unwrap();
    store
        .put("s/before", "1".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(raw_get(&master, "s/before").await.as_deref(), Some("1"));
    let event = tokio::time::timeout(Duration::from_secs(10), watch.next()).await;
    assert!(
        matches!(event, Ok(Some(Ok(WatchEvent::Change(ref c)))) if c.key == "s/before"),
        "{event:?}"
    );

    let mut sentinel = redis::Client::open(format!("redis://{}/", group.sentinel_endpoints()[0]))
        .unwrap()
        .get_connection_with_timeout(Duration::from_secs(2))
        .unwrap();
    let () = redis::cmd("SENTINEL")
        .arg("failover")
        .arg(SENTINEL_MASTER_NAME)
        .query(&mut sentinel)
        .unwrap();
    // Until the old master is demoted it still takes writes (which the resync from the
    // new master then drops: Redis' failover is asynchronous); wait for that first.
    tokio::task::block_in_place(|| {
        cninfra_testsupport::wait_until_blocking(
            "the failover and the old master's demotion",
            Duration::from_secs(60),
            || group.master() == Some(1) && group.role(0) == "slave",
        );
    });

    // Writes fail (retryably) until the store has found the new master, then land there.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match store
            .put("s/after", "2".into(), PutOptions::default())
            .await
        {
            Ok(_) => break,
            Err(err) => {
                assert!(err.is_retryable(), "{err}");
                assert!(
                    Instant::now() < deadline,
                    "no write after the failover: {err}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    assert_eq!(raw_get(&replica, "s/after").await.as_deref(), Some("2"));
    assert_eq!(
        store.get("s/before").await.unwrap().map(|v| v.value),
        Some("1".into())
    );

    // The watch lost its node, resubscribed on the new master and asked for a resync.
    let mut resynced = false;
    loop {
        let event = tokio::time::timeout(Duration::from_secs(30), watch.next())
            .await
            .expect("the watch goes on after the failover")
            .expect("the watch did not end")
            .expect("no watch error");
        match event {
            WatchEvent::Resync(ResyncReason::Reconnected) => resynced = true,
            WatchEvent::Change(change) if change.key == "s/after" => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        resynced,
        "no resync before the first event from the new master"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_master_name_is_a_clear_error() {
    let group = start_group();
    let config = RedisConfig {
        master_name: "nosuchmaster".into(),
        ..config(&group)
    };
    let err = RedisStore::connect(&config).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RedisError::NoMaster { .. }), "{err:?}");
    assert!(
        text.contains("nosuchmaster") && text.contains(&group.sentinel_endpoints()[0]),
        "{text}"
    );
}
