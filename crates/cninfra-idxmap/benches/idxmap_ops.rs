//! Put, get and secondary-index lookup of `IdxMap` against a hand-written baseline
//! (`HashMap<String, Arc<V>>` + `HashMap<String, HashSet<String>>` under one RwLock), at 10k
//! and 1M entries, and the fan-out of 100k changes to 100 subscribers. Prints the ratios.
//!
//! Run: `cargo bench -p cninfra-idxmap --bench idxmap_ops`

mod common;

use std::hint::black_box;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cninfra_idxmap::{Event, Notification};
use common::{Baseline, Fixture, Item, idxmap};
use criterion::{BenchmarkId, Criterion};

const SIZES: [usize; 2] = [10_000, 1_000_000];
const FANOUT_CHANGES: usize = 100_000;
const FANOUT_SUBSCRIBERS: usize = 100;

/// Paired measurement rounds per operation and operations per round.
const ROUNDS: usize = 21;
const BATCH: usize = 20_000;

/// Median over [`ROUNDS`] of (time of `BATCH` `a` ops / time of `BATCH` `b` ops), the two
/// batches back to back and in alternating order, so that load drift on a shared machine
/// hits both sides alike.
fn paired_ratio<A: FnMut() -> R, B: FnMut() -> S, R, S>(mut a: A, mut b: B) -> f64 {
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        for _ in 0..BATCH {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..ROUNDS)
        .map(|round| {
            let mut run_a = || drop(black_box(a()));
            let mut run_b = || drop(black_box(b()));
            if round % 2 == 0 {
                let ta = time(&mut run_a);
                ta / time(&mut run_b)
            } else {
                let tb = time(&mut run_b);
                time(&mut run_a) / tb
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ROUNDS / 2]
}

/// Runs `op` for idxmap and baseline under criterion, then the paired ratio.
fn compare<A: FnMut() -> R, B: FnMut() -> S, R, S>(
    c: &mut Criterion,
    op: &str,
    n: usize,
    mut idx: A,
    mut base: B,
    paired: Option<&mut Vec<(String, usize, f64)>>,
) {
    let mut group = c.benchmark_group(op);
    group.bench_function(BenchmarkId::new("idxmap", n), |b| b.iter(&mut idx));
    group.bench_function(BenchmarkId::new("baseline", n), |b| b.iter(&mut base));
    group.finish();
    if let Some(paired) = paired {
        paired.push((op.to_owned(), n, paired_ratio(idx, base)));
    }
}

/// `paired`: where to add the paired ratios (`None` skips that measurement).
fn ops(c: &mut Criterion, n: usize, mut paired: Option<&mut Vec<(String, usize, f64)>>) {
    let fx = Fixture::new(n);
    let map = idxmap();
    let base = Baseline::default();
    for (i, name) in fx.names.iter().enumerate() {
        map.put(name, fx.value(i, 0));
        base.put(name, fx.value(i, 0));
    }
    assert_eq!((map.len(), base.len()), (n, n));
    let groups = fx.groups.len();
    // Strided walks over the names / groups, one counter per side.
    let (mut ki, mut kb) = (0usize, 0usize);
    compare(
        c,
        "get",
        n,
        || map.get(&fx.names[step_of(&mut ki, n)]),
        || base.get(&fx.names[step_of(&mut kb, n)]),
        paired.as_deref_mut(),
    );
    let (mut ki, mut kb) = (0usize, 0usize);
    compare(
        c,
        "lookup",
        n,
        || map.lookup_by_index("by-group", &fx.groups[step_of(&mut ki, groups)]),
        || base.lookup(&fx.groups[step_of(&mut kb, groups)]),
        paired.as_deref_mut(),
    );
    // Every put overwrites an entry with a value of another group (an index move).
    let (mut ki, mut kb) = (0usize, 0usize);
    let mut put_idx = || {
        let (i, round) = (ki % n, ki / n + 1);
        ki += 1;
        map.put(&fx.names[i], fx.value(i, round))
    };
    let mut put_base = || {
        let (i, round) = (kb % n, kb / n + 1);
        kb += 1;
        base.put(&fx.names[i], fx.value(i, round))
    };
    compare(c, "put", n, &mut put_idx, &mut put_base, paired);
}

/// Advances a strided walk and returns the position in `0..len`.
fn step_of(k: &mut usize, len: usize) -> usize {
    *k = k.wrapping_add(7919);
    *k % len
}

/// 100k puts with 100 channel subscribers, then each subscriber drains its events.
fn fanout_idxmap(fx: &Fixture) -> Duration {
    let map = idxmap();
    let mut subs: Vec<_> = (0..FANOUT_SUBSCRIBERS)
        .map(|s| {
            map.subscribe_with_capacity(&format!("s{s}"), FANOUT_CHANGES)
                .unwrap()
        })
        .collect();
    let start = Instant::now();
    for k in 0..FANOUT_CHANGES {
        let i = k % fx.names.len();
        map.put(&fx.names[i], fx.value(i, k));
    }
    let mut received = 0usize;
    for sub in &mut subs {
        while let Ok(Notification::Event(event)) = sub.try_recv() {
            received += black_box(event).seq as usize & 1;
        }
    }
    let elapsed = start.elapsed();
    black_box(received);
    elapsed
}

/// The same through 100 callbacks.
fn fanout_idxmap_callbacks(fx: &Fixture) -> Duration {
    let map = idxmap();
    let count = Arc::new(AtomicU64::new(0));
    let _handles: Vec<_> = (0..FANOUT_SUBSCRIBERS)
        .map(|s| {
            let count = Arc::clone(&count);
            map.watch(&format!("s{s}"), move |ev: &Event<Item>| {
                count.fetch_add(ev.seq & 1, Ordering::Relaxed);
            })
            .unwrap()
        })
        .collect();
    let start = Instant::now();
    for k in 0..FANOUT_CHANGES {
        let i = k % fx.names.len();
        map.put(&fx.names[i], fx.value(i, k));
    }
    start.elapsed()
}

type BaseEvent = Arc<(String, Option<Arc<Item>>, Arc<Item>)>;

/// Baseline: the hand-written map, and one unbounded std channel per subscriber.
fn fanout_baseline(fx: &Fixture) -> Duration {
    let base = Baseline::default();
    let (senders, receivers): (Vec<mpsc::Sender<BaseEvent>>, Vec<mpsc::Receiver<BaseEvent>>) =
        (0..FANOUT_SUBSCRIBERS).map(|_| mpsc::channel()).unzip();
    let start = Instant::now();
    for k in 0..FANOUT_CHANGES {
        let i = k % fx.names.len();
        let value = fx.value(i, k);
        let prev = base.put(&fx.names[i], Arc::clone(&value));
        let event = Arc::new((fx.names[i].clone(), prev, value));
        for sender in &senders {
            sender.send(Arc::clone(&event)).unwrap();
        }
    }
    let mut received = 0usize;
    for receiver in &receivers {
        while let Ok(event) = receiver.try_recv() {
            received += black_box(event).0.len() & 1;
        }
    }
    let elapsed = start.elapsed();
    black_box(received);
    elapsed
}

/// One fan-out variant: runs it once and returns the time it took.
type FanoutRun = fn(&Fixture) -> Duration;

fn fanout(c: &mut Criterion) {
    let fx = Fixture::new(1_000);
    let mut group = c.benchmark_group("fanout");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(100));
    let runs: [(&str, FanoutRun); 3] = [
        ("idxmap-channels", fanout_idxmap),
        ("idxmap-callbacks", fanout_idxmap_callbacks),
        ("baseline-channels", fanout_baseline),
    ];
    for (name, run) in runs {
        group.bench_function(name, |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run(&fx)).sum())
        });
    }
    group.finish();
}

