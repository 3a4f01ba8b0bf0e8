//! Shared fixtures of the scheduler benchmarks.

#![allow(dead_code, unreachable_pub)]

use cninfra_kvscheduler::testkit::{TestDescriptor, TestSouthbound, TestValue};
use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value};

/// Length of each dependency chain in the resync workload.
pub const CHAIN: usize = 10;

/// A scheduler with one test descriptor (`a/`, update + retrieve) over a southbound that
/// keeps no call log. The transaction summary is not printed (no subscriber either).
pub fn scheduler(history: bool) -> (Scheduler, TestSouthbound) {
    let config = SchedulerConfig {
        print_txn_summary: false,
        record_transaction_history: history,
        queue_capacity: 1024,
        ..SchedulerConfig::default()
    };
    let scheduler = Scheduler::new(config).expect("scheduler");
    let sb = TestSouthbound::without_call_log();
    scheduler
        .register(TestDescriptor::<true, true>::new("a", "a/", &sb))
        .expect("descriptor");
    (scheduler, sb)
}

pub fn chain_key(i: usize) -> String {
    format!("a/chain{:07}/v{}", i / CHAIN, i % CHAIN)
}

/// Value `i` of the chained workload: each depends on the previous one of its chain.
pub fn chained(i: usize) -> TestValue {
    let value = TestValue::new("payload-0123456789");
    if i.is_multiple_of(CHAIN) {
        value
    } else {
        value.with_deps([chain_key(i - 1)])
    }
}

pub fn values(n: usize) -> Vec<(String, Value)> {
    (0..n).map(|i| (chain_key(i), chained(i).value())).collect()
}

/// A full resync transaction of `values`, ready to commit.
pub fn resync_txn(scheduler: &Scheduler, values: &[(String, Value)]) -> cninfra_kvscheduler::Txn {
    let mut txn = scheduler.txn();
    for (key, value) in values {
        txn.set(key.as_str(), Some(value.clone()));
    }
    txn.with_resync(cninfra_kvscheduler::ResyncKind::Full)
}

/// Builds a graph of the values with one full resync; returns its sequence number.
pub async fn build(scheduler: &Scheduler, values: &[(String, Value)]) -> u64 {
    resync_txn(scheduler, values)
        .commit()
        .await
        .expect("resync")
}

/// How long the engine spent on transaction `seq` (from its record).
pub fn engine_time(scheduler: &Scheduler, seq: u64) -> std::time::Duration {
    let record = scheduler.recorded_txn(seq).expect("recorded");
    record.stop.duration_since(record.start).unwrap_or_default()
}

/// Whether cargo runs us as a benchmark (`cargo bench`) rather than a smoke test.
pub fn full_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}
