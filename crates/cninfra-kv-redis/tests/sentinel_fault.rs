//! Redis Sentinel under a fault, end to end: a `redis` plugin started from upstream's
//! `sentinel-client.yaml` on a master, a replica and three `redis-sentinel` processes
//! started here. The master is killed (SIGKILL) during a stream of puts, the sentinels
//! promote the replica, the killed node comes back and is made a replica; then no
//! acknowledged put is missing from a watcher's view and the conformance kit's watch
//! checks hold on the same store.
//!
//! Puts wait for a replica (`wait-for-replicas: 1`, our extension): Redis replicates
//! asynchronously, so without it a put the master acknowledged may be lost with it.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use cninfra_core::Agent;
use cninfra_kv::{KvConnector, KvStore};
use cninfra_kv_redis::RedisPlugin;
use cninfra_testsupport::{RedisSentinels, SENTINELS};
use support::fault::{Figures, Viewer, Writer, watch_checks_hold};

/// The sentinels' `down-after-milliseconds` and `failover-timeout`.
const DOWN_AFTER: Duration = Duration::from_millis(1000);
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(5);

/// Upstream's `sentinel-client.yaml` filled in for `group`: its three sentinel addresses
/// are the group's, and the test's settings replace upstream's zeros but `dial-timeout: 0`,
/// kept: it means the default.
fn upstream_file(group: &RedisSentinels, dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = include_str!("data/upstream/sentinel-client.yaml").to_owned();
    let sentinels = group.sentinel_endpoints();
    assert_eq!(sentinels.len(), SENTINELS);
    for (sample, ours) in ["127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"]
        .into_iter()
        .zip(&sentinels)
    {
        assert!(text.contains(sample), "the sample names {sample}");
        text = text.replace(sample, ours);
    }
    assert!(text.contains("master-name: mymaster\n"));
    for (line, ours) in [
        ("read-timeout: 0\n", "read-timeout: 1s\n"),
        ("write-timeout: 0\n", "write-timeout: 1s\n"),
    ] {
        assert!(text.contains(line), "the sample has `{line}`");
        text = text.replace(line, ours);
    }
    text.push_str("wait-for-replicas: 1\n");
    let path = dir.join("sentinel-client.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_master_loses_no_acknowledged_put_and_watches_follow_the_new_one() {
    let started = Instant::now();
    let mut group =
        tokio::task::block_in_place(|| RedisSentinels::start(DOWN_AFTER, FAILOVER_TIMEOUT));
    let dir = tempfile::tempdir().unwrap();
    let file = upstream_file(&group, dir.path());
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
    assert!(store.capabilities().txn);

    let prefix = cninfra_testsupport::unique_prefix("sentinel-fault");
    let puts = format!("{prefix}puts/");
    let viewer = Viewer::start(store.clone(), &puts).await;
    let writer = Writer::start(store.clone(), &puts);
    writer.wait_for_more(200).await;

    assert_eq!(group.master(), Some(0));
    let killed = Instant::now();
    group.kill(0);
    tokio::task::block_in_place(|| group.wait_settled());
    let failover = killed.elapsed();
    assert_eq!(group.master(), Some(1), "the replica was promoted");

    // The killed node comes back and the sentinels make it a replica; puts wait for it
    // again. (On a loaded machine the sentinels may fail over once more meanwhile: then
    // the two nodes have swapped roles, which the checks below allow.)
    tokio::task::block_in_place(|| {
        group.restart(0);
        group.wait_settled();
    });
    let master = group.master().expect("a master after settling");
    assert_eq!(group.role(master), "master");
    assert_eq!(
        group.role(1 - master),
        "slave",
        "the other node is its replica"
    );
    writer.wait_for_more(200).await;
    let writes = writer.stop().await;
    let view = viewer.settle(&writes).await;
    let figures = Figures::of(&writes, &view, failover, started.elapsed());
    println!("redis sentinel, the master killed: {figures}");
    println!("failed puts by error: {:?}", writes.errors);
    assert_eq!(figures.lost, 0, "{figures}");
    assert!(
        figures.resyncs >= 1,
        "the watch resynced after the failover: {figures}"
    );

    watch_checks_hold(&store, &format!("{prefix}kit/")).await;
    agent.stop().await.unwrap();
}
