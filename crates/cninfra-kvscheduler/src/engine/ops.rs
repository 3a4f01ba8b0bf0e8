//! Create, delete and update of one value (upstream's `applyCreate`, `applyDelete`,
//! `applyUpdate`) and the relations of a value.

use std::sync::Arc;

use super::apply::{Args, Exec, Kv};
use crate::descriptor::{DerivedValue, DescId, DescriptorError, ErasedDescriptor};
use crate::graph::{NodeError, no_deps, no_keys};
use crate::hash::FastSet;
use crate::state::{Origin, TxnOperation, ValueState};
use crate::stats::Method;
use crate::txn::RecordedTxnOp;
use crate::value::Value;

type Desc = (DescId, Arc<dyn ErasedDescriptor>);

impl Exec<'_> {
    fn set_available(&mut self, key: &str, available: bool) {
        let mut became = false;
        if let Some(node) = self.core.graph.get_mut(key) {
            became = available && !node.available;
            node.available = available;
        }
        if became {
            self.core.not_ready.invalidate();
        }
    }

    fn set_state(&mut self, key: &str, state: ValueState) {
        let mut now_pending = false;
        if let Some(node) = self.core.graph.get_mut(key) {
            now_pending = state == ValueState::Pending && node.state != ValueState::Pending;
            node.state = state;
        }
        // A newly pending value may close a cycle for the values depending on it.
        if now_pending && self.core.graph.has_dependants(key) {
            self.core.not_ready.invalidate();
        }
    }

    fn clear_error(&mut self, key: &str) {
        if let Some(node) = self.core.graph.get_mut(key) {
            node.error = None;
        }
    }

    fn set_value(&mut self, key: &str, value: Option<Value>) {
        if let Some(node) = self.core.graph.get_mut(key) {
            node.value = value;
        }
    }

    fn ok_state(origin: Origin) -> ValueState {
        if origin == Origin::FromSb {
            ValueState::Obtained
        } else {
            ValueState::Configured
        }
    }

    /// Decodes a raw value and validates it (validation is skipped in simulation).
    fn check_value(
        &mut self,
        key: &str,
        descriptor: &Desc,
        value: &Value,
    ) -> Result<Value, DescriptorError> {
        let typed = descriptor.1.decode(key, value)?;
        if !self.dry_run {
            self.call(descriptor, Method::Validate, |d| d.validate(key, &typed))?;
        }
        Ok(typed)
    }

    fn mark_invalid(&mut self, key: &str, op: &mut RecordedTxnOp, err: &DescriptorError) {
        self.errors.push(crate::txn::KeyError {
            key: key.to_owned(),
            operation: TxnOperation::Validate,
            error: err.clone(),
        });
        if let Some(node) = self.core.graph.get_mut(key) {
            node.available = false;
            node.state = ValueState::Invalid;
            node.error = Some(NodeError {
                message: Arc::from(err.to_string()),
                invalid_fields: Arc::from(err.invalid_fields()),
            });
        }
        op.new_err = Some(Arc::from(err.to_string()));
        op.new_state = ValueState::Invalid;
    }

    fn keep_metadata(&mut self, args: &Args, descriptor: &Desc, metadata: Option<crate::Metadata>) {
        let descriptor = &descriptor.1;
        if args.is_derived || !descriptor.with_metadata() {
            return;
        }
        let label = descriptor.key_label(&args.kv.key);
        match &metadata {
            Some(m) => descriptor.metadata_put(&label, m),
            None => descriptor.metadata_delete(&label),
        }
        if let Some(node) = self.core.graph.get_mut(&args.kv.key) {
            node.metadata = metadata;
        }
    }

    pub(crate) fn apply_create(
        &mut self,
        args: &Args,
        mut op: RecordedTxnOp,
    ) -> Result<(), DescriptorError> {
        let key = &args.kv.key;
        let desc_id = self.core.registry.lookup(key);
        let descriptor = self.descriptor(desc_id);
        let mut value = args.kv.value.clone();
        let mut checked = Ok(());
        if let (Some(d), Some(v)) = (&descriptor, &value)
            && args.kv.origin == Origin::FromNb
        {
            match self.check_value(key, d, v) {
                Ok(typed) => value = Some(typed),
                Err(err) => checked = Err(err),
            }
        }
        if let Some(node) = self.core.graph.get_mut(key) {
            node.value = value.clone();
            node.descriptor = desc_id;
            node.origin = args.kv.origin;
            node.base = args.base.clone().filter(|_| args.is_derived);
        }

        // An NB base value nobody implements waits for its descriptor.
        if args.kv.origin == Origin::FromNb && !args.is_derived && descriptor.is_none() {
            if self
                .core
                .graph
                .get(key)
                .is_some_and(|n| n.state == ValueState::Unimplemented)
            {
                return Ok(());
            }
            self.set_available(key, false);
            self.clear_error(key);
            self.set_state(key, ValueState::Unimplemented);
            op.noop = true;
            op.new_state = ValueState::Unimplemented;
            self.executed.push(op);
            return Ok(());
        }
        if let Err(err) = checked {
            self.mark_invalid(key, &mut op, &err);
            self.executed.push(op);
            return Err(err);
        }

        let derived = self.apply_new_relations(args, descriptor.as_ref(), true)?;
        if !self.ready(key) {
            self.set_available(key, false);
            self.clear_error(key);
            self.set_state(key, ValueState::Pending);
            op.new_state = ValueState::Pending;
            op.noop = true;
            self.executed.push(op);
            return Ok(());
        }

        if !self.dry_run
            && let (Some(d), Some(v)) = (&descriptor, &value)
        {
            let created = if args.kv.origin == Origin::FromSb {
                Ok(args.kv.metadata.clone())
            } else {
                self.call(d, Method::Create, |d| d.create(key, v))
            };
            match created {
                Ok(metadata) => self.keep_metadata(args, d, metadata),
                Err(err) => {
                    self.set_available(key, false);
                    let retriable = d.1.is_retriable(&err);
                    op.new_err = Some(Arc::from(err.to_string()));
                    op.new_state = self.mark_failed(args, op.operation, &err, retriable);
                    self.executed.push(op);
                    return Err(err);
                }
            }
        }

        self.clear_error(key);
        self.set_available(key, true);
        let state = Self::ok_state(args.kv.origin);
        self.set_state(key, state);
        op.new_state = state;
        self.executed.push(op);

        self.run_dep_updates(key, true, args.kv.is_revert);
        if args.is_derived {
            return Ok(());
        }
        let kvs = self.derived_kvs(args, derived);
        self.apply_derived(key, kvs, true)
    }

    fn derived_kvs(&self, args: &Args, derived: Vec<DerivedValue>) -> Vec<Kv> {
        derived
            .into_iter()
            .map(|d| Kv {
                key: Arc::from(d.key),
                value: Some(d.value),
                origin: args.kv.origin,
                is_revert: args.kv.is_revert,
                metadata: None,
            })
            .collect()
    }

    /// Sets dependencies and derived keys from the current value; on update, deletes the
    /// derived values that are no longer derived. Returns the derived values.
    fn apply_new_relations(
        &mut self,
        args: &Args,
        descriptor: Option<&Desc>,
        for_create: bool,
    ) -> Result<Vec<DerivedValue>, DescriptorError> {
        let key = &args.kv.key;
        let Some(node) = self.core.graph.get(key) else {
            return Ok(Vec::new());
        };
        let value = node.value.clone();
        let prev_derived = Arc::clone(&node.derived);
        let had_deps = !node.deps().is_empty();
        let (derived, deps) = match (descriptor, &value) {
            (Some(d), Some(v)) => {
                let derived = if args.is_derived {
                    Vec::new()
                } else {
                    self.call(d, Method::DerivedValues, |d| d.derived_values(key, v))
                };
                (
                    derived,
                    self.call(d, Method::Dependencies, |d| d.dependencies(key, v)),
                )
            }
            _ => (Vec::new(), Vec::new()),
        };
        if !derived.is_empty() || !prev_derived.is_empty() {
            let mut derived_keys: Vec<Arc<str>> =
                derived.iter().map(|d| Arc::from(d.key.as_str())).collect();
            derived_keys.sort_unstable();
            let derived_keys = if derived_keys.is_empty() {
                no_keys()
            } else {
                Arc::from(derived_keys)
            };
            if let Some(node) = self.core.graph.get_mut(key) {
                node.derived = derived_keys;
            }
        }
        if had_deps || !deps.is_empty() {
            let deps = if deps.is_empty() {
                no_deps()
            } else {
                Arc::from(deps)
            };
            self.core.graph.set_deps(key, deps);
            // Only searches that reached this value (through a value depending on it) may
            // have had another outcome with its new dependencies.
            if self.core.graph.has_dependants(key) {
                self.core.not_ready.invalidate();
            }
        }
        if for_create || prev_derived.is_empty() {
            return Ok(derived);
        }
        let current: FastSet<&str> = derived.iter().map(|d| d.key.as_str()).collect();
        let obsolete: Vec<Kv> = prev_derived
            .iter()
            .filter(|k| !current.contains(&***k))
            .map(|k| Kv {
                key: Arc::clone(k),
                value: None,
                origin: args.kv.origin,
                is_revert: args.kv.is_revert,
                metadata: None,
            })
            .collect();
        self.apply_derived(key, obsolete, false)?;
        Ok(derived)
    }

    /// Deletes a value: dependants and derived values first. `pending` = deleted because
    /// a dependency went away (the value stays, PENDING); `recreate` = first half of a
    /// re-creation.
    pub(crate) fn apply_delete(
        &mut self,
        args: &Args,
        mut op: RecordedTxnOp,
        pending: bool,
        recreate: bool,
    ) -> Result<(), DescriptorError> {
        let key = &args.kv.key;
        let Some(node) = self.core.graph.get(key) else {
            return Ok(());
        };
        if node.value.is_none() {
            // Deleting what does not exist: nothing to record.
            self.core.graph.remove(key);
            return Ok(());
        }
        let available = node.available;
        let origin = node.origin;
        let descriptor = self.descriptor(node.descriptor);
        let derived_keys = Arc::clone(&node.derived);
        op.operation = TxnOperation::Delete;
        op.new_value = None;

        if !available {
            op.noop = true;
            self.finish_removal(args, &mut op, pending, recreate);
            self.executed.push(op);
            return Ok(());
        }

        // Unavailable first, so that dependants see it gone.
        self.set_available(key, false);
        if !pending {
            self.set_state(key, ValueState::Removed);
        }
        let mut inherited = Ok(());
        if !args.is_derived && !derived_keys.is_empty() {
            let kvs = derived_keys
                .iter()
                .map(|k| Kv {
                    key: Arc::clone(k),
                    value: None,
                    origin,
                    is_revert: args.kv.is_revert,
                    metadata: None,
                })
                .collect();
            inherited = self.apply_derived(key, kvs, false);
        }
        if inherited.is_ok() {
            self.run_dep_updates(key, false, args.kv.is_revert);
        }
        let mut failure = None;
        if inherited.is_ok()
            && !self.dry_run
            && let Some(d) = &descriptor
        {
            if origin != Origin::FromSb {
                let (value, metadata) = self
                    .core
                    .graph
                    .get(key)
                    .map(|n| (n.value.clone(), n.metadata.clone()))
                    .unwrap_or_default();
                if let Some(value) = value
                    && let Err(err) = self.call(d, Method::Delete, |d| {
                        d.delete(key, &value, metadata.as_ref())
                    })
                {
                    let retriable = d.1.is_retriable(&err);
                    failure = Some((err, retriable));
                }
            }
            self.keep_metadata(args, d, None);
        }

        if let Err(err) = inherited {
            // A derived value failed to go: the value stays.
            self.set_available(key, true);
            self.set_state(key, op.prev_state);
            op.new_state = op.prev_state;
            op.new_err = Some(Arc::from(err.to_string()));
            self.executed.push(op);
            return Err(err);
        }
        if let Some((err, retriable)) = failure {
            op.new_err = Some(Arc::from(err.to_string()));
            op.new_state = self.mark_failed(args, op.operation, &err, retriable);
            self.executed.push(op);
            return Err(err);
        }
        self.finish_removal(args, &mut op, pending, recreate);
        self.executed.push(op);
        Ok(())
    }

    fn finish_removal(
        &mut self,
        args: &Args,
        op: &mut RecordedTxnOp,
        pending: bool,
        recreate: bool,
    ) {
        let key = &args.kv.key;
        self.clear_error(key);
        if pending {
            op.new_state = ValueState::Pending;
            self.set_state(key, ValueState::Pending);
        } else {
            op.new_state = ValueState::Removed;
            if args.is_derived && !recreate {
                self.core.graph.remove(key);
            } else {
                self.set_state(key, ValueState::Removed);
            }
        }
    }

    pub(crate) fn apply_update(
        &mut self,
        args: &Args,
        mut op: RecordedTxnOp,
    ) -> Result<(), DescriptorError> {
        let key = &args.kv.key;
        let Some(node) = self.core.graph.get(key) else {
            return Ok(());
        };
        let descriptor =
            self.descriptor(node.descriptor.or_else(|| self.core.registry.lookup(key)));
        let old = node.value.clone();
        let metadata = node.metadata.clone();
        let (Some(old), Some(requested)) = (old, args.kv.value.clone()) else {
            return Ok(());
        };
        let mut new = requested.clone();
        if args.kv.origin == Origin::FromNb
            && let Some(d) = &descriptor
        {
            match self.check_value(key, d, &requested) {
                Ok(typed) => new = typed,
                Err(err) => {
                    // The old value must not outlive its invalid replacement (upstream
                    // leaves it in the southbound while the node says it is gone).
                    let delete = self.pre_record(args);
                    self.apply_delete(args, delete, false, true)?;
                    self.set_value(key, Some(requested));
                    self.mark_invalid(key, &mut op, &err);
                    self.executed.push(op);
                    return Err(err);
                }
            }
        }
        let args = &Args {
            kv: Kv {
                value: Some(new.clone()),
                ..args.kv.clone()
            },
            ..args.clone()
        };
        let equivalent = match &descriptor {
            Some(d) => d.1.equivalent(key, &old, &new),
            None => old == new,
        };

        if !equivalent
            && args.kv.origin != Origin::FromSb
            && let Some(d) = &descriptor
            && self.call(d, Method::UpdateWithRecreate, |d| {
                d.update_with_recreate(key, &old, &new, metadata.as_ref())
            })
        {
            let mut delete = self.pre_record(args);
            delete.is_recreate = true;
            self.apply_delete(args, delete, false, true)?;
            let mut create = self.pre_record(args);
            create.operation = TxnOperation::Create;
            create.prev_value = None;
            create.is_recreate = true;
            return self.apply_create(args, create);
        }

        self.set_value(key, Some(new.clone()));
        let derived = self.apply_new_relations(args, descriptor.as_ref(), false)?;
        if !self.ready(key) {
            // New dependencies are missing: delete the old value, keep the new one pending.
            self.set_value(key, Some(old));
            let out = self.apply_delete(args, op, true, false);
            self.set_value(key, Some(new));
            return out;
        }

        if !self.dry_run
            && !equivalent
            && let Some(d) = &descriptor
        {
            let updated = if args.kv.origin == Origin::FromSb {
                Ok(args.kv.metadata.clone())
            } else {
                self.call(d, Method::Update, |d| {
                    d.update(key, &old, &new, metadata.as_ref())
                })
            };
            match updated {
                Ok(metadata) => self.keep_metadata(args, d, metadata),
                Err(err) => {
                    self.set_value(key, Some(old));
                    let retriable = d.1.is_retriable(&err);
                    op.new_err = Some(Arc::from(err.to_string()));
                    op.new_state = self.mark_failed(args, op.operation, &err, retriable);
                    self.executed.push(op);
                    return Err(err);
                }
            }
        }

        self.clear_error(key);
        self.set_available(key, true);
        let state = Self::ok_state(args.kv.origin);
        self.set_state(key, state);
        op.new_state = state;
        op.new_value = Some(new);
        if !equivalent || op.prev_state != op.new_state {
            let confirms_sync = equivalent
                && op.prev_state == ValueState::Discovered
                && op.new_state == ValueState::Configured;
            if !confirms_sync {
                op.noop = equivalent;
                self.executed.push(op);
            }
        }
        if args.is_derived {
            return Ok(());
        }
        let kvs = self.derived_kvs(args, derived);
        self.apply_derived(key, kvs, true)
    }
}
