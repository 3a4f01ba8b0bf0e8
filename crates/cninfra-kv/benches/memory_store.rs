//! Memory store throughput against plain baselines measured in the same run:
//! put/get against a `parking_lot::RwLock<BTreeMap>`, watch fan-out against a
//! `tokio::sync::broadcast` channel. Prints the ratios at the end.
//!
//! Run with `cargo bench -p cninfra-kv --bench memory_store`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::Criterion;
use futures::StreamExt;
use parking_lot::RwLock;

use cninfra_kv::{KeyChange, KvStore, MemoryStore, PutOptions, WatchEvent};

const KEYS: usize = 10_000;
const FANOUT_WATCHERS: usize = 4;
const FANOUT_EVENTS: usize = 1_000;

/// Total time and iterations per benchmark, for the ratios.
static TALLY: Mutex<BTreeMap<&'static str, (Duration, u64)>> = Mutex::new(BTreeMap::new());

fn tally(name: &'static str, elapsed: Duration, iters: u64) -> Duration {
    if let Ok(mut tally) = TALLY.lock() {
        let entry = tally.entry(name).or_default();
        entry.0 += elapsed;
        entry.1 += iters;
    }
    elapsed
}

fn nanos_per_iter(name: &str) -> Option<f64> {
    let tally = TALLY.lock().ok()?;
    let (elapsed, iters) = tally.get(name)?;
    Some(elapsed.as_nanos() as f64 / (*iters).max(1) as f64)
}

fn keys() -> Vec<String> {
    (0..KEYS)
        .map(|i| format!("/vnf-agent/vpp1/config/interface/{i:05}"))
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn bench_put_get(c: &mut Criterion) {
    let rt = runtime();
    let keys = keys();
    let value = Bytes::from_static(b"{\"name\":\"eth0\",\"mtu\":1500,\"enabled\":true}");
    let store = MemoryStore::new();
    let baseline: RwLock<BTreeMap<String, Bytes>> = RwLock::new(BTreeMap::new());

    let mut group = c.benchmark_group("put");
    group.bench_function("memory_store", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..iters as usize {
                    let key = &keys[i % KEYS];
                    let rev = store.put(key, value.clone(), PutOptions::default()).await;
                    black_box(rev.ok());
                }
                tally("put/memory_store", start.elapsed(), iters)
            })
        });
    });
    group.bench_function("rwlock_btreemap", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters as usize {
                let key = &keys[i % KEYS];
                let mut map = baseline.write();
                match map.get_mut(key.as_str()) {
                    Some(slot) => *slot = value.clone(),
                    None => {
                        map.insert(key.clone(), value.clone());
                    }
                }
            }
            tally("put/rwlock_btreemap", start.elapsed(), iters)
        });
    });
    group.finish();

    let mut group = c.benchmark_group("get");
    group.bench_function("memory_store", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for i in 0..iters as usize {
                    let got = store.get(&keys[i % KEYS]).await;
                    black_box(got.ok());
                }
                tally("get/memory_store", start.elapsed(), iters)
            })
        });
    });
    group.bench_function("rwlock_btreemap", |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for i in 0..iters as usize {
                let got = baseline.read().get(keys[i % KEYS].as_str()).cloned();
                black_box(got);
            }
            tally("get/rwlock_btreemap", start.elapsed(), iters)
        });
    });
    group.finish();
}

/// One iteration: `FANOUT_EVENTS` writes, then every watcher reads all of them.
fn bench_fanout(c: &mut Criterion) {
    let rt = runtime();
    let keys = keys();
    let value = Bytes::from_static(b"{\"mtu\":1500}");
    let mut group = c.benchmark_group("watch_fanout");
    group.throughput(criterion::Throughput::Elements(
        (FANOUT_EVENTS * FANOUT_WATCHERS) as u64,
    ));

    let store = MemoryStore::builder().history_limit(FANOUT_EVENTS).build();
    let mut watchers = rt.block_on(async {
        let mut watchers = Vec::new();
        for _ in 0..FANOUT_WATCHERS {
            watchers.push(store.watch(&["/vnf-agent/"], None).await.expect("watch"));
        }
        watchers
    });
    group.bench_function("memory_store", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    for key in &keys[..FANOUT_EVENTS] {
                        let rev = store.put(key, value.clone(), PutOptions::default()).await;
                        black_box(rev.ok());
                    }
                    for watcher in &mut watchers {
                        for _ in 0..FANOUT_EVENTS {
                            let event = watcher.next().await;
                            assert!(matches!(event, Some(Ok(WatchEvent::Change(_)))));
                        }
                    }
                }
                tally("watch_fanout/memory_store", start.elapsed(), iters)
            })
        });
    });

    let (sender, _) = tokio::sync::broadcast::channel::<Arc<KeyChange>>(FANOUT_EVENTS * 2);
    let mut receivers: Vec<_> = (0..FANOUT_WATCHERS).map(|_| sender.subscribe()).collect();
    group.bench_function("tokio_broadcast", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    for (revision, key) in keys[..FANOUT_EVENTS].iter().enumerate() {
                        let change = Arc::new(KeyChange {
                            key: key.clone(),
                            kind: cninfra_kv::ChangeKind::Put,
                            value: value.clone(),
                            prev_value: Some(value.clone()),
                            revision: revision as u64,
                        });
                        black_box(sender.send(change).ok());
                    }
                    for receiver in &mut receivers {
                        for _ in 0..FANOUT_EVENTS {
                            let change = receiver.recv().await.map(|c| KeyChange::clone(&c));
                            assert!(change.is_ok());
                        }
                    }
                }
                tally("watch_fanout/tokio_broadcast", start.elapsed(), iters)
            })
        });
    });
    group.finish();
}

fn print_ratios() {
    println!("\nratios (memory store time / baseline time, same run; lower is better):");
    for (what, ours, baseline) in [
        ("put", "put/memory_store", "put/rwlock_btreemap"),
        ("get", "get/memory_store", "get/rwlock_btreemap"),
        (
            "watch fan-out",
            "watch_fanout/memory_store",
            "watch_fanout/tokio_broadcast",
        ),
    ] {
        if let (Some(a), Some(b)) = (nanos_per_iter(ours), nanos_per_iter(baseline)) {
            println!(
                "  {what:<14} {a:>12.1} ns/iter vs {b:>12.1} ns/iter  ratio {:.2}",
                a / b
            );
        }
    }
    if let Some(fanout) = nanos_per_iter("watch_fanout/memory_store") {
        let events = (FANOUT_EVENTS * FANOUT_WATCHERS) as f64;
        println!(
            "  watch fan-out: {:.2} M events/s delivered ({FANOUT_WATCHERS} watchers)",
            events / fanout * 1e3
        );
    }
}

fn main() {
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    bench_put_get(&mut criterion);
    bench_fanout(&mut criterion);
    criterion.final_summary();
    print_ratios();
}
