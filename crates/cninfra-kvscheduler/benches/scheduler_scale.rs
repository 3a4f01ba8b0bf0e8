//! Scheduler timings with growth curves: full resync of N chained values, a one-value
//! transaction on a graph of N values, a dependency unblocking 10k pending values. Each
//! figure comes with a ratio against a baseline measured in the same run.
//!
//! Run: `cargo bench -p cninfra-kvscheduler --bench scheduler_scale [-- resync|one-value|unblock]`

mod common;

use std::time::{Duration, Instant};

use cninfra_kvscheduler::TypedDescriptor;
use cninfra_kvscheduler::testkit::{TestDescriptor, TestSouthbound, TestValue};
use common::{build, chain_key, chained, engine_time, full_run, resync_txn, scheduler, values};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Baseline of the resync: the same descriptor `create` calls made directly, in
/// dependency order, without any scheduler.
fn direct_creates(n: usize) -> Duration {
    let sb = TestSouthbound::without_call_log();
    let descriptor = TestDescriptor::<true, true>::new("a", "a/", &sb);
    let values: Vec<(String, TestValue)> = (0..n).map(|i| (chain_key(i), chained(i))).collect();
    let started = Instant::now();
    for (key, value) in &values {
        descriptor.create(key, value).expect("create");
    }
    started.elapsed()
}

/// Best of `runs` full resyncs of `n` chained values on an empty scheduler: commit
/// latency, engine time, and the best baseline.
async fn resync(n: usize, runs: usize) -> (Duration, Duration, Duration) {
    let mut best = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..runs {
        let (s, sb) = scheduler(true);
        let values = values(n);
        let txn = resync_txn(&s, &values);
        let started = Instant::now();
        let seq = txn.commit().await.expect("resync");
        let took = started.elapsed();
        assert_eq!(sb.len(), n);
        best.0 = best.0.min(took);
        best.1 = best.1.min(engine_time(&s, seq));
        best.2 = best.2.min(direct_creates(n));
        s.stop(Duration::from_secs(60)).await;
    }
    best
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// Median and p99 of `rounds` one-value updates on a graph of `n` values: commit latency
/// (two thread hand-offs included) and engine time.
async fn one_value(n: usize, rounds: usize) -> [Duration; 4] {
    let (s, _sb) = scheduler(true);
    build(&s, &values(n)).await;
    let mut latency = Vec::with_capacity(rounds);
    let mut engine = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let i = (round * 7919) % n;
        let value = TestValue {
            data: format!("update-{round}"),
            ..chained(i)
        };
        let txn = s.txn().put(chain_key(i), value.value());
        let started = Instant::now();
        let seq = txn.commit().await.expect("update");
        latency.push(started.elapsed());
        engine.push(engine_time(&s, seq));
    }
    latency.sort_unstable();
    engine.sort_unstable();
    s.stop(Duration::from_secs(60)).await;
    [
        percentile(&latency, 50),
        percentile(&latency, 99),
        percentile(&engine, 50),
        percentile(&engine, 99),
    ]
}

/// A dependency appearing that unblocks `n` pending values (engine time), against
/// creating `n` independent values in one transaction.
async fn unblock(n: usize) -> (Duration, Duration) {
    let (s, sb) = scheduler(true);
    let mut txn = s.txn();
    for i in 0..n {
        txn.set(
            format!("a/pending{i:07}"),
            Some(TestValue::new("p").with_deps(["a/root"]).value()),
        );
    }
    txn.commit().await.expect("pending");
    assert!(sb.is_empty());
    let seq = s
        .txn()
        .put("a/root", TestValue::new("root").value())
        .commit()
        .await
        .expect("root");
    let took = engine_time(&s, seq);
    assert_eq!(sb.len(), n + 1);

    let (s, _sb) = scheduler(true);
    let mut txn = s.txn();
    for i in 0..n {
        txn.set(format!("a/free{i:07}"), Some(TestValue::new("p").value()));
    }
    let seq = txn.commit().await.expect("baseline");
    (took, engine_time(&s, seq))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    // `-- resync` (or `one-value`, `unblock`) runs only the parts whose name matches.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with("--"));
    let wanted = |part: &str| filter.as_deref().is_none_or(|f| part.contains(f));
    let (resync_sizes, txn_sizes, pending): (&[usize], &[usize], usize) = if full_run() {
        (&[10_000, 100_000], &[10_000, 100_000, 1_000_000], 10_000)
    } else {
        (&[1_000], &[1_000], 1_000)
    };

    if wanted("resync") {
        println!(
            "full resync of N values in chains of {} (history on, best of 3):",
            common::CHAIN
        );
        for &n in resync_sizes {
            let (took, engine, direct) = resync(n, 3).await;
            println!(
                "  N={n:>9}: commit {:>8.1} ms, engine {:>8.1} ms ({:.2} µs/value); direct descriptor calls {:.1} ms; ratio engine/direct {:.1}",
                ms(took),
                ms(engine),
                us(engine) / n as f64,
                ms(direct),
                engine.as_secs_f64() / direct.as_secs_f64()
            );
        }
    }
    if wanted("one-value") {
        println!("one-value transaction on a graph of N values (500 rounds; median / p99):");
        let mut first = None;
        for &n in txn_sizes {
            let [lat50, lat99, eng50, eng99] = one_value(n, 500).await;
            let base = *first.get_or_insert(eng50);
            println!(
                "  N={n:>9}: commit {:>7.1} / {:>7.1} µs, engine {:>6.1} / {:>6.1} µs; engine median ratio to N={}: {:.2}",
                us(lat50),
                us(lat99),
                us(eng50),
                us(eng99),
                txn_sizes[0],
                eng50.as_secs_f64() / base.as_secs_f64()
            );
        }
    }
    if wanted("unblock") {
        println!("a dependency appearing that unblocks {pending} pending values (engine time):");
        let (took, baseline) = unblock(pending).await;
        println!(
            "  unblock {:.1} ms; creating {pending} independent values in one txn {:.1} ms; ratio {:.2}",
            ms(took),
            ms(baseline),
            took.as_secs_f64() / baseline.as_secs_f64()
        );
    }
}
