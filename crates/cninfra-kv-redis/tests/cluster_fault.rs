//! Redis Cluster under a fault, end to end: a `redis` plugin started from upstream's
//! `cluster-client.yaml` on a 6-node cluster (3 masters, 3 replicas) started here. A
//! master is killed (SIGKILL) during a stream of puts, its replica takes over, the killed
//! node comes back as a replica; then no acknowledged put is missing from a watcher's view
//! and the conformance kit's watch checks hold on the same store. And a watch follows a
//! manual failover, where no connection drops and only the set of masters changes.
//!
//! Puts wait for a replica (`wait-for-replicas: 1`, our extension): Redis replicates
//! asynchronously, so without it a put the master acknowledged may be lost with it.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_core::Agent;
use cninfra_kv::{KvConnector, KvStore, PutOptions, ResyncReason, WatchEvent};
use cninfra_kv_redis::RedisPlugin;
use cninfra_testsupport::RedisCluster;
use futures::StreamExt;
use support::fault::{Figures, Viewer, Writer, watch_checks_hold};

/// `cluster-node-timeout`: how long a master may be silent before its replica takes over.
const NODE_TIMEOUT: Duration = Duration::from_millis(1500);

/// Upstream's `cluster-client.yaml` filled in for `cluster`: its three seed addresses are
/// three of the cluster's nodes, and the test's settings replace upstream's zeros but
/// `dial-timeout: 0`, kept: it means the default (it once failed every start at once).
fn upstream_file(cluster: &RedisCluster, dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = include_str!("data/upstream/cluster-client.yaml").to_owned();
    for (n, seed) in ["127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"]
        .into_iter()
        .enumerate()
    {
        assert!(text.contains(seed), "the sample names {seed}");
        text = text.replace(seed, &cluster.endpoint(n));
    }
    for (line, ours) in [
        ("read-timeout: 0\n", "read-timeout: 1s\n"),
        ("write-timeout: 0\n", "write-timeout: 1s\n"),
    ] {
        assert!(text.contains(line), "the sample has `{line}`");
        text = text.replace(line, ours);
    }
    text.push_str("wait-for-replicas: 1\n");
    let path = dir.join("cluster-client.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_master_loses_no_acknowledged_put_and_watches_follow_its_replica() {
    let started = Instant::now();
    let mut cluster = tokio::task::block_in_place(|| RedisCluster::start(NODE_TIMEOUT));
    let dir = tempfile::tempdir().unwrap();
    let file = upstream_file(&cluster, dir.path());
    let redis = RedisPlugin::new();
    let agent = Agent::builder()
        .plugin(redis.clone())
        .with_args([
            "test".into(),
            "--strict-config".into(),
            format!("--redis-config={}", file.display()),
        ])
        .with_env(Vec::<(String, String)>::new())
        .build()
        .unwrap()
        .start()
        .await
        .unwrap_or_else(|err| panic!("{}", cninfra_testsupport::error_chain(&err)));
    let store: Arc<dyn KvStore> = redis.kv().unwrap().expect("redis is configured");
    assert!(!store.capabilities().txn, "a cluster has no transactions");

    let prefix = cninfra_testsupport::unique_prefix("cluster-fault");
    let puts = format!("{prefix}puts/");
    let viewer = Viewer::start(store.clone(), &puts).await;
    let writer = Writer::start(store.clone(), &puts);
    writer.wait_for_more(200).await;

    let master = cluster.masters()[0];
    let replica = cluster
        .replica_of(master)
        .expect("every master has a replica");
    let killed = Instant::now();
    cluster.kill(master);
    tokio::task::block_in_place(|| cluster.wait_settled(5));
    let failover = killed.elapsed();
    assert_eq!(cluster.role(replica), "master", "the replica took over");

    // The killed node comes back as a replica (until then, puts to the keys of its slots
    // fail: their master has no replica to wait for).
    tokio::task::block_in_place(|| {
        cluster.restart(master);
        cluster.wait_settled(6);
    });
    assert_eq!(cluster.role(master), "slave");
    writer.wait_for_more(200).await;
    let writes = writer.stop().await;
    let view = viewer.settle(&writes).await;
    let figures = Figures::of(&writes, &view, failover, started.elapsed());
    println!("redis cluster, a master killed: {figures}");
    println!("failed puts by error: {:?}", writes.errors);
    assert_eq!(figures.lost, 0, "{figures}");
    assert!(
        figures.resyncs >= 1,
        "the watch resynced after the failover: {figures}"
    );

    watch_checks_hold(&store, &format!("{prefix}kit/")).await;
    agent.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watch_moves_to_the_new_masters_after_a_manual_failover() {
    let cluster = tokio::task::block_in_place(|| RedisCluster::start(NODE_TIMEOUT));
    let config = cninfra_kv_redis::RedisConfig {
        endpoints: cluster.endpoints(),
        ..cninfra_kv_redis::RedisConfig::default()
    };
    let store = cninfra_kv_redis::RedisStore::connect(&config)
        .await
        .unwrap();
    let mut watch = store.watch(&["moved/"], None).await.unwrap();

    // The replica takes over in agreement with its master: no connection drops, only the
    // set of masters changes.
    let master = cluster.masters()[0];
    let replica = cluster
        .replica_of(master)
        .expect("every master has a replica");
    let client = redis::Client::open(format!("redis://{}/", cluster.endpoint(replica))).unwrap();
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(2))
        .unwrap();
    let () = redis::cmd("CLUSTER")
        .arg("FAILOVER")
        .query(&mut con)
        .unwrap();
    tokio::task::block_in_place(|| {
        cninfra_testsupport::wait_until_blocking(
            "the manual failover",
            Duration::from_secs(60),
            || cluster.role(replica) == "master" && cluster.role(master) == "slave",
        );
        cluster.wait_settled(6);
    });

    let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
        .await
        .expect("the watch notices the new masters");
    assert!(
        matches!(
            event,
            Some(Ok(WatchEvent::Resync(ResyncReason::Reconnected)))
        ),
        "{event:?}"
    );
    // Every key, on whichever master, is heard from the new set of masters.
    let keys: Vec<String> = (0..30).map(|i| format!("moved/{i}")).collect();
    for key in &keys {
        store
            .put(key, key.clone().into(), PutOptions::default())
            .await
            .unwrap();
    }
    let mut seen = std::collections::HashSet::new();
    while seen.len() < keys.len() {
        let event = tokio::time::timeout(Duration::from_secs(10), watch.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of 30 puts seen: {seen:?}", seen.len()));
        match event {
            Some(Ok(WatchEvent::Change(change))) => {
                seen.insert(change.key);
            }
            Some(Ok(WatchEvent::Resync(_))) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
}
