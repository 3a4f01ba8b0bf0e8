//! Counters and timings of the scheduler (`GET /scheduler/stats`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::descriptor::{DescId, Registry};
use crate::state::{TxnOperation, ValueState};
use crate::txn::{RecordedTxn, TxnType};

/// Calls of one descriptor method.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodStats {
    /// Number of calls.
    pub count: u64,
    /// Total time spent, in milliseconds.
    pub total_ms: f64,
    /// Longest call, in milliseconds.
    pub max_ms: f64,
}

impl MethodStats {
    fn add(&mut self, took: Duration) {
        let ms = took.as_secs_f64() * 1e3;
        self.count += 1;
        self.total_ms += ms;
        self.max_ms = self.max_ms.max(ms);
    }
}

/// A snapshot of the scheduler's statistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SchedulerStats {
    /// Processed transactions per type.
    pub txn_count: BTreeMap<TxnType, u64>,
    /// Executed operations per kind.
    pub operations: BTreeMap<TxnOperation, u64>,
    /// Executed operations per resulting state.
    pub new_states: BTreeMap<ValueState, u64>,
    /// Descriptor calls: descriptor → method → counts and times.
    pub descriptor_calls: BTreeMap<String, BTreeMap<&'static str, MethodStats>>,
    /// Transactions dropped because the queue was full (SB notifications, non-blocking
    /// commits, retries waiting for room).
    pub dropped_txns: u64,
    /// Value-status updates dropped because a watcher's channel was full.
    pub dropped_status_updates: u64,
    /// Capacity of the transaction queue.
    pub queue_capacity: usize,
    /// Values in the graph.
    pub graph_nodes: usize,
    /// Transactions kept in the history.
    pub recorded_txns: usize,
    /// Node revisions kept in the history.
    pub recorded_revisions: usize,
}

/// A descriptor callback, for the timing statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Validate,
    Create,
    Update,
    Delete,
    Retrieve,
    DerivedValues,
    Dependencies,
    UpdateWithRecreate,
}

const METHOD_NAMES: [&str; 8] = [
    "validate",
    "create",
    "update",
    "delete",
    "retrieve",
    "derivedValues",
    "dependencies",
    "updateWithRecreate",
];

const TXN_TYPES: [TxnType; 4] = [
    TxnType::SbNotification,
    TxnType::NbTransaction,
    TxnType::RetryFailedOps,
    TxnType::RetryUnimplOps,
];

const OPERATIONS: [TxnOperation; 5] = [
    TxnOperation::Undefined,
    TxnOperation::Validate,
    TxnOperation::Create,
    TxnOperation::Update,
    TxnOperation::Delete,
];

/// The engine's counters, in arrays indexed by enum position (no hashing per call).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    txns: [u64; 4],
    ops: [u64; 5],
    states: [u64; 11],
    calls: Vec<[MethodStats; 8]>,
}

impl Stats {
    pub(crate) fn record_call(&mut self, descriptor: DescId, method: Method, took: Duration) {
        let i = descriptor as usize;
        if self.calls.len() <= i {
            self.calls.resize(i + 1, [MethodStats::default(); 8]);
        }
        self.calls[i][method as usize].add(took);
    }

    pub(crate) fn record_txn(&mut self, txn: &RecordedTxn) {
        self.txns[txn.txn_type as usize] += 1;
        for op in &txn.executed {
            self.ops[op.operation as usize] += 1;
            self.states[op.new_state as usize] += 1;
        }
    }

    pub(crate) fn snapshot(&self, registry: &Registry) -> SchedulerStats {
        let counts = |values: &[u64]| {
            values
                .iter()
                .copied()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .collect::<Vec<_>>()
        };
        SchedulerStats {
            txn_count: counts(&self.txns)
                .into_iter()
                .map(|(i, n)| (TXN_TYPES[i], n))
                .collect(),
            operations: counts(&self.ops)
                .into_iter()
                .map(|(i, n)| (OPERATIONS[i], n))
                .collect(),
            new_states: counts(&self.states)
                .into_iter()
                .map(|(i, n)| (ValueState::ALL[i], n))
                .collect(),
            descriptor_calls: registry
                .ids()
                .filter_map(|id| {
                    let methods = self.calls.get(id as usize)?;
                    let used: BTreeMap<&'static str, MethodStats> = methods
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| m.count > 0)
                        .map(|(i, m)| (METHOD_NAMES[i], *m))
                        .collect();
                    Some((registry.get(id).name().to_owned(), used))
                })
                .collect(),
            ..SchedulerStats::default()
        }
    }
}
