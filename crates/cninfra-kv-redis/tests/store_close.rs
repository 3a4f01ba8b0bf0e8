//! Closing the store: later calls fail with `Closed`, open watches end.

mod support;

use std::time::Duration;

use cninfra_kv::{KvStore, PutOptions};
use cninfra_kv_redis::RedisStore;
use futures::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_fails_later_calls_and_ends_watches() {
    let store = RedisStore::connect(&support::shared_config())
        .await
        .unwrap();
    let prefix = support::unique_prefix("close");
    let mut watch = store.watch(&[&prefix], None).await.unwrap();
    store.close().await.unwrap();
    let end = tokio::time::timeout(Duration::from_secs(10), watch.next()).await;
    assert!(matches!(end, Ok(None)), "the watch must end, got {end:?}");
    let err = store
        .put(&format!("{prefix}k"), "v".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert!(err.is_closed(), "{err:?}");
    assert!(
        store
            .get(&format!("{prefix}k"))
            .await
            .unwrap_err()
            .is_closed()
    );
    let Err(err) = store.watch(&[&prefix], None).await else {
        panic!("a closed store started a watch")
    };
    assert!(err.is_closed(), "{err:?}");
}
