//! Sentinel mode against real servers started here: a master, a replica and a
//! `redis-server --sentinel`. The store finds the master through the sentinel, and after
//! a failover (`SENTINEL FAILOVER`) its writes reach the new master and its watch
//! resubscribes there with a resync.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cninfra_kv::{KvStore, PutOptions, ResyncReason, WatchEvent};
use cninfra_kv_redis::{RedisConfig, RedisError, RedisStore};
use futures::StreamExt;
use support::{RedisServer, free_port};

const MASTER: &str = "mymaster";

/// A sentinel watching `master`, in its own directory (it rewrites its config file).
struct OwnSentinel {
    _dir: tempfile::TempDir,
    port: u16,
    child: Child,
}

impl OwnSentinel {
    fn start(master_port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("sentinel.conf");
        std::fs::write(
            &conf,
            format!(
                "port {port}\nbind 127.0.0.1\ndir {}\n\
                 sentinel monitor {MASTER} 127.0.0.1 {master_port} 1\n\
                 sentinel down-after-milliseconds {MASTER} 2000\n\
                 sentinel failover-timeout {MASTER} 10000\n",
                dir.path().display()
            ),
        )
        .unwrap();
        let child = Command::new("redis-server")
            .arg(&conf)
            .arg("--sentinel")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        let sentinel = Self {
            _dir: dir,
            port,
            child,
        };
        sentinel.wait_for("the sentinel to know a healthy replica", |s| {
            s.healthy_replicas() > 0
        });
        sentinel
    }

    fn endpoint(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn query<T: redis::FromRedisValue>(&self, cmd: &mut redis::Cmd) -> redis::RedisResult<T> {
        let client = redis::Client::open(format!("redis://{}/", self.endpoint()))?;
        let mut con = client.get_connection_with_timeout(Duration::from_secs(1))?;
        cmd.query(&mut con)
    }

    fn master_port(&self) -> Option<u16> {
        let named: Option<(String, u16)> = self
            .query(
                redis::cmd("SENTINEL")
                    .arg("get-master-addr-by-name")
                    .arg(MASTER),
            )
            .ok()?;
        named.map(|(_, port)| port)
    }

    fn healthy_replicas(&self) -> usize {
        let replicas: Vec<std::collections::HashMap<String, String>> = self
            .query(redis::cmd("SENTINEL").arg("replicas").arg(MASTER))
            .unwrap_or_default();
        replicas
            .iter()
            .filter(|r| {
                r.get("flags").map(String::as_str) == Some("slave")
                    && r.get("master-link-status").map(String::as_str) == Some("ok")
            })
            .count()
    }

    /// Polls `ready` every 50 ms for up to 60 s.
    fn wait_for(&self, what: &str, ready: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ready(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for OwnSentinel {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `master` or `slave`, from `INFO replication`.
fn role(server: &RedisServer) -> String {
    let client = redis::Client::open(format!("redis://{}/", server.endpoint())).unwrap();
    let Ok(mut con) = client.get_connection_with_timeout(Duration::from_secs(1)) else {
        return String::new();
    };
    let info: String = redis::cmd("INFO")
        .arg("replication")
        .query(&mut con)
        .unwrap_or_default();
    info.lines()
        .find_map(|line| line.trim().strip_prefix("role:"))
        .unwrap_or_default()
        .to_owned()
}

fn config(sentinel: &OwnSentinel) -> RedisConfig {
    RedisConfig {
        master_name: MASTER.into(),
        endpoints: vec!["127.0.0.1:1".into(), sentinel.endpoint()],
        dial_timeout: Duration::from_secs(2),
        ..RedisConfig::default()
    }
}

async fn raw_get(server: &RedisServer, key: &str) -> Option<String> {
    let client = redis::Client::open(format!("redis://{}/", server.endpoint())).unwrap();
    let mut con = client.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut con)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_follows_the_master_through_a_failover() {
    let master = RedisServer::start(&["--notify-keyspace-events", "KA"]);
    let replica_of = master.port().to_string();
    let replica = RedisServer::start(&[
        "--notify-keyspace-events",
        "KA",
        "--replicaof",
        "127.0.0.1",
        &replica_of,
    ]);
    let sentinel = OwnSentinel::start(master.port());

    // The first sentinel listed is down: the next one answers.
    let store = RedisStore::connect(&config(&sentinel)).await.unwrap();
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

    let () = sentinel
        .query(redis::cmd("SENTINEL").arg("failover").arg(MASTER))
        .unwrap();
    let new_master = replica.port();
    sentinel.wait_for("the failover", |s| s.master_port() == Some(new_master));
    // Until the old master is demoted it still takes writes (which the resync from the
    // new master then drops: Redis' failover is asynchronous); wait for that first.
    sentinel.wait_for("the old master's demotion", |_| role(&master) == "slave");

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
    let master = RedisServer::start(&[]);
    let _replica = RedisServer::start(&["--replicaof", "127.0.0.1", &master.port().to_string()]);
    let sentinel = OwnSentinel::start(master.port());
    let config = RedisConfig {
        master_name: "nosuchmaster".into(),
        ..config(&sentinel)
    };
    let err = RedisStore::connect(&config).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, RedisError::NoMaster { .. }), "{err:?}");
    assert!(
        text.contains("nosuchmaster") && text.contains(&sentinel.endpoint()),
        "{text}"
    );
}