fn output_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("criterion")
}

/// Median time in ns of one benchmark, read back from criterion's output.
fn median_ns(dir: &std::path::Path, id: &str) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join(id).join("new/estimates.json")).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json["median"]["point_estimate"].as_f64()
}

fn print_ratios(dir: &std::path::Path, paired: &[(String, usize, f64)]) {
    println!("\nidxmap / baseline (criterion medians, and the paired ratio; goal <= 1.30):");
    for op in ["get", "lookup", "put"] {
        for n in SIZES {
            let idx = median_ns(dir, &format!("{op}/idxmap/{n}"));
            let base = median_ns(dir, &format!("{op}/baseline/{n}"));
            let pair = paired
                .iter()
                .find(|(o, m, _)| o == op && *m == n)
                .map(|p| p.2);
            if let (Some(idx), Some(base), Some(pair)) = (idx, base, pair) {
                println!(
                    "  {op:<7} {n:>9} entries: idxmap {idx:>8.1} ns, baseline {base:>8.1} ns, ratio {:.2}, paired ratio {pair:.2}",
                    idx / base
                );
            }
        }
    }
    let base = median_ns(dir, "fanout/baseline-channels");
    for name in ["idxmap-channels", "idxmap-callbacks"] {
        if let (Some(t), Some(base)) = (median_ns(dir, &format!("fanout/{name}")), base) {
            println!(
                "  fanout  {FANOUT_CHANGES} changes x {FANOUT_SUBSCRIBERS} subscribers: {name} {:.1} ms, baseline-channels {:.1} ms, ratio {:.2}",
                t / 1e6,
                base / 1e6,
                t / base
            );
        }
    }
}

fn main() {
    let dir = output_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    if !std::env::args().any(|arg| arg == "--bench") {
        // `cargo test --benches`: criterion's test mode; only check that the code runs.
        ops(&mut c, 1_000, None);
        return;
    }
    let mut paired = Vec::new();
    for n in SIZES {
        ops(&mut c, n, Some(&mut paired));
    }
    fanout(&mut c);
    c.final_summary();
    print_ratios(&dir, &paired);
}
