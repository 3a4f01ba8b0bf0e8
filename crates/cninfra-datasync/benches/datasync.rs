//! Data sync over a `MemoryStore`, each case against the same work done with the store's
//! raw watch or listing in the same run (printed as RATIO lines).
//!
//! Run with `cargo bench -p cninfra-datasync --bench datasync`.
//!
//! 1. resync of 100 000 keys to 10 watching plugins: time of one requested round and the
//!    peak RSS it adds (VmHWM after resetting it; each variant in a fresh process);
//!    baseline: 10 plugins listing the store (by full key, and through the agent-prefix view).
//! 2. put → plugin callback latency, p50/p99 of 2 000 puts; baseline: a raw store watch;
//!    the same on a real etcd on loopback (1 000 puts; the harness's `CNINFRA_TEST_ETCD`, or
//!    an etcd started by the bench).
//! 3. change throughput to 10 watching plugins, 20 000 puts; baseline: 10 raw store watches.
#![allow(missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use cninfra_core::{Agent, BoxError, InitContext, Plugin, RunningAgent, async_trait};
use cninfra_datasync::{Event, KvdbSyncPlugin, ResyncPlugin, StoreSource, Watcher};
use cninfra_health::StatusCheckPlugin;
use cninfra_kv::{DeleteOptions, KvStore, KvStoreExt, MemoryStore, PutOptions, WatchEvent};
use cninfra_kv_etcd::{EtcdConfig, EtcdStore};
use futures::{StreamExt, TryStreamExt};
use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;

const PREFIX: &str = "/vnf-agent/bench/";
const VALUE: &str = r#"{"name":"eth0","mtu":1500,"enabled":true,"ip":"10.0.0.1/24"}"#;

/// Registers a watch on `config/` in `init` and leaves the watcher to the bench.
struct Watching {
    sync: Arc<KvdbSyncPlugin>,
    name: String,
    slot: Arc<Mutex<Vec<Watcher>>>,
}

#[async_trait]
impl Plugin for Watching {
    fn name(&self) -> &str {
        &self.name
    }
    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.sync.clone()]
    }
    fn has_config(&self) -> bool {
        false
    }
    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let watcher = self.sync.watch(ctx, &["config/"])?;
        self.slot.lock().push(watcher);
        Ok(())
    }
}

struct Stack {
    agent: RunningAgent,
    resync: Arc<ResyncPlugin>,
    watchers: Vec<Watcher>,
}

async fn start(store: Arc<dyn KvStore>, watches: usize) -> anyhow::Result<Stack> {
    let resync = ResyncPlugin::new();
    let sync = KvdbSyncPlugin::new(StoreSource::fixed(store));
    let slot = Arc::new(Mutex::new(Vec::new()));
    let mut builder = Agent::builder()
        .plugin(StatusCheckPlugin::new())
        .plugin(resync.clone());
    for i in 0..watches {
        builder = builder.plugin(Watching {
            sync: sync.clone(),
            name: format!("plugin-{i}"),
            slot: slot.clone(),
        });
    }
    let agent = builder
        .with_args(["bench", "--microservice-label", "bench"])
        .with_env(Vec::<(String, String)>::new())
        .build()?
        .start()
        .await?;
    let watchers = std::mem::take(&mut *slot.lock());
    Ok(Stack {
        agent,
        resync,
        watchers,
    })
}

/// What consumers tell the bench.
#[derive(Default)]
struct Progress {
    resyncs: AtomicUsize,
    changes: AtomicUsize,
    wake: Notify,
}

impl Progress {
    async fn until(&self, what: impl Fn(&Self) -> bool) {
        loop {
            let notified = self.wake.notified();
            if what(self) {
                return;
            }
            notified.await;
        }
    }
}

/// A plugin's event loop: acknowledge everything, count, and send change times to `times`.
fn consume(
    mut watcher: Watcher,
    progress: Arc<Progress>,
    times: Option<mpsc::UnboundedSender<Instant>>,
) {
    tokio::spawn(async move {
        while let Some(event) = watcher.recv().await {
            match event {
                Event::Resync(resync) => {
                    std::hint::black_box(resync.values.len());
                    resync.done.ok();
                    progress.resyncs.fetch_add(1, Ordering::SeqCst);
                    progress.wake.notify_waiters();
                }
                Event::Change(change) => {
                    change.done.ok();
                    if let Some(times) = &times {
                        let _ = times.send(Instant::now());
                    }
                    // Wake the bench every 1 000 changes (the totals are multiples of it).
                    if (progress.changes.fetch_add(1, Ordering::SeqCst) + 1).is_multiple_of(1_000) {
                        progress.wake.notify_waiters();
                    }
                }
            }
        }
    });
}

