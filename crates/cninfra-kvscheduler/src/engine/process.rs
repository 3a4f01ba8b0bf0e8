//! The transaction pipeline: pre-process, order, simulate, execute, post-process.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::apply::{Args, Exec, Kv, RetryOf, TxnInfo};
use super::refresh::ResyncData;
use super::{Core, Env, LOG, QueuedTxn, TxnKind, TxnReply};
use crate::hash::{FastMap, FastSet};
use crate::state::{Origin, ValueState};
use crate::txn::{KeyError, RecordedKv, RecordedTxn, RecordedTxnOp, ResyncKind, TxnType};
use crate::value::Value;

/// Keeps the last value of each key, sorted by key.
fn dedup(mut values: Vec<(Arc<str>, Option<Value>)>) -> Vec<(Arc<str>, Option<Value>)> {
    values.reverse();
    values.sort_by(|a, b| a.0.cmp(&b.0));
    values.dedup_by(|later, first| later.0 == first.0);
    values
}

/// Processes one transaction; returns what the committer is told.
pub(super) fn process(core: &mut Core, env: &Env, txn: QueuedTxn) -> TxnReply {
    let started = Instant::now();
    let start_time = SystemTime::now();
    env.metrics.observe_queue_wait(txn.enqueued.elapsed());
    let dry_run = txn.dry_run;
    if dry_run {
        core.graph.begin_undo();
    } else {
        core.graph.track_changes();
    }

    let mut info = TxnInfo {
        seq: core.next_seq,
        txn_type: TxnType::NbTransaction,
        retry: None,
        revert: false,
        retry_of: None,
    };
    let mut resync = None;
    let mut description = None;
    let mut simulate = env.settings.simulation;
    // Values of models with secret fields show them redacted in records and logs.
    let values: Vec<(Arc<str>, Option<Value>)> = dedup(txn.values)
        .into_iter()
        .map(|(key, value)| {
            let value = match (value, core.registry.lookup(&key)) {
                (Some(value), Some(id)) => Some(core.registry.get(id).mark_secrets(value)),
                (value, _) => value,
            };
            (key, value)
        })
        .collect();
    let mut kvs: Vec<Kv> = match txn.kind {
        TxnKind::Nb(options) => {
            info.retry = options.retry;
            info.revert = options.revert;
            resync = options.resync;
            description = options.description;
            simulate |= options.simulation;
            let mut kvs: Vec<Kv> = values.into_iter().map(|(k, v)| Kv::nb(k, v)).collect();
            if let Some(kind) = resync {
                preprocess_resync(core, kind, &mut kvs, options.verbose_refresh, dry_run);
            }
            kvs
        }
        TxnKind::Sb => {
            info.txn_type = TxnType::SbNotification;
            values
                .into_iter()
                .filter(|(key, _)| {
                    core.registry.lookup(key).is_some()
                        && core
                            .graph
                            .get(key)
                            .is_none_or(|n| n.origin != Origin::FromNb)
                })
                .map(|(key, value)| Kv {
                    origin: Origin::FromSb,
                    ..Kv::nb(key, value)
                })
                .collect()
        }
        TxnKind::Retry { for_txn, attempt } => {
            info.txn_type = TxnType::RetryFailedOps;
            simulate = true;
            let keys: FastSet<Arc<str>> = values.iter().map(|(k, _)| Arc::clone(k)).collect();
            let kvs = values
                .into_iter()
                .filter_map(|(key, _)| {
                    let update = core.graph.get(&key)?.last_update.as_ref()?;
                    // A value updated since the failure is not retried.
                    (update.txn_seq <= for_txn).then(|| Kv {
                        is_revert: update.revert,
                        ..Kv::nb(Arc::clone(&key), update.value.clone())
                    })
                })
                .collect();
            info.retry_of = Some(RetryOf {
                for_txn,
                attempt,
                keys,
            });
            kvs
        }
        TxnKind::RetryUnimpl => {
            info.txn_type = TxnType::RetryUnimplOps;
            values
                .into_iter()
                .filter_map(|(key, _)| {
                    let node = core.graph.get(&key)?;
                    let update = node.last_update.as_ref()?;
                    (node.state == ValueState::Unimplemented)
                        .then(|| Kv::nb(Arc::clone(&key), update.value.clone()))
                })
                .collect()
        }
    };
    if kvs.is_empty() && info.txn_type != TxnType::NbTransaction {
        finish_skipped(core, dry_run);
        return TxnReply::default();
    }
    order(core, &mut kvs);

    if dry_run {
        let planned = execute(core, &info, &kvs, true, false).0;
        core.graph.rollback();
        return TxnReply {
            seq: info.seq,
            planned,
            errors: Vec::new(),
        };
    }

    let planned = if simulate {
        let touched = core.graph.pause_changes();
        core.graph.begin_undo();
        let planned = execute(core, &info, &kvs, true, false).0;
        core.graph.rollback();
        core.graph.resume_changes(touched);
        if planned.is_empty() && info.txn_type == TxnType::RetryFailedOps {
            finish_skipped(core, false);
            return TxnReply::default();
        }
        planned
    } else {
        Vec::new()
    };

    core.next_seq += 1;
    let retry_of = info.retry_of.clone();
    let mut record = RecordedTxn {
        pre_record: true,
        with_simulation: simulate,
        start: start_time,
        stop: start_time,
        seq_num: info.seq,
        txn_type: info.txn_type,
        resync_type: resync,
        description,
        retry_for_txn: retry_of.as_ref().map(|r| r.for_txn),
        retry_attempt: retry_of.as_ref().map(|r| r.attempt),
        values: kvs
            .iter()
            .map(|kv| RecordedKv {
                key: Arc::clone(&kv.key),
                value: kv.value.clone(),
                origin: kv.origin,
            })
            .collect(),
        planned,
        executed: Vec::new(),
    };
    let print = env.settings.print_summary && tracing::enabled!(target: LOG, tracing::Level::INFO);
    if print {
        tracing::info!(target: LOG, seq = info.seq, "\n{}", record.log_header());
    }

    let track_status = env.watchers.has_watchers();
    let (executed, errors, updated) = execute(core, &info, &kvs, false, track_status);
    post_process(core, env, &info, &executed);

    record.pre_record = false;
    record.stop = SystemTime::now();
    record.executed = executed;
    if print {
        tracing::info!(target: LOG, seq = info.seq, "\n{}", record.log_footer());
    }
    if track_status {
        let statuses = updated
            .iter()
            .map(|key| super::base_status(&core.graph, key))
            .collect();
        env.watchers.publish(statuses);
    }
    // REMOVED is transient: the nodes go once watchers were told.
    for op in record
        .executed
        .iter()
        .filter(|op| op.new_state == ValueState::Removed)
    {
        if core
            .graph
            .get(&op.key)
            .is_some_and(|n| n.state == ValueState::Removed)
        {
            core.graph.remove(&op.key);
        }
    }
    let changed = core.graph.take_changes();
    core.history
        .record_revisions(&core.graph, &changed, info.seq, record.stop);
    core.stats.record_txn(&record);
    env.metrics.txn_processed(
        info.txn_type,
        started.elapsed(),
        record.stop.duration_since(start_time).unwrap_or_default(),
    );
    let reply = TxnReply {
        seq: info.seq,
        planned: Vec::new(),
        errors,
    };
    core.history.add_txn(record);
    reply
}

