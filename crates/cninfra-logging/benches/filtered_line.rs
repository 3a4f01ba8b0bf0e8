//! Benchmark (c): the cost of a debug line that the registry filters out (goal < 10 ns).
//!
//! Run with `cargo bench -p cninfra-logging --bench filtered_line`. The registry's
//! subscriber is installed globally with default level `info` and output to
//! `std::io::sink()`. Cases, all in one run:
//! - `baseline`: a call of a non-inlined empty function through `black_box`;
//! - `debug_filtered`: `tracing::debug!(target: "bench", x = 1, "line")`;
//! - `debug_filtered_other_logger_at_debug`: the same while logger `other` is at debug, so
//!   tracing's global max level lets debug through and only the callsite cache filters;
//! - `info_written`: an enabled `info!` line formatted as text into the sink.
//!
//! After criterion's report, prints the median ns per call of each case and its ratio to
//! the baseline.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use cninfra_logging::{LogLevel, LogSettings};
use criterion::{Criterion, criterion_group};

/// Per case: nanoseconds per call of each criterion sample.
static SAMPLES: Mutex<Vec<(&'static str, Vec<f64>)>> = Mutex::new(Vec::new());

fn record(case: &'static str, elapsed: Duration, iters: u64) {
    let per_call = elapsed.as_secs_f64() * 1e9 / iters.max(1) as f64;
    let mut samples = SAMPLES.lock().unwrap_or_else(|e| e.into_inner());
    match samples.iter_mut().find(|(name, _)| *name == case) {
        Some((_, values)) => values.push(per_call),
        None => samples.push((case, vec![per_call])),
    }
}

/// Times `body` for criterion and keeps the per-call time for the summary.
fn timed(c: &mut Criterion, case: &'static str, body: fn()) {
    c.bench_function(case, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                body();
            }
            let elapsed = start.elapsed();
            record(case, elapsed, iters);
            elapsed
        })
    });
}

#[inline(never)]
fn empty(x: u64) -> u64 {
    x
}

fn benches(c: &mut Criterion) {
    let registry = cninfra_logging::try_init_with(
        LogSettings::new()
            .with_default_level(LogLevel::Info)
            .with_writer(std::io::sink),
    )
    .unwrap_or_else(|err| panic!("install: {err}"));
    registry
        .register("bench")
        .unwrap_or_else(|err| panic!("{err}"));
    registry
        .register("other")
        .unwrap_or_else(|err| panic!("{err}"));

    timed(c, "baseline", || {
        black_box(empty(black_box(1)));
    });
    timed(c, "debug_filtered", || {
        tracing::debug!(target: "bench", x = 1, "line");
    });
    registry
        .set_level("other", LogLevel::Debug)
        .unwrap_or_else(|err| panic!("{err}"));
    timed(c, "debug_filtered_other_logger_at_debug", || {
        tracing::debug!(target: "bench", x = 1, "line");
    });
    registry
        .set_level("other", LogLevel::Info)
        .unwrap_or_else(|err| panic!("{err}"));
    timed(c, "info_written", || {
        tracing::info!(target: "bench", x = 1, "line");
    });
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn summary() {
    let mut samples = SAMPLES.lock().unwrap_or_else(|e| e.into_inner());
    let Some(base) = samples
        .iter_mut()
        .find(|(name, _)| *name == "baseline")
        .map(|(_, values)| median(values))
    else {
        return;
    };
    println!("\nmedian ns per call (ratio to baseline, goal for debug_filtered: < 10 ns)");
    for (name, values) in samples.iter_mut() {
        let ns = median(values);
        println!("  {name:<40} {ns:>9.2} ns  x{:.1}", ns / base);
    }
}

criterion_group! {
    name = group;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
