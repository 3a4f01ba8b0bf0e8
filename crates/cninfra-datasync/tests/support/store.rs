//! A real [`MemoryStore`] behind a wrapper that can add resync signals to its watch streams,
//! fail its listings, or hide previous values (as Redis and the file store do).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStream, KvValue, MemoryStore,
    PutOptions, ResyncReason, TxnOp, WatchEvent, WatchStream, async_trait,
};
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::sync::mpsc;

#[derive(Debug, Clone)]
pub struct Signalling {
    inner: MemoryStore,
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    streams: Mutex<Vec<mpsc::UnboundedSender<WatchEvent>>>,
    fail_lists: AtomicBool,
    prev_values: bool,
}

impl Signalling {
    /// Over `inner`, with previous values in watch events as the memory store has them.
    pub fn new(inner: MemoryStore) -> Self {
        Self::build(inner, true)
    }

    /// Over `inner`, without previous values (like Redis or the file store).
    pub fn without_prev_values(inner: MemoryStore) -> Self {
        Self::build(inner, false)
    }

    fn build(inner: MemoryStore, prev_values: bool) -> Self {
        Self {
            inner,
            shared: Arc::new(Shared {
                streams: Mutex::new(Vec::new()),
                fail_lists: AtomicBool::new(false),
                prev_values,
            }),
        }
    }

    /// Sends `reason` on every open watch stream; returns how many got it.
    pub fn signal(&self, reason: ResyncReason) -> usize {
        let mut streams = self.shared.streams.lock();
        streams.retain(|s| s.send(WatchEvent::Resync(reason.clone())).is_ok());
        streams.len()
    }

    /// Makes listings fail (as an unreachable server would) or work again.
    pub fn fail_lists(&self, fail: bool) {
        self.shared.fail_lists.store(fail, Ordering::SeqCst);
    }
}

#[async_trait]
impl KvStore for Signalling {
    fn name(&self) -> &str {
        "signalling"
    }
    fn capabilities(&self) -> Capabilities {
        let mut caps = self.inner.capabilities();
        caps.prev_values = self.shared.prev_values;
        // Conditional writes and leases are not passed through (no test here needs them).
        caps.compare_and_swap = false;
        caps.leases = false;
        caps
    }
    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        self.inner.get(key).await
    }
    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        if self.shared.fail_lists.load(Ordering::SeqCst) {
            let err = KvError::Unavailable {
                store: "signalling".into(),
                source: "connection refused".into(),
            };
            return futures::stream::iter([Err(err)]).boxed();
        }
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
    async fn txn(&self, ops: Vec<TxnOp>) -> Result<u64, KvError> {
        self.inner.txn(ops).await
    }
    async fn watch(&self, prefixes: &[&str], from: Option<u64>) -> Result<WatchStream, KvError> {
        let inner = self.inner.watch(prefixes, from).await?;
        let prev_values = self.shared.prev_values;
        let inner = inner.map(move |event| match event {
            Ok(WatchEvent::Change(mut change)) if !prev_values => {
                change.prev_value = None;
                Ok(WatchEvent::Change(change))
            }
            other => other,
        });
        let (signals, receiver) = mpsc::unbounded_channel();
        self.shared.streams.lock().push(signals);
        let injected = futures::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|event| (Ok(event), receiver))
        });
        Ok(futures::stream::select(inner, injected).boxed())
    }
    async fn revision(&self) -> Result<u64, KvError> {
        self.inner.revision().await
    }
}
