//! Cluster mode against a real cluster started here (`cninfra_testsupport::RedisCluster`: 3
//! masters with a replica each, made with `redis-cli --cluster create`): the conformance
//! kit (transactions refused as unsupported), and a watch that hears the keyspace
//! notifications of every master.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use cninfra_kv::testkit::{self, KitOptions};
use cninfra_kv::{KvStore, PutOptions, WatchEvent};
use cninfra_kv_redis::{RedisConfig, RedisStore};
use cninfra_testsupport::RedisCluster;
use futures::StreamExt;

fn dbsize(endpoint: &str) -> u64 {
    let client = redis::Client::open(format!("redis://{endpoint}/")).unwrap();
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .unwrap();
    redis::cmd("DBSIZE").query(&mut con).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_passes_the_conformance_kit_and_watches_every_master() {
    let cluster = tokio::task::block_in_place(|| RedisCluster::start(Duration::from_millis(5000)));
    let config = RedisConfig {
        endpoints: cluster.endpoints(),
        ..RedisConfig::default()
    };
    let store = RedisStore::connect(&config).await.unwrap();
    assert!(!store.capabilities().txn);

    let kv: Arc<dyn KvStore> = Arc::new(store.clone());
    let options = KitOptions {
        watch_every_change: false,
    };
    let report = testkit::conformance_with(kv, "/kit/", options)
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let mut skipped: Vec<&str> = report.skipped().iter().map(|(name, _)| *name).collect();
    skipped.sort_unstable();
    assert_eq!(
        skipped,
        [
            "lease_expiry",
            "revisions",
            "txn_atomicity",
            "watch_from_revision"
        ],
        "{report}"
    );
    assert_eq!(report.passed().len(), 9, "{report}");

    // Keys spread over the masters, and the watch hears every one of them.
    let mut watch = store.watch(&["spread/"], None).await.unwrap();
    let keys: Vec<String> = (0..30).map(|i| format!("spread/{i}")).collect();
    for key in &keys {
        store
            .put(key, key.clone().into(), PutOptions::default())
            .await
            .unwrap();
    }
    let holding = cluster
        .masters()
        .into_iter()
        .filter(|&n| dbsize(&cluster.endpoint(n)) > 0)
        .count();
    assert_eq!(holding, 3, "30 keys should land on every master");
    let mut seen = HashSet::new();
    while seen.len() < keys.len() {
        let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of 30 puts seen: {seen:?}", seen.len()));
        match event {
            Some(Ok(WatchEvent::Change(change))) => {
                assert_eq!(change.value, change.key.as_bytes());
                seen.insert(change.key);
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    use futures::TryStreamExt;
    let mut listed: Vec<String> = store.list_keys("spread/").try_collect().await.unwrap();
    listed.sort();
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(listed, expected);
}
