//! The fault runs of the cluster and Sentinel tests: a stream of puts from one writer, a
//! watcher that keeps its view of the prefix as a consumer does (it applies the events and
//! lists the prefix again on every resync), the conformance kit's watch checks after the
//! fault, and the figures of a run.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cninfra_kv::testkit::{self, Outcome};
use cninfra_kv::{ChangeKind, KvStore, PutOptions, WatchEvent};
use futures::{StreamExt, TryStreamExt};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long the watcher may take to show every acknowledged put once the writer stopped.
const CATCH_UP: Duration = Duration::from_secs(30);

/// How long the writer pauses after a failed put.
const RETRY_PAUSE: Duration = Duration::from_millis(10);

/// One writer putting `<prefix><n>` = `n` for n = 0, 1, 2... until stopped, each key once.
pub struct Writer {
    acknowledged: Arc<AtomicU64>,
    stop: CancellationToken,
    task: JoinHandle<Writes>,
}

/// What a [`Writer`] did.
#[derive(Debug, Default)]
pub struct Writes {
    /// Puts tried.
    pub sent: u64,
    /// The puts that succeeded: key and value.
    pub acknowledged: BTreeMap<String, Bytes>,
    /// The keys of the puts that failed.
    pub failed: Vec<String>,
    /// The failures' messages, counted.
    pub errors: BTreeMap<String, u64>,
}

impl Writer {
    /// Starts writing.
    pub fn start(store: Arc<dyn KvStore>, prefix: &str) -> Self {
        let acknowledged = Arc::new(AtomicU64::new(0));
        let stop = CancellationToken::new();
        let prefix = prefix.to_owned();
        let (count, stopped) = (acknowledged.clone(), stop.clone());
        let task = tokio::spawn(async move {
            let mut writes = Writes::default();
            while !stopped.is_cancelled() {
                let key = format!("{prefix}{:06}", writes.sent);
                let value = Bytes::from(writes.sent.to_string());
                writes.sent += 1;
                match store.put(&key, value.clone(), PutOptions::default()).await {
                    Ok(_) => {
                        writes.acknowledged.insert(key, value);
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => {
                        let text = cninfra_testsupport::error_chain(&err);
                        // A client's pause before its next try: the store fails fast
                        // while it has no master.
                        tokio::time::sleep(RETRY_PAUSE).await;
                        *writes.errors.entry(text).or_default() += 1;
                        writes.failed.push(key);
                    }
                }
            }
            writes
        });
        Self {
            acknowledged,
            stop,
            task,
        }
    }

    /// How many puts have been acknowledged so far.
    pub fn acknowledged(&self) -> u64 {
        self.acknowledged.load(Ordering::Relaxed)
    }

    /// Waits until `more` further puts have been acknowledged (within 60 s).
    pub async fn wait_for_more(&self, more: u64) {
        let target = self.acknowledged() + more;
        cninfra_testsupport::wait_until(
            &format!("{target} acknowledged puts"),
            Duration::from_secs(60),
            || self.acknowledged() >= target,
        )
        .await;
    }

    /// Stops after the put under way and returns what was done.
    pub async fn stop(self) -> Writes {
        self.stop.cancel();
        self.task.await.expect("the writer does not panic")
    }
}

/// What a [`Viewer`] saw.
#[derive(Debug, Default)]
pub struct View {
    /// The prefix's state as the watcher knows it.
    pub state: HashMap<String, Bytes>,
    /// Change events per key (puts of this run write each key once: more is a duplicate).
    pub events: HashMap<String, u64>,
    /// Resyncs the watch asked for.
    pub resyncs: u64,
    /// Errors the watch reported.
    pub errors: u64,
}

/// A watcher of a prefix with its view, kept up to date by a task.
pub struct Viewer {
    view: Arc<Mutex<View>>,
    task: JoinHandle<()>,
}

impl Viewer {
    /// Watches `prefix`, then lists it (the initial sync of a store without revisions).
    pub async fn start(store: Arc<dyn KvStore>, prefix: &str) -> Self {
        let mut watch = store
            .watch(&[prefix], None)
            .await
            .expect("the watch starts");
        let view = Arc::new(Mutex::new(View::default()));
        relist(&*store, prefix, &view).await;
        let (shared, prefix) = (view.clone(), prefix.to_owned());
        let task = tokio::spawn(async move {
            while let Some(event) = watch.next().await {
                match event {
                    Ok(WatchEvent::Change(change)) => {
                        let mut view = shared.lock().unwrap();
                        *view.events.entry(change.key.clone()).or_default() += 1;
                        match change.kind {
                            ChangeKind::Put => view.state.insert(change.key, change.value),
                            ChangeKind::Delete => view.state.remove(&change.key),
                        };
                    }
                    Ok(WatchEvent::Resync(_)) => {
                        shared.lock().unwrap().resyncs += 1;
                        relist(&*store, &prefix, &shared).await;
                    }
                    Err(_) => shared.lock().unwrap().errors += 1,
                }
            }
        });
        Self { view, task }
    }

