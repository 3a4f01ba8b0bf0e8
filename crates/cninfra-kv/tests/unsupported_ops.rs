//! A store with only the required methods: the trait's defaults and the conformance kit
//! report what it lacks instead of passing silently.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use parking_lot::Mutex;

use cninfra_kv::testkit::{self, Outcome};
use cninfra_kv::{
    Capabilities, DeleteOptions, KvEntry, KvError, KvStore, KvStoreExt, KvStream, KvValue,
    PutOptions, Txn, async_trait, validate_key,
};

/// A plain map: sorted lists, nothing else (like a read-mostly file store).
#[derive(Debug, Default)]
struct PlainStore {
    map: Mutex<BTreeMap<String, Bytes>>,
}

impl PlainStore {
    fn entries(&self, prefix: &str) -> Vec<KvEntry> {
        self.map
            .lock()
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| KvEntry {
                key: k.clone(),
                value: v.clone(),
                revision: 0,
            })
            .collect()
    }
}

#[async_trait]
impl KvStore for PlainStore {
    fn name(&self) -> &str {
        "plain"
    }
    fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::NONE;
        caps.sorted_lists = true;
        caps
    }
    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        validate_key(key)?;
        Ok(self.map.lock().get(key).map(|v| KvValue {
            value: v.clone(),
            revision: 0,
        }))
    }
    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        futures::stream::iter(self.entries(prefix).into_iter().map(Ok)).boxed()
    }
    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        futures::stream::iter(self.entries(prefix).into_iter().map(|e| Ok(e.key))).boxed()
    }
    async fn put(&self, key: &str, value: Bytes, options: PutOptions) -> Result<u64, KvError> {
        validate_key(key)?;
        options.check(self.name(), self.capabilities())?;
        self.map.lock().insert(key.to_owned(), value);
        Ok(0)
    }
    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        if options.prefix {
            return Err(KvError::unsupported(self.name(), "delete by prefix"));
        }
        validate_key(key)?;
        Ok(self.map.lock().remove(key).is_some())
    }
}

#[tokio::test]
async fn trait_defaults_name_the_operation_and_store() {
    let store = PlainStore::default();
    let txn = Txn::new().put("a", "1").commit(&store).await.unwrap_err();
    assert!(txn.is_unsupported());
    assert_eq!(txn.to_string(), "store `plain` does not support txn");
    let watch = store.watch(&["a"], None).await.err().unwrap();
    assert_eq!(watch.to_string(), "store `plain` does not support watch");
    let revision = store.revision().await.unwrap_err();
    assert_eq!(
        revision.to_string(),
        "store `plain` does not support revision"
    );
    let cas = store
        .compare_and_swap("a", "1".into(), "2".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(
        cas.to_string(),
        "store `plain` does not support compare_and_swap"
    );
    let lease = store
        .grant_lease(std::time::Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(lease.to_string(), "store `plain` does not support leases");
    store.close().await.unwrap();
}

#[tokio::test]
async fn prefixed_view_passes_unsupported_through_with_its_name() {
    let view = PlainStore::default().with_prefix("/agent/");
    let err = view
        .put(
            "a",
            "1".into(),
            PutOptions::default().with_ttl(std::time::Duration::from_secs(1)),
        )
        .await
        .unwrap_err();
    assert!(err.is_unsupported(), "{err}");
    assert_eq!(view.name(), "plain under `/agent/`");
    assert!(view.txn(Vec::new()).await.unwrap_err().is_unsupported());
}

#[tokio::test]
async fn conformance_reports_skips_with_reasons() {
    let store: Arc<dyn KvStore> = Arc::new(PlainStore::default());
    let report = testkit::conformance(store, "/plain/")
        .await
        .unwrap_or_else(|failure| panic!("{failure}"));
    let skipped: Vec<&str> = report.skipped().iter().map(|(name, _)| *name).collect();
    assert_eq!(
        skipped,
        [
            "revisions",
            "delete_reports_truth",
            "watch_live",
            "watch_from_revision",
            "txn_atomicity",
            "concurrent_writers",
            "ttl_expiry",
            "atomic_ops",
            "lease_expiry"
        ],
        "{report}"
    );
    for (name, reason) in report.skipped() {
        assert!(!reason.is_empty(), "{name} skipped without a reason");
    }
    let passed: Vec<&str> = report
        .outcomes()
        .iter()
        .filter(|(_, o)| *o == Outcome::Passed)
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(
        passed,
        [
            "list_ordering",
            "prefix_isolation",
            "large_values",
            "many_keys"
        ]
    );
}

/// A store that claims no TTL or leases but ignores such options instead of refusing them
/// must fail the kit.
#[derive(Debug, Default)]
struct LyingStore(PlainStore);

#[async_trait]
impl KvStore for LyingStore {
    fn name(&self) -> &str {
        "lying"
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    async fn get(&self, key: &str) -> Result<Option<KvValue>, KvError> {
        self.0.get(key).await
    }
    fn list_values(&self, prefix: &str) -> KvStream<'_, KvEntry> {
        self.0.list_values(prefix)
    }
    fn list_keys(&self, prefix: &str) -> KvStream<'_, String> {
        self.0.list_keys(prefix)
    }
    async fn put(&self, key: &str, value: Bytes, _options: PutOptions) -> Result<u64, KvError> {
        self.0.put(key, value, PutOptions::default()).await
    }
    async fn delete(&self, key: &str, options: DeleteOptions) -> Result<bool, KvError> {
        // Upstream quirk: always reports false.
        self.0.delete(key, options).await.map(|_| false)
    }
}

#[tokio::test]
async fn conformance_catches_ignored_ttl_and_false_delete_results() {
    let store: Arc<dyn KvStore> = Arc::new(LyingStore::default());
    let failure = testkit::conformance(store, "/lying/").await.unwrap_err();
    let failed: Vec<&str> = failure.failures.iter().map(|f| f.check).collect();
    assert_eq!(
        failed,
        ["delete_reports_truth", "ttl_expiry", "lease_expiry"],
        "{failure}"
    );
    assert!(
        failure.to_string().contains("put with TTL returned Ok"),
        "{failure}"
    );
}
