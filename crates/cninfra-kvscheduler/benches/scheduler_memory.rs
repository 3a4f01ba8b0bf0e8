//! Heap bytes per value of the scheduler (graph, indexes, history), counted by an
//! instrumented global allocator, against the values themselves as a baseline.
//!
//! Run: `cargo bench -p cninfra-kvscheduler --bench scheduler_memory`

mod common;

use std::alloc::System;

use common::{build, full_run, scheduler, values};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn net(region: &Region<'_, System>) -> usize {
    let change = region.change();
    change
        .bytes_allocated
        .saturating_sub(change.bytes_deallocated)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sizes: &[usize] = if full_run() {
        &[10_000, 100_000, 1_000_000]
    } else {
        &[1_000]
    };
    println!("heap bytes per value (chained test values, southbound copy excluded):");
    for &n in sizes {
        for history in [false, true] {
            let region = Region::new(GLOBAL);
            let values = values(n);
            let value_bytes = net(&region);
            let (s, sb) = scheduler(history);
            let before_sb = sb.len();
            let region = Region::new(GLOBAL);
            build(&s, &values).await;
            s.barrier().await;
            let total = net(&region);
            // The southbound keeps its own copy of every value: count it out.
            let sb_region = Region::new(GLOBAL);
            let copy = sb.values();
            let sb_bytes = net(&sb_region);
            drop(copy);
            let scheduler_bytes = total.saturating_sub(sb_bytes);
            println!(
                "  N={n:>9} history={history:<5}: scheduler {:>6.0} B/value; the values themselves {:>4.0} B/value; ratio {:.2}",
                scheduler_bytes as f64 / n as f64,
                value_bytes as f64 / n as f64,
                scheduler_bytes as f64 / value_bytes as f64,
            );
            assert_eq!(before_sb, 0);
            drop(values);
            s.stop(std::time::Duration::from_secs(60)).await;
        }
    }
}
