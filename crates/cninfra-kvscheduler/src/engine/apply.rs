//! The recursive application of one value (upstream's `applyValue`), dependency updates
//! and derived values.

use std::sync::Arc;

use super::Core;
use super::ready::{is_ready, missing_deps};
use crate::descriptor::{DescId, DescriptorError, ErasedDescriptor};
use crate::graph::{LastUpdate, NodeError};
use crate::hash::FastSet;
use crate::state::{Origin, TxnOperation, ValueState};
use crate::stats::Method;
use crate::txn::{KeyError, RecordedTxnOp, RetryOptions, TxnType};
use crate::value::{Metadata, Value};

/// A value to apply.
#[derive(Debug, Clone)]
pub(crate) struct Kv {
    pub(crate) key: Arc<str>,
    pub(crate) value: Option<Value>,
    pub(crate) origin: Origin,
    pub(crate) is_revert: bool,
    /// Metadata of a value the southbound already has (SB origin).
    pub(crate) metadata: Option<Metadata>,
}

impl Kv {
    pub(crate) fn nb(key: Arc<str>, value: Option<Value>) -> Self {
        Self {
            key,
            value,
            origin: Origin::FromNb,
            is_revert: false,
            metadata: None,
        }
    }
}

/// Arguments of one `apply_value` call.
#[derive(Debug, Clone)]
pub(crate) struct Args {
    pub(crate) kv: Kv,
    pub(crate) base: Option<Arc<str>>,
    pub(crate) is_derived: bool,
    pub(crate) is_dep_update: bool,
}

/// What a retry transaction retries.
#[derive(Debug, Clone)]
pub(crate) struct RetryOf {
    pub(crate) for_txn: u64,
    pub(crate) attempt: u32,
    pub(crate) keys: FastSet<Arc<str>>,
}

/// Facts of the transaction being executed.
#[derive(Debug, Clone)]
pub(crate) struct TxnInfo {
    pub(crate) seq: u64,
    pub(crate) txn_type: TxnType,
    pub(crate) retry: Option<RetryOptions>,
    pub(crate) revert: bool,
    pub(crate) retry_of: Option<RetryOf>,
}

/// One execution (real or simulated) of a transaction.
pub(crate) struct Exec<'a> {
    pub(crate) core: &'a mut Core,
    pub(crate) txn: &'a TxnInfo,
    pub(crate) dry_run: bool,
    pub(crate) track_status: bool,
    branch: FastSet<Arc<str>>,
    pub(crate) executed: Vec<RecordedTxnOp>,
    /// Base keys whose status changed.
    pub(crate) updated_states: FastSet<Arc<str>>,
    /// Every failure, with the operation that failed.
    pub(crate) errors: Vec<KeyError>,
}

/// What decides whether a value status changed.
type StatusPrint = (ValueState, TxnOperation, Option<Arc<str>>, Vec<String>);

impl<'a> Exec<'a> {
    pub(crate) fn new(
        core: &'a mut Core,
        txn: &'a TxnInfo,
        dry_run: bool,
        track_status: bool,
    ) -> Self {
        Self {
            core,
            txn,
            dry_run,
            track_status,
            branch: FastSet::default(),
            executed: Vec::new(),
            updated_states: FastSet::default(),
            errors: Vec::new(),
        }
    }

    pub(crate) fn descriptor(
        &self,
        id: Option<DescId>,
    ) -> Option<(DescId, Arc<dyn ErasedDescriptor>)> {
        id.map(|id| (id, Arc::clone(self.core.registry.get(id))))
    }

    /// Runs a descriptor callback, timing it per descriptor and method.
    pub(crate) fn call<T>(
        &mut self,
        descriptor: &(DescId, Arc<dyn ErasedDescriptor>),
        method: Method,
        f: impl FnOnce(&dyn ErasedDescriptor) -> T,
    ) -> T {
        let started = std::time::Instant::now();
        let out = f(&*descriptor.1);
        self.core
            .stats
            .record_call(descriptor.0, method, started.elapsed());
        out
    }

    pub(crate) fn ready(&mut self, key: &str) -> bool {
        let core = &mut *self.core;
        is_ready(&core.graph, &mut core.not_ready, key)
    }

