//! The cache helper logs each value it cannot decode with its key. Alone in its test binary,
//! so that it can own the global log subscriber.

mod cache_fixture;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use cache_fixture::{PREFIX, iface, mtus, new_map, put};
use cninfra_idxmap::CacheHelper;
use cninfra_kv::{JsonCodec, KvStore, MemoryStore};

#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn undecodable_values_are_logged_with_their_key_and_left_out() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    // The only test of this binary sets the global subscriber: a scoped one (set_default)
    // races with tracing's callsite interest cache when other tests run on other threads.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let store: Arc<dyn KvStore> = Arc::new(MemoryStore::new());
    put(&*store, "good", iface("x", 1)).await;
    put(&*store, "bad", Bytes::from_static(b"{not json")).await;
    let map = new_map();
    let mut helper = CacheHelper::new(Arc::clone(&store), PREFIX, map.clone(), JsonCodec);
    let stats = helper.reload().await.unwrap();
    assert_eq!(
        (stats.listed, stats.changed, stats.failed, stats.deleted),
        (2, 1, 1, 0)
    );
    assert_eq!(mtus(&map), BTreeMap::from([("good".into(), 1)]));
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        text.contains(&format!("{PREFIX}bad")),
        "log names the key: {text}"
    );

    // A good entry that turns bad leaves the map; fixed again, it comes back.
    put(&*store, "good", Bytes::from_static(b"[]")).await;
    let stats = helper.reload().await.unwrap();
    assert_eq!((stats.deleted, stats.failed), (1, 2));
    assert!(map.is_empty());
    put(&*store, "good", iface("x", 7)).await;
    put(&*store, "bad", iface("x", 8)).await;
    helper.reload().await.unwrap();
    assert_eq!(
        mtus(&map),
        BTreeMap::from([("bad".into(), 8), ("good".into(), 7)])
    );
}