fn ratio(name: &str, ours: f64, baseline: f64, unit: &str) {
    println!(
        "RATIO {name}: datasync {ours:.1} {unit} vs baseline {baseline:.1} {unit} = {:.2}",
        ours / baseline
    );
}

/// VmHWM and VmRSS of this process, in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|line| line.starts_with(name))
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|kib| kib.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// Resets VmHWM to the current RSS (Linux `clear_refs` 5); false when not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

async fn populate(store: &MemoryStore, keys: usize) -> anyhow::Result<()> {
    for i in 0..keys {
        let key = format!("{PREFIX}config/interface/{i:06}");
        store.put(&key, VALUE.into(), PutOptions::default()).await?;
    }
    Ok(())
}

/// Peak RSS above the RSS when the measurement started, in KiB.
struct Peak {
    resettable: bool,
    rss_at_start: u64,
}

impl Peak {
    fn start() -> Self {
        let resettable = reset_peak();
        Self {
            resettable,
            rss_at_start: memory().1,
        }
    }

    /// The peak above the start, or the whole peak when it could not be reset.
    fn added(&self) -> u64 {
        let peak = memory().0;
        if self.resettable {
            peak.saturating_sub(self.rss_at_start)
        } else {
            peak
        }
    }
}

const RESYNC_KEYS: usize = 100_000;
const RESYNC_PLUGINS: usize = 10;

/// Child process: 10 plugins each list the store, by full key or (`prefixed`) through a
/// view under the agent prefix, as data sync does. Prints `RESULT <ms> <peak KiB>`.
async fn resync_baseline(prefixed: bool) -> anyhow::Result<()> {
    let memory = MemoryStore::new();
    populate(&memory, RESYNC_KEYS).await?;
    let (store, prefix): (Arc<dyn KvStore>, String) = if prefixed {
        (Arc::new(memory.with_prefix(PREFIX)), "config/".into())
    } else {
        (Arc::new(memory), format!("{PREFIX}config/"))
    };
    let peak = Peak::start();
    let started = Instant::now();
    for _ in 0..RESYNC_PLUGINS {
        let entries: Vec<_> = store.list_values(&prefix).try_collect().await?;
        anyhow::ensure!(entries.len() == RESYNC_KEYS, "listed {}", entries.len());
        std::hint::black_box(entries);
    }
    let took = started.elapsed();
    println!("RESULT {} {}", took.as_secs_f64() * 1e3, peak.added());
    Ok(())
}

/// Child process: the first round after start, then a requested one, to 10 plugins.
/// Prints `RESULT <ms of the requested round> <peak KiB> <ms of the first round>`.
async fn resync_datasync() -> anyhow::Result<()> {
    let store = MemoryStore::new();
    populate(&store, RESYNC_KEYS).await?;
    let peak = Peak::start();
    let stack = start(Arc::new(store.clone()), RESYNC_PLUGINS).await?;
    let progress = Arc::new(Progress::default());
    for watcher in stack.watchers {
        consume(watcher, progress.clone(), None);
    }
    let mut rounds = stack.resync.subscribe();
    rounds.wait_for(|s| s.rounds_done >= 1).await?;
    let first_round = stack
        .resync
        .resync_status()
        .last_duration
        .unwrap_or_default();
    let started = Instant::now();
    stack.resync.request_resync("bench");
    rounds.wait_for(|s| s.rounds_done >= 2).await?;
    let took = started.elapsed();
    anyhow::ensure!(progress.resyncs.load(Ordering::SeqCst) == 2 * RESYNC_PLUGINS);
    println!(
        "RESULT {} {} {}",
        took.as_secs_f64() * 1e3,
        peak.added(),
        first_round.as_secs_f64() * 1e3
    );
    stack.agent.stop().await?;
    Ok(())
}