    fn status_print(&self, key: &str) -> Option<StatusPrint> {
        let node = self.core.graph.get(key)?;
        let details = match node.state {
            ValueState::Pending => missing_deps(&self.core.graph, node),
            _ => Vec::new(),
        };
        Some((
            node.state,
            node.last_update
                .as_ref()
                .map_or(TxnOperation::Undefined, |u| u.op),
            node.error.as_ref().map(|e| Arc::clone(&e.message)),
            details,
        ))
    }

    /// The operation record with what is known before the operation.
    pub(crate) fn pre_record(&self, args: &Args) -> RecordedTxnOp {
        let node = self.core.graph.get(&args.kv.key);
        let is_property = args.is_derived && self.core.registry.lookup(&args.kv.key).is_none();
        RecordedTxnOp {
            operation: TxnOperation::Undefined,
            key: Arc::clone(&args.kv.key),
            new_state: ValueState::Nonexistent,
            new_value: args.kv.value.clone(),
            new_err: None,
            prev_state: node.map_or(ValueState::Nonexistent, |n| n.state),
            prev_value: node.and_then(|n| n.value.clone()),
            prev_err: node.and_then(|n| n.error.as_ref().map(|e| Arc::clone(&e.message))),
            noop: false,
            is_derived: args.is_derived,
            is_property,
            is_revert: args.kv.is_revert,
            is_retry: self.txn.txn_type == TxnType::RetryFailedOps,
            is_recreate: false,
        }
    }

    /// Applies one value, recursively (dependants, derived values). Returns the error of
    /// the value itself or inherited from its derived values.
    pub(crate) fn apply_value(&mut self, args: Args) -> Result<(), DescriptorError> {
        // A key already on the current branch means a dependency cycle: stop here.
        if !self.branch.insert(Arc::clone(&args.kv.key)) {
            return Ok(());
        }
        let key = Arc::clone(&args.kv.key);
        let out = self.apply_value_inner(args);
        self.branch.remove(&key);
        out
    }

    fn apply_value_inner(&mut self, args: Args) -> Result<(), DescriptorError> {
        let key = Arc::clone(&args.kv.key);
        self.core.graph.get_or_insert(&key);
        let prev_print = if self.track_status {
            self.status_print(&key)
        } else {
            None
        };
        let mut op = self.pre_record(&args);

        let (has_value, available, prev_update) = {
            let node = self.core.graph.get(&key);
            (
                node.is_some_and(|n| n.value.is_some()),
                node.is_some_and(|n| n.available),
                node.and_then(|n| n.last_update.as_ref())
                    .map(|u| (u.txn_seq, u.retry)),
            )
        };
        op.operation = if args.is_dep_update {
            let ready = self.ready(&key);
            match (available, ready) {
                (false, true) => TxnOperation::Create,
                (true, false) => TxnOperation::Delete,
                _ => return Ok(()),
            }
        } else if args.kv.value.is_none() {
            TxnOperation::Delete
        } else if !has_value || !available {
            TxnOperation::Create
        } else {
            TxnOperation::Update
        };

        // Record the update asked for, with the retry settings it inherits.
        let retry = if self.txn.txn_type == TxnType::NbTransaction {
            self.txn.retry
        } else if let Some((_, retry)) = prev_update {
            retry
        } else if let Some(base) = args.base.as_deref().filter(|_| args.is_derived) {
            self.core
                .graph
                .get(base)
                .and_then(|n| n.last_update.as_ref())
                .and_then(|u| u.retry)
        } else {
            None
        };
        let prev_state = op.prev_state;
        if let Some(node) = self.core.graph.get_mut(&key) {
            node.last_update = Some(Box::new(LastUpdate {
                txn_seq: self.txn.seq,
                op: op.operation,
                value: args.kv.value.clone(),
                revert: args.kv.is_revert,
                retry,
            }));
        }

        // A value this transaction already broke is left for the post-processing.
        if prev_state.is_failure()
            && !args.kv.is_revert
            && prev_update.is_some_and(|(seq, _)| seq == self.txn.seq)
        {
            let message = self
                .core
                .graph
                .get(&key)
                .map_or_else(String::new, |n| n.error_message().to_owned());
            return Err(DescriptorError::failed(message));
        }

        let out = match op.operation {
            TxnOperation::Delete => self.apply_delete(&args, op, args.is_dep_update, false),
            TxnOperation::Create => self.apply_create(&args, op),
            _ => self.apply_update(&args, op),
        };

        if self.track_status && !self.dry_run {
            let changed = prev_update.is_none() || prev_print != self.status_print(&key);
            if changed {
                let base = self.core.graph.get(&key).map_or_else(
                    || args.base.clone().unwrap_or_else(|| Arc::clone(&key)),
                    |n| Arc::clone(n.base_key()),
                );
                self.updated_states.insert(base);
            }
        }
        out
    }

