//! The safety property on the paused clock: a leader whose keep-alives stop reaching the
//! store (a partition, a hung connection) stops leading no later than the instant the
//! store expires its lease, so it has stepped down by the time a standby wins.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::Bytes;
use cninfra_election::Election;
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStream, KvValue, LeaseId,
    MemoryStore, PutOptions, WatchStream, async_trait,
};

const TTL: Duration = Duration::from_secs(3);

/// The memory store, but keep-alives fail once `cut` is set (as over a broken link).
#[derive(Debug)]
struct CutOff {
    inner: MemoryStore,
    cut: AtomicBool,
}

#[async_trait]
impl KvStore for CutOff {
    fn name(&self) -> &str {
        "cut-off"
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        self.inner.get(key).await
    }
    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        self.inner.list_values(prefix)
    }
    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        self.inner.list_keys(prefix)
    }
    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        self.inner.put(key, value, options).await
    }
    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        self.inner.delete(key, options).await
    }
    async fn watch(&self, prefixes: &[&str], from: Option<u64>) -> Result<WatchStream, KvError> {
        self.inner.watch(prefixes, from).await
    }
    async fn put_if_absent(
        &self,
        key: &str,
        value: Bytes,
        options: PutOptions,
    ) -> Result<Option<u64>, KvError> {
        self.inner.put_if_absent(key, value, options).await
    }
    async fn compare_and_delete(&self, key: &str, old: Bytes) -> Result<Option<u64>, KvError> {
        self.inner.compare_and_delete(key, old).await
    }
    async fn grant_lease(&self, ttl: Duration) -> Result<LeaseId, KvError> {
        self.inner.grant_lease(ttl).await
    }
    async fn keep_lease_alive(&self, lease: LeaseId) -> Result<bool, KvError> {
        if self.cut.load(Ordering::SeqCst) {
            return Err(KvError::Unavailable {
                store: "cut-off".into(),
                source: "connection reset".into(),
            });
        }
        self.inner.keep_lease_alive(lease).await
    }
    async fn revoke_lease(&self, lease: LeaseId) -> Result<bool, KvError> {
        self.inner.revoke_lease(lease).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_cut_off_leader_has_stepped_down_when_the_standby_wins() {
    let memory = MemoryStore::new();
    let cut_off = Arc::new(CutOff {
        inner: memory.clone(),
        cut: AtomicBool::new(false),
    });
    let leader = Election::new(Arc::clone(&cut_off) as Arc<dyn KvStore>, "/leader")
        .with_ttl(TTL)
        .campaign("a")
        .await
        .unwrap();
    let standby = Election::new(Arc::new(memory), "/leader").with_ttl(TTL);
    let standby = tokio::spawn(async move { standby.campaign("b").await });
    tokio::time::sleep(TTL * 3).await;
    assert!(leader.is_leader() && !standby.is_finished());

    cut_off.cut.store(true, Ordering::SeqCst);
    let next = standby.await.unwrap().unwrap();
    assert!(
        !leader.is_leader(),
        "the old leader still believed it led when the standby won"
    );
    tokio::time::timeout(Duration::from_millis(1), leader.lost())
        .await
        .expect("lost() had resolved");
    assert!(next.is_leader() && next.fencing() > leader.fencing());
}
