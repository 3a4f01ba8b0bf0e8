//! Bytes of heap per entry of `IdxMap` (one secondary index) against the hand-written
//! baseline, counted by an instrumented global allocator. Values are created before the
//! count starts and shared (`Arc`), so the figures are what each container adds per entry:
//! its copies of the name, the hash tables and the index.
//!
//! Run: `cargo bench -p cninfra-idxmap --bench idxmap_memory`

mod common;

use std::alloc::System;

use common::{Baseline, Fixture, idxmap};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Net bytes and live allocations added by `build`, and what it returns (kept alive).
fn measure<T>(build: impl FnOnce() -> T) -> (usize, usize, T) {
    let region = Region::new(GLOBAL);
    let built = build();
    let change = region.change();
    let bytes = change
        .bytes_allocated
        .saturating_sub(change.bytes_deallocated);
    let allocations = change.allocations.saturating_sub(change.deallocations);
    (bytes, allocations, built)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` asks the harness for its benchmarks: none to list.
    }
    println!("heap bytes per entry (requested sizes; one index, ~10 entries per index value):");
    // Without `--bench` (`cargo test --benches`) only check that the code runs.
    let sizes: &[usize] = if std::env::args().any(|arg| arg == "--bench") {
        &[10_000, 1_000_000]
    } else {
        &[1_000]
    };
    for &n in sizes {
        let fx = Fixture::new(n);
        let (idx_bytes, idx_allocs, map) = measure(|| {
            let map = idxmap();
            for (i, name) in fx.names.iter().enumerate() {
                map.put(name, fx.value(i, 0));
            }
            map
        });
        let (base_bytes, base_allocs, base) = measure(|| {
            let base = Baseline::default();
            for (i, name) in fx.names.iter().enumerate() {
                base.put(name, fx.value(i, 0));
            }
            base
        });
        assert_eq!((map.len(), base.len()), (n, n));
        let per = |bytes: usize| bytes as f64 / n as f64;
        println!(
            "  {n:>9} entries (name {} bytes): idxmap {:.1} B/entry ({:.2} allocations), baseline {:.1} B/entry ({:.2} allocations), ratio {:.2}",
            fx.names[0].len(),
            per(idx_bytes),
            idx_allocs as f64 / n as f64,
            per(base_bytes),
            base_allocs as f64 / n as f64,
            idx_bytes as f64 / base_bytes as f64,
        );
        drop((map, base));
    }
}