    /// Waits until the view holds every acknowledged put (at most 30 s), then stops
    /// watching and returns the view.
    pub async fn settle(self, writes: &Writes) -> View {
        let deadline = Instant::now() + CATCH_UP;
        while Instant::now() < deadline && !missing(&self.view.lock().unwrap(), writes).is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.task.abort();
        let mut view = self.view.lock().unwrap();
        std::mem::take(&mut *view)
    }
}

/// Lists `prefix` into the view's state, again and again until a listing succeeds (the
/// store may be failing over; at most 60 s).
async fn relist(store: &dyn KvStore, prefix: &str, view: &Mutex<View>) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match store.list_values(prefix).try_collect::<Vec<_>>().await {
            Ok(entries) => {
                view.lock().unwrap().state = entries
                    .into_iter()
                    .map(|entry| (entry.key, entry.value))
                    .collect();
                return;
            }
            Err(err) => {
                assert!(Instant::now() < deadline, "no listing within 60 s: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// The acknowledged puts that the view lacks (or holds with another value).
fn missing<'a>(view: &View, writes: &'a Writes) -> Vec<&'a str> {
    writes
        .acknowledged
        .iter()
        .filter(|(key, value)| view.state.get(*key) != Some(value))
        .map(|(key, _)| key.as_str())
        .collect()
}

/// The figures of one fault run.
#[derive(Debug)]
pub struct Figures {
    /// Puts tried.
    pub sent: u64,
    /// Puts the store acknowledged.
    pub acknowledged: u64,
    /// Acknowledged puts in the watcher's final view.
    pub delivered: u64,
    /// ... of which the watcher got as a change event (the others came by a resync's
    /// listing).
    pub by_event: u64,
    /// Change events beyond the first for a key.
    pub duplicated: u64,
    /// Acknowledged puts missing from the watcher's view.
    pub lost: u64,
    /// Failed puts that were stored anyway.
    pub failed_but_stored: u64,
    /// Resyncs the watch asked for.
    pub resyncs: u64,
    /// From the kill until the store had a master for every key again.
    pub failover: Duration,
    /// The whole run.
    pub total: Duration,
}

impl Figures {
    /// The figures of a run from what the writer did and the watcher saw.
    pub fn of(writes: &Writes, view: &View, failover: Duration, total: Duration) -> Self {
        let lost = missing(view, writes).len() as u64;
        let acknowledged = writes.acknowledged.len() as u64;
        Self {
            sent: writes.sent,
            acknowledged,
            delivered: acknowledged - lost,
            by_event: writes
                .acknowledged
                .keys()
                .filter(|key| view.events.contains_key(*key))
                .count() as u64,
            duplicated: view.events.values().map(|n| n - 1).sum(),
            lost,
            failed_but_stored: writes
                .failed
                .iter()
                .filter(|key| view.state.contains_key(*key))
                .count() as u64,
            resyncs: view.resyncs,
            failover,
            total,
        }
    }
}

impl fmt::Display for Figures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "puts sent {}, acknowledged {}, delivered {} ({} by event), duplicated {}, lost {}, \
             failed but stored {}; resyncs {}; failover {:.1} s, run {:.1} s",
            self.sent,
            self.acknowledged,
            self.delivered,
            self.by_event,
            self.duplicated,
            self.lost,
            self.failed_but_stored,
            self.resyncs,
            self.failover.as_secs_f64(),
            self.total.as_secs_f64()
        )
    }
}

/// Runs the conformance kit's watch checks (`watch_converges`, `concurrent_writers`) on
/// `store` under `prefix`; panics naming the check that fails.
pub async fn watch_checks_hold(store: &Arc<dyn KvStore>, prefix: &str) {
    let converges = testkit::watch_converges(store, prefix).await;
    assert_eq!(converges, Ok(Outcome::Passed), "watch_converges");
    let writers = testkit::concurrent_writers(store, prefix).await;
    assert_eq!(writers, Ok(Outcome::Passed), "concurrent_writers");
}