fn finish_skipped(core: &mut Core, dry_run: bool) {
    if dry_run {
        core.graph.rollback();
    } else {
        let changed = core.graph.take_changes();
        let now = SystemTime::now();
        let seq = core.next_seq.saturating_sub(1);
        core.history
            .record_revisions(&core.graph, &changed, seq, now);
    }
}

/// Resync: refresh the southbound view, delete obsolete NB values, re-record SB values.
fn preprocess_resync(
    core: &mut Core,
    kind: ResyncKind,
    kvs: &mut Vec<Kv>,
    verbose: bool,
    dry_run: bool,
) {
    if !dry_run {
        core.resync_count += 1;
    }
    if kind == ResyncKind::Downstream {
        *kvs = core
            .graph
            .nodes()
            .filter(|n| n.origin != Origin::FromSb && !n.is_derived())
            .filter_map(|n| {
                let update = n.last_update.as_ref()?;
                update.value.as_ref()?;
                Some(Kv {
                    is_revert: update.revert,
                    ..Kv::nb(Arc::clone(&n.key), update.value.clone())
                })
            })
            .collect();
        kvs.sort_by(|a, b| a.key.cmp(&b.key));
    }
    // Decoded values correlate better with what `retrieve` finds.
    for kv in kvs.iter_mut() {
        if let Some(value) = kv.value.as_ref().filter(|v| v.raw_json().is_some())
            && let Some(id) = core.registry.lookup(&kv.key)
            && let Ok(typed) = core.registry.get(id).decode(&kv.key, value)
        {
            kv.value = Some(typed);
        }
    }
    let nb_keys: FastSet<Arc<str>> = kvs.iter().map(|kv| Arc::clone(&kv.key)).collect();
    if kind != ResyncKind::Upstream {
        let first = core.resync_count == 1;
        core.refresh(
            None,
            Some(ResyncData { first, values: kvs }),
            verbose,
            dry_run,
        );
    }
    let mut extra = Vec::new();
    for node in core.graph.nodes() {
        if node.is_derived() || nb_keys.contains(&node.key) {
            continue;
        }
        if node.origin == Origin::FromSb {
            if let Some(value) = &node.value {
                extra.push(Kv {
                    key: Arc::clone(&node.key),
                    value: Some(value.clone()),
                    origin: Origin::FromSb,
                    is_revert: false,
                    metadata: node.metadata.clone(),
                });
            }
        } else if node.value.is_some() || node.last_update.is_some() {
            extra.push(Kv::nb(Arc::clone(&node.key), None));
        }
    }
    kvs.extend(extra);
}

