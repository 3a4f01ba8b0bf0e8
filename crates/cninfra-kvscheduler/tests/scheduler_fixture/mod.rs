//! Shared fixtures: a scheduler with test descriptors over a recording southbound.

#![allow(dead_code, unreachable_pub)]

use cninfra_kvscheduler::testkit::{TestDescriptor, TestSouthbound, TestValue};
use cninfra_kvscheduler::{RecordedTxnOp, Scheduler, SchedulerConfig, Value};

/// A scheduler with descriptors `a` (keys `a/`), `b` (keys `b/`) and `d` (derived keys
/// `d/`, no NB prefix), all calling one southbound.
pub fn setup() -> (Scheduler, TestSouthbound) {
    setup_with(SchedulerConfig::default())
}

pub fn setup_with(config: SchedulerConfig) -> (Scheduler, TestSouthbound) {
    let scheduler = Scheduler::new(config).expect("scheduler");
    scheduler.hold_paused_clock();
    let sb = TestSouthbound::new();
    scheduler
        .register(TestDescriptor::<true, true>::new("a", "a/", &sb))
        .expect("a");
    scheduler
        .register(TestDescriptor::<true, true>::new("b", "b/", &sb))
        .expect("b");
    scheduler
        .register(TestDescriptor::<true, false>::new("d", "d/", &sb).derived_only())
        .expect("d");
    (scheduler, sb)
}

pub fn v(data: &str) -> Value {
    TestValue::new(data).value()
}

pub fn tv(data: &str) -> TestValue {
    TestValue::new(data)
}

/// `"OP [FLAGS] key"` of each executed operation of transaction `seq`.
pub fn ops(scheduler: &Scheduler, seq: u64) -> Vec<String> {
    scheduler
        .recorded_txn(seq)
        .expect("recorded transaction")
        .executed
        .iter()
        .map(describe)
        .collect()
}

pub fn describe(op: &RecordedTxnOp) -> String {
    let flags = op.flags();
    if flags.is_empty() {
        format!("{} {}", op.operation, op.key)
    } else {
        format!("{} [{}] {}", op.operation, flags.join(" "), op.key)
    }
}
