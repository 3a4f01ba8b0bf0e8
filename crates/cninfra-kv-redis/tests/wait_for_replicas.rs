//! `wait-for-replicas` (our extension): writes succeed once a replica confirms them, and
//! fail retryably, naming the setting, when none does in time.

mod support;

use std::time::Duration;

use cninfra_kv::{DeleteOptions, KvStore, PutOptions, Txn};
use cninfra_kv_redis::{RedisConfig, RedisStore};
use cninfra_testsupport::eventually;
use support::{RedisServer, ServerConfig as _};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_wait_for_a_replica_and_fail_without_one() {
    let master = RedisServer::start(&[]);
    let mut replica = RedisServer::start(&["--replicaof", "127.0.0.1", &master.port().to_string()]);
    let store = RedisStore::connect(&RedisConfig {
        wait_for_replicas: 1,
        read_timeout: Duration::from_millis(300),
        ..master.config()
    })
    .await
    .unwrap();
    let probe = RedisStore::connect(&replica.config()).await.unwrap();
    let client = redis::Client::open(format!("redis://{}/", replica.endpoint())).unwrap();
    eventually(
        "the replica to be linked",
        Duration::from_secs(20),
        || async {
            let info = async {
                let mut con = client.get_multiplexed_async_connection().await?;
                redis::cmd("INFO")
                    .arg("replication")
                    .query_async::<String>(&mut con)
                    .await
            };
            tokio::time::timeout(Duration::from_secs(1), info)
                .await
                .is_ok_and(|info| info.is_ok_and(|info| info.contains("master_link_status:up")))
        },
    )
    .await;

    store
        .put("w/a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        probe.get("w/a").await.unwrap().map(|v| v.value),
        Some("1".into()),
        "an acknowledged put is on the replica"
    );
    assert!(store.delete("w/a", DeleteOptions::default()).await.unwrap());
    Txn::new().put("w/b", "2").commit(&store).await.unwrap();
    assert_eq!(
        probe.get("w/b").await.unwrap().map(|v| v.value),
        Some("2".into())
    );

    replica.kill();
    let err = store
        .put("w/c", "3".into(), PutOptions::default())
        .await
        .unwrap_err();
    let text = cninfra_testsupport::error_chain(&err);
    assert!(err.is_retryable(), "{text}");
    assert!(text.contains("wait-for-replicas"), "{text}");
    let err = Txn::new().put("w/d", "4").commit(&store).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
}