/// Upstream's order: by key, then deletes, re-creates, creates, updates.
fn order(core: &Core, kvs: &mut Vec<Kv>) {
    kvs.sort_by(|a, b| a.key.cmp(&b.key));
    let group = |kv: &Kv| -> u8 {
        let Some(value) = &kv.value else {
            return 0;
        };
        let Some(node) = core
            .graph
            .get(&kv.key)
            .filter(|n| n.available && n.value.is_some())
        else {
            return 2;
        };
        let (Some(id), Some(old)) = (node.descriptor, &node.value) else {
            return 3;
        };
        let descriptor = core.registry.get(id);
        let new = descriptor
            .decode(&kv.key, value)
            .unwrap_or_else(|_| value.clone());
        if descriptor.update_with_recreate(&kv.key, old, &new, node.metadata.as_ref()) {
            1
        } else {
            3
        }
    };
    let mut keyed: Vec<(u8, Kv)> = kvs.drain(..).map(|kv| (group(&kv), kv)).collect();
    keyed.sort_by_key(|(g, _)| *g);
    kvs.extend(keyed.into_iter().map(|(_, kv)| kv));
}

type Executed = (Vec<RecordedTxnOp>, Vec<KeyError>, FastSet<Arc<str>>);

/// Applies the values in order; with revert, undoes them after the first failure.
fn execute(
    core: &mut Core,
    info: &TxnInfo,
    kvs: &[Kv],
    dry_run: bool,
    track_status: bool,
) -> Executed {
    let mut exec = Exec::new(core, info, dry_run, track_status);
    let mut previous: Vec<Kv> = Vec::with_capacity(if info.revert { kvs.len() } else { 0 });
    let mut failed_key = None;
    for kv in kvs {
        if info.revert {
            let value = exec.core.graph.get(&kv.key).and_then(|n| n.value.clone());
            previous.push(Kv {
                is_revert: true,
                ..Kv::nb(Arc::clone(&kv.key), value)
            });
        }
        let args = Args {
            kv: kv.clone(),
            base: None,
            is_derived: false,
            is_dep_update: false,
        };
        let failed = exec.apply_value(args).is_err();
        if failed && info.revert && info.txn_type == TxnType::NbTransaction && !dry_run {
            failed_key = Some(Arc::clone(&kv.key));
            break;
        }
    }
    if let Some(key) = failed_key {
        let keys: FastSet<Arc<str>> = std::iter::once(key).collect();
        exec.core.refresh(Some(&keys), None, true, false);
        for kv in previous.into_iter().rev() {
            let args = Args {
                kv,
                base: None,
                is_derived: false,
                is_dep_update: false,
            };
            let _ = exec.apply_value(args);
        }
    }
    // Only errors of the transaction's own values (and their derived values) are returned.
    let input: FastSet<Arc<str>> = if exec.errors.is_empty() {
        FastSet::default()
    } else {
        kvs.iter().map(|kv| Arc::clone(&kv.key)).collect()
    };
    let errors = exec
        .errors
        .drain(..)
        .filter(|e| {
            input.contains(&*e.key)
                || exec
                    .core
                    .graph
                    .get(&e.key)
                    .and_then(|n| n.base.as_ref())
                    .is_some_and(|b| input.contains(b))
        })
        .collect();
    let executed = compress(std::mem::take(&mut exec.executed));
    (executed, errors, std::mem::take(&mut exec.updated_states))
}