/// Runs this binary again for one case (a fresh process, so peak RSS is its own) and
/// returns the numbers of its `RESULT` line.
async fn child(case: &str) -> anyhow::Result<Vec<f64>> {
    let exe = std::env::current_exe()?;
    let run = tokio::process::Command::new(exe)
        .env(CASE_VARIABLE, case)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .with_context(|| format!("case {case} took over 120 s"))??;
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(
        output.status.success(),
        "case {case} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|line| line.strip_prefix("RESULT "))
        .with_context(|| format!("no RESULT from case {case}: {stdout}"))?;
    Ok(line
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect())
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// How many times the resync and throughput cases run (alternating with their baselines);
/// the medians are reported, as the machine is shared and noisy.
const REPEATS: usize = 3;

async fn resync_case() -> anyhow::Result<()> {
    let (mut base_ms, mut base_kib, mut ms, mut kib, mut first_ms) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut prefixed_ms = Vec::new();
    for _ in 0..REPEATS {
        prefixed_ms.extend(child("resync-baseline-prefixed").await?.first().copied());
        let baseline = child("resync-baseline").await?;
        let ours = child("resync-datasync").await?;
        let (&[b_ms, b_kib], &[o_ms, o_kib, o_first]) = (baseline.as_slice(), ours.as_slice())
        else {
            anyhow::bail!("unexpected results {baseline:?} {ours:?}");
        };
        base_ms.push(b_ms);
        base_kib.push(b_kib);
        ms.push(o_ms);
        kib.push(o_kib);
        first_ms.push(o_first);
    }
    let (base_ms, base_kib, ms, kib, first_ms) = (
        median(base_ms),
        median(base_kib),
        median(ms),
        median(kib),
        median(first_ms),
    );
    println!(
        "resync of {RESYNC_KEYS} keys to {RESYNC_PLUGINS} plugins (median of {REPEATS}): \
         requested round {ms:.1} ms, first round after start {first_ms:.1} ms; \
         peak RSS added {kib:.0} KiB (baseline: 10 listings {base_ms:.1} ms, {base_kib:.0} KiB)"
    );
    ratio("resync_100k_to_10_time", ms, base_ms, "ms");
    ratio(
        "resync_100k_to_10_time_vs_prefixed_listing",
        ms,
        median(prefixed_ms),
        "ms",
    );
    ratio("resync_100k_to_10_peak_rss", kib, base_kib, "KiB");
    Ok(())
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1e6
}

/// Put one key at a time and wait for the callback; p50 and p99 in µs.
async fn latencies(
    store: &dyn KvStore,
    times: &mut mpsc::UnboundedReceiver<Instant>,
    rounds: usize,
) -> anyhow::Result<(f64, f64)> {
    let mut samples = Vec::with_capacity(rounds);
    for i in 0..rounds + 200 {
        let key = format!("{PREFIX}config/latency/{}", i % 100);
        let put_at = Instant::now();
        store.put(&key, VALUE.into(), PutOptions::default()).await?;
        let seen = times.recv().await.context("consumer ended")?;
        if i >= 200 {
            samples.push(seen.duration_since(put_at));
        }
    }
    samples.sort_unstable();
    Ok((percentile(&samples, 0.5), percentile(&samples, 0.99)))
}

/// Case 2 on the given store: put → callback through data sync vs the store's own watch.
async fn latency_case_on(name: &str, store: Arc<dyn KvStore>, puts: usize) -> anyhow::Result<()> {
    let (times_tx, mut times) = mpsc::unbounded_channel();
    let mut raw = store.watch(&[&format!("{PREFIX}config/")], None).await?;
    let raw_task = tokio::spawn(async move {
        while let Some(Ok(event)) = raw.next().await {
            if let WatchEvent::Change(_) = event
                && times_tx.send(Instant::now()).is_err()
            {
                return;
            }
        }
    });
    let (base_p50, base_p99) = latencies(&*store, &mut times, puts).await?;
    raw_task.abort();

    let stack = start(store.clone(), 1).await?;
    let progress = Arc::new(Progress::default());
    let (times_tx, mut times) = mpsc::unbounded_channel();
    for watcher in stack.watchers {
        consume(watcher, progress.clone(), Some(times_tx.clone()));
    }
    progress
        .until(|p| p.resyncs.load(Ordering::SeqCst) == 1)
        .await;
    let (p50, p99) = latencies(&*store, &mut times, puts).await?;
    println!("{name}: put -> callback latency ({puts} puts): p50 {p50:.1} µs, p99 {p99:.1} µs");
    ratio(&format!("{name}_latency_p50"), p50, base_p50, "µs");
    ratio(&format!("{name}_latency_p99"), p99, base_p99, "µs");
    stack.agent.stop().await?;
    Ok(())
}

async fn latency_case() -> anyhow::Result<()> {
    latency_case_on("memory", Arc::new(MemoryStore::new()), 2_000).await
}

/// Case 2 on a real etcd on loopback: the harness's (`CNINFRA_TEST_ETCD`) or one started
/// here.
async fn etcd_latency_case() -> anyhow::Result<()> {
    let (endpoint, _server) = match std::env::var("CNINFRA_TEST_ETCD") {
        Ok(endpoint) => (endpoint, None),
        Err(_) => {
            let server = cninfra_testsupport::EtcdServer::start().await;
            (server.endpoint(), Some(server))
        }
    };
    let store = EtcdStore::connect(&EtcdConfig::with_endpoints([endpoint])).await?;
    store.delete(PREFIX, DeleteOptions::prefix()).await?;
    latency_case_on("etcd", Arc::new(store), 1_000).await
}

const PUTS: usize = 20_000;
const PLUGINS: usize = 10;

/// 10 raw store watches reading every put.
async fn throughput_baseline() -> anyhow::Result<Duration> {
    // Queues large enough that nobody lags: this measures delivery, not resyncs.
    let store = MemoryStore::builder().watch_buffer(PUTS * 2).build();
    let done = Arc::new(AtomicUsize::new(0));
    let wake = Arc::new(Notify::new());
    for _ in 0..PLUGINS {
        let mut raw = store.watch(&[&format!("{PREFIX}config/")], None).await?;
        let (done, wake) = (done.clone(), wake.clone());
        tokio::spawn(async move {
            let mut seen = 0;
            while let Some(Ok(_)) = raw.next().await {
                seen += 1;
                if seen == PUTS {
                    done.fetch_add(1, Ordering::SeqCst);
                    wake.notify_one();
                    return;
                }
            }
        });
    }
    let started = Instant::now();
    populate(&store, PUTS).await?;
    while done.load(Ordering::SeqCst) < PLUGINS {
        wake.notified().await;
    }
    Ok(started.elapsed())
}

/// 10 watching plugins acknowledging every put.
async fn throughput_datasync() -> anyhow::Result<Duration> {
    let store = MemoryStore::builder().watch_buffer(PUTS * 2).build();
    let stack = start(Arc::new(store.clone()), PLUGINS).await?;
    let progress = Arc::new(Progress::default());
    for watcher in stack.watchers {
        consume(watcher, progress.clone(), None);
    }
    progress
        .until(|p| p.resyncs.load(Ordering::SeqCst) == PLUGINS)
        .await;
    let started = Instant::now();
    populate(&store, PUTS).await?;
    progress
        .until(|p| p.changes.load(Ordering::SeqCst) == PUTS * PLUGINS)
        .await;
    let took = started.elapsed();
    stack.agent.stop().await?;
    Ok(took)
}

async fn throughput_case() -> anyhow::Result<()> {
    let rate = |d: Duration| (PUTS * PLUGINS) as f64 / d.as_secs_f64() / 1e3;
    let (mut baseline, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..REPEATS {
        baseline.push(rate(throughput_baseline().await?));
        ours.push(rate(throughput_datasync().await?));
    }
    let (baseline, ours) = (median(baseline), median(ours));
    println!(
        "change throughput to {PLUGINS} plugins ({PUTS} puts, median of {REPEATS}): \
         {ours:.0} k events/s acknowledged"
    );
    ratio("throughput_10_plugins", ours, baseline, "k events/s");
    Ok(())
}

/// Selects one case (`resync-baseline`, `resync-datasync`, `latency`, `throughput`);
/// without it every case runs.
const CASE_VARIABLE: &str = "DATASYNC_BENCH_CASE";

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let case = std::env::var(CASE_VARIABLE).ok();
    runtime.block_on(async {
        match case.as_deref() {
            Some("resync-baseline") => resync_baseline(false).await,
            Some("resync-baseline-prefixed") => resync_baseline(true).await,
            Some("resync-datasync") => resync_datasync().await,
            Some("latency") => latency_case().await,
            Some("etcd-latency") => etcd_latency_case().await,
            Some("throughput") => throughput_case().await,
            Some(other) => anyhow::bail!("unknown {CASE_VARIABLE} {other:?}"),
            None => {
                resync_case().await?;
                latency_case().await?;
                etcd_latency_case().await?;
                throughput_case().await
            }
        }
    })
}
