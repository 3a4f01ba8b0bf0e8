//! Cluster mode against a real 3-master cluster started here (`cluster-enabled yes`,
//! then `redis-cli --cluster create`): the conformance kit (transactions refused as
//! unsupported), and a watch that hears the keyspace notifications of every master.

mod support;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_kv::testkit::{self, KitOptions};
use cninfra_kv::{KvStore, PutOptions, WatchEvent};
use cninfra_kv_redis::{RedisConfig, RedisStore};
use futures::StreamExt;
use support::RedisServer;

/// Three masters that own all slots between them.
struct Cluster {
    nodes: Vec<RedisServer>,
}

impl Cluster {
    fn start() -> Self {
        let nodes: Vec<RedisServer> = (0..3)
            .map(|_| {
                RedisServer::start(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    "5000",
                    "--notify-keyspace-events",
                    "KA",
                ])
            })
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(nodes.iter().map(RedisServer::endpoint))
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("redis-cli is installed");
        assert!(created.success(), "redis-cli --cluster create failed");
        let cluster = Self { nodes };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !cluster
            .nodes
            .iter()
            .all(|n| info(n, "CLUSTER", "INFO").contains("cluster_state:ok"))
        {
            assert!(
                Instant::now() < deadline,
                "the cluster did not become ready"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    fn config(&self) -> RedisConfig {
        RedisConfig {
            endpoints: self.nodes.iter().map(RedisServer::endpoint).collect(),
            ..RedisConfig::default()
        }
    }
}

/// A text reply of `a b` on `node` (empty when it does not answer).
fn info(node: &RedisServer, a: &str, b: &str) -> String {
    let Ok(client) = redis::Client::open(format!("redis://{}/", node.endpoint())) else {
        return String::new();
    };
    let Ok(mut con) = client.get_connection_with_timeout(Duration::from_secs(1)) else {
        return String::new();
    };
    redis::cmd(a).arg(b).query(&mut con).unwrap_or_default()
}

fn dbsize(node: &RedisServer) -> u64 {
    let client = redis::Client::open(format!("redis://{}/", node.endpoint())).unwrap();
    let mut con = client.get_connection().unwrap();
    redis::cmd("DBSIZE").query(&mut con).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_passes_the_conformance_kit_and_watches_every_master() {
    let cluster = Cluster::start();
    let store = RedisStore::connect(&cluster.config()).await.unwrap();
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
    let holding = cluster.nodes.iter().filter(|n| dbsize(n) > 0).count();
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