/// Merges a pending CREATE with the later real CREATE of the same key, and a DELETE of a
/// pending value with the earlier DELETE that made it pending.
fn compress(ops: Vec<RecordedTxnOp>) -> Vec<RecordedTxnOp> {
    use crate::state::TxnOperation::{Create, Delete};
    let mergeable = ops.iter().any(|op| {
        (op.operation == Create && op.new_state == ValueState::Pending)
            || (op.operation == Delete && op.prev_state == ValueState::Pending)
    });
    if !mergeable {
        return ops;
    }
    let mut ops: Vec<Option<RecordedTxnOp>> = ops.into_iter().map(Some).collect();
    // Next op index of the same key.
    let mut next_of: FastMap<Arc<str>, usize> = FastMap::default();
    let mut next = vec![None; ops.len()];
    for (i, op) in ops.iter().enumerate().rev() {
        if let Some(op) = op {
            next[i] = next_of.insert(Arc::clone(&op.key), i);
        }
    }
    for i in 0..ops.len() {
        let Some(op) = &ops[i] else { continue };
        if op.operation != Create || op.new_state != ValueState::Pending {
            continue;
        }
        let Some(j) = next[i] else { continue };
        if ops[j].as_ref().is_some_and(|o| o.operation == Create) {
            let first = ops[i].take();
            if let (Some(first), Some(later)) = (first, ops[j].as_mut()) {
                later.prev_value = first.prev_value;
                later.prev_err = first.prev_err;
                later.prev_state = first.prev_state;
            }
        }
    }
    let mut prev_of: FastMap<Arc<str>, usize> = FastMap::default();
    let mut prev = vec![None; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        if let Some(op) = op {
            prev[i] = prev_of.insert(Arc::clone(&op.key), i);
        }
    }
    for i in (0..ops.len()).rev() {
        let Some(op) = &ops[i] else { continue };
        if op.operation != Delete || op.prev_state != ValueState::Pending {
            continue;
        }
        let Some(j) = prev[i] else { continue };
        if ops[j].as_ref().is_some_and(|o| o.operation == Delete) {
            let last = ops[i].take();
            if let (Some(last), Some(earlier)) = (last, ops[j].as_mut()) {
                earlier.new_value = last.new_value;
                earlier.new_err = last.new_err;
                earlier.new_state = last.new_state;
            }
        }
    }
    ops.into_iter().flatten().collect()
}

/// Refreshes failed values and schedules their retries.
fn post_process(core: &mut Core, env: &Env, info: &TxnInfo, executed: &[RecordedTxnOp]) {
    let mut to_refresh: FastSet<Arc<str>> = FastSet::default();
    let mut to_retry: BTreeMap<Duration, Vec<Arc<str>>> = BTreeMap::new();
    let attempt = info.retry_of.as_ref().map_or(1, |r| r.attempt + 1);
    for op in executed.iter().filter(|op| op.new_state.is_failure()) {
        let Some(node) = core.graph.get(&op.key) else {
            continue;
        };
        if !node.state.is_failure() {
            continue;
        }
        let base = Arc::clone(node.base_key());
        to_refresh.insert(Arc::clone(&base));
        if node.state == ValueState::Retrying
            && let Some(retry) = node.last_update.as_ref().and_then(|u| u.retry)
        {
            let keys = to_retry.entry(retry.delay(attempt)).or_default();
            if !keys.contains(&base) {
                keys.push(base);
            }
        }
    }
    if !to_refresh.is_empty() {
        core.refresh(Some(&to_refresh), None, false, false);
    }
    for (delay, keys) in to_retry {
        tracing::debug!(target: LOG, seq = info.seq, attempt, ?delay, keys = keys.len(), "retry scheduled");
        let values = keys.into_iter().map(|k| (k, None)).collect();
        let txn = QueuedTxn::new(
            TxnKind::Retry {
                for_txn: info.seq,
                attempt,
            },
            values,
            false,
        );
        env.schedule_retry(delay, txn);
    }
}
