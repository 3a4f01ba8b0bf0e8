//! A store on a 3-member cluster (all three endpoints): with a member down, reads and
//! watches go on without an error (the client's balancer still picks the dead member
//! now and then; the store tries another); with two down, the cluster has no quorum and
//! the store's revision, which needs it, fails.

mod support;

use std::time::Duration;

use futures::StreamExt;

use cninfra_kv::{KvStore, PutOptions, WatchEvent};
use cninfra_kv_etcd::EtcdStore;
use cninfra_testsupport::EtcdCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_and_watches_go_on_with_a_member_down_and_stop_without_quorum() {
    let mut cluster = EtcdCluster::start(3).await;
    let mut config = support::quick_config("unused");
    config.endpoints = cluster.endpoints();
    let store = EtcdStore::connect(&config).await.unwrap();
    let revision = store
        .put("/members/a", "1".into(), PutOptions::default())
        .await
        .unwrap();

    let leader = cluster.leader().await;
    let down = (leader + 1) % 3;
    cluster.kill(down);
    for _ in 0..100 {
        let found = store.get("/members/a").await.unwrap();
        assert_eq!(found.map(|v| v.revision), Some(revision));
        let listed: Vec<_> = store.list_keys("/members/").collect().await;
        assert_eq!(listed.len(), 1, "{listed:?}");
        drop(store.watch(&["/members/"], None).await.unwrap());
    }
    assert!(store.revision().await.unwrap() >= revision);

    // A watch from before the kill delivers a later change.
    let mut watch = store.watch(&["/members/"], Some(revision)).await.unwrap();
    let next = tokio::time::timeout(Duration::from_secs(10), watch.next()).await;
    assert!(
        matches!(next, Ok(Some(Ok(WatchEvent::Change(ref c)))) if c.revision == revision),
        "{next:?}"
    );

    cluster.kill(leader);
    let err = store.revision().await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
}
