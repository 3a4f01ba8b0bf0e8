//! What the orchestrator adds on top of the scheduler: a full resync of N values through a
//! source (share replacement + merge of two sources) against the same resync committed
//! directly, and a one-value change through a source against a direct one. Ratios are
//! against the direct figures measured in the same run.
//!
//! Run: `cargo bench -p cninfra-kvscheduler --bench orchestrator_overhead`

mod common;

use std::time::{Duration, Instant};

use cninfra_kvscheduler::orchestrator::{DATASYNC_SOURCE, LOCAL_SOURCE, Orchestrator};
use cninfra_kvscheduler::testkit::TestValue;
use common::{chain_key, chained, full_run, resync_txn, scheduler, values};

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Best of `runs`: (direct full resync, resync through the `datasync` source while the
/// `localclient` source holds 1 % of the keys).
async fn resync(n: usize, runs: usize) -> (Duration, Duration) {
    let mut best = (Duration::MAX, Duration::MAX);
    let values = values(n);
    for _ in 0..runs {
        let (s, _sb) = scheduler(false);
        let started = Instant::now();
        resync_txn(&s, &values).commit().await.expect("resync");
        best.0 = best.0.min(started.elapsed());
        s.stop(Duration::from_secs(60)).await;

        let (s, _sb) = scheduler(false);
        let orchestrator = Orchestrator::new(s.clone());
        let mut local = orchestrator.source(LOCAL_SOURCE).txn();
        for (key, value) in values.iter().step_by(100) {
            local.set(key.as_str(), Some(value.clone()));
        }
        local.commit().await.expect("local");
        let mut txn = orchestrator.source(DATASYNC_SOURCE).resync();
        for (key, value) in &values {
            txn.set(key.as_str(), Some(value.clone()));
        }
        let started = Instant::now();
        txn.commit().await.expect("resync");
        best.1 = best.1.min(started.elapsed());
        s.stop(Duration::from_secs(60)).await;
    }
    best
}

/// Median latency of `rounds` one-value updates on a graph of `n` values: direct, then
/// through a source.
async fn one_value(n: usize, rounds: usize) -> (Duration, Duration) {
    let (s, _sb) = scheduler(false);
    let orchestrator = Orchestrator::new(s.clone());
    let mut txn = orchestrator.source(DATASYNC_SOURCE).resync();
    for (key, value) in values(n) {
        txn.set(key, Some(value));
    }
    txn.commit().await.expect("build");
    let source = orchestrator.source(DATASYNC_SOURCE);
    let mut direct = Vec::with_capacity(rounds);
    let mut through = Vec::with_capacity(rounds);
    for round in 0..rounds {
        let i = (round * 7919) % n;
        let value = |tag: &str| {
            TestValue {
                data: format!("{tag}-{round}"),
                ..chained(i)
            }
            .value()
        };
        // Alternate which goes first: the first of a pair finds the engine thread idle.
        for direct_turn in [round % 2 == 0, round % 2 == 1] {
            let started = Instant::now();
            if direct_turn {
                let txn = s.txn().put(chain_key(i), value("direct"));
                txn.commit().await.expect("direct");
                direct.push(started.elapsed());
            } else {
                let txn = source.txn().put(chain_key(i), value("source"));
                txn.commit().await.expect("source");
                through.push(started.elapsed());
            }
        }
    }
    direct.sort_unstable();
    through.sort_unstable();
    (direct[rounds / 2], through[rounds / 2])
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let (sizes, graph): (&[usize], usize) = if full_run() {
        (&[10_000, 100_000], 100_000)
    } else {
        (&[1_000], 1_000)
    };
    println!("full resync of N values (best of 5): direct vs through the orchestrator");
    for &n in sizes {
        let (direct, through) = resync(n, 5).await;
        println!(
            "  N={n:>7}: direct {:>7.1} ms, orchestrator {:>7.1} ms; ratio {:.2}",
            ms(direct),
            ms(through),
            through.as_secs_f64() / direct.as_secs_f64()
        );
    }
    println!("one-value change on a graph of {graph} values (500 rounds, median)");
    let (direct, through) = one_value(graph, 500).await;
    println!(
        "  direct {:>6.1} µs, orchestrator {:>6.1} µs; ratio {:.2}",
        us(direct),
        us(through),
        through.as_secs_f64() / direct.as_secs_f64()
    );
}