    /// Re-evaluates the values depending on `key`: creates those that became ready
    /// (`for_unavailable`) or deletes those that lost a dependency.
    pub(crate) fn run_dep_updates(&mut self, key: &str, for_unavailable: bool, is_revert: bool) {
        for dependant in self.core.graph.dependants(key) {
            let Some(node) = self.core.graph.get(&dependant) else {
                continue;
            };
            if node.origin != Origin::FromNb || node.available == for_unavailable {
                continue;
            }
            if matches!(node.state, ValueState::Invalid | ValueState::Unimplemented) {
                continue;
            }
            let value = node
                .last_update
                .as_ref()
                .map_or_else(|| node.value.clone(), |u| u.value.clone());
            if value.is_none() {
                continue;
            }
            let args = Args {
                kv: Kv {
                    key: Arc::clone(&node.key),
                    value,
                    origin: node.origin,
                    is_revert,
                    metadata: None,
                },
                base: node.base.clone(),
                is_derived: node.is_derived(),
                is_dep_update: true,
            };
            // Failures of dependants are recorded on them, not returned to this value.
            let _ = self.apply_value(args);
        }
    }

    /// Applies derived values of `base` (sorted by key); returns the last error.
    pub(crate) fn apply_derived(
        &mut self,
        base: &Arc<str>,
        mut values: Vec<Kv>,
        check: bool,
    ) -> Result<(), DescriptorError> {
        values.sort_by(|a, b| a.key.cmp(&b.key));
        let mut failed = Ok(());
        for kv in values {
            if check && !self.valid_derived(base, &kv) {
                continue;
            }
            let args = Args {
                kv,
                base: Some(Arc::clone(base)),
                is_derived: true,
                is_dep_update: false,
            };
            if let Err(err) = self.apply_value(args) {
                failed = Err(err);
            }
        }
        failed
    }

    fn valid_derived(&self, base: &str, kv: &Kv) -> bool {
        if kv.value.is_none() {
            return false;
        }
        match self.core.graph.get(&kv.key) {
            Some(node) if node.value.is_some() && node.base.as_deref() != Some(base) => {
                tracing::warn!(target: super::LOG, key = %kv.key, base,
                    "skipping derived value: key collision with another value");
                false
            }
            _ => true,
        }
    }

    /// Marks a failed value FAILED or RETRYING (upstream's rule) and returns the state.
    pub(crate) fn mark_failed(
        &mut self,
        args: &Args,
        operation: TxnOperation,
        err: &DescriptorError,
        retriable: bool,
    ) -> ValueState {
        self.errors.push(KeyError {
            key: args.kv.key.to_string(),
            operation,
            error: err.clone(),
        });
        let mut state = ValueState::Failed;
        let reverting =
            self.txn.txn_type == TxnType::NbTransaction && self.txn.revert && !args.kv.is_revert;
        let key = &args.kv.key;
        if retriable && !reverting {
            let base = args
                .base
                .as_ref()
                .filter(|_| args.is_derived)
                .unwrap_or(key);
            let attempt = match &self.txn.retry_of {
                Some(retry) if retry.keys.contains(base) => retry.attempt + 1,
                _ => 1,
            };
            let allowed = self
                .core
                .graph
                .get(key)
                .and_then(|n| n.last_update.as_ref())
                .and_then(|u| u.retry)
                .is_some_and(|r| r.max_count == 0 || attempt <= r.max_count);
            if allowed {
                state = ValueState::Retrying;
            }
        }
        if let Some(node) = self.core.graph.get_mut(key) {
            node.state = state;
            node.error = Some(NodeError {
                message: Arc::from(err.to_string()),
                invalid_fields: Arc::from(err.invalid_fields()),
            });
        }
        state
    }
}
