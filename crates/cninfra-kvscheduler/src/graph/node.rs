//! A node of the graph: one key with its value, state and relations.

use std::sync::{Arc, LazyLock};

use crate::descriptor::{Dependency, DescId};
use crate::state::{Origin, TxnOperation, ValueState};
use crate::txn::RetryOptions;
use crate::value::{Metadata, Value};

/// The last update asked for a value (upstream's `last-update` flag).
#[derive(Debug, Clone)]
pub(crate) struct LastUpdate {
    /// Sequence number of the transaction.
    pub(crate) txn_seq: u64,
    /// Operation chosen for it.
    pub(crate) op: TxnOperation,
    /// The requested value (`None` = delete).
    pub(crate) value: Option<Value>,
    /// Whether it was a revert.
    pub(crate) revert: bool,
    /// Retry settings inherited from the NB transaction.
    pub(crate) retry: Option<RetryOptions>,
}

/// The error of the last operation.
#[derive(Debug, Clone)]
pub(crate) struct NodeError {
    pub(crate) message: Arc<str>,
    pub(crate) invalid_fields: Arc<[String]>,
}

/// One key of the graph.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) key: Arc<str>,
    pub(crate) value: Option<Value>,
    pub(crate) descriptor: Option<DescId>,
    pub(crate) origin: Origin,
    pub(crate) state: ValueState,
    /// False while the value does not exist in the southbound (pending, failed create,
    /// missing, being removed...): dependants do not count on it.
    pub(crate) available: bool,
    /// The base key of a derived value.
    pub(crate) base: Option<Arc<str>>,
    /// Keys derived from this value.
    pub(crate) derived: Arc<[Arc<str>]>,
    /// Dependencies; changed only through `Graph::set_deps` (they are indexed).
    pub(super) deps: Arc<[Dependency]>,
    pub(crate) metadata: Option<Metadata>,
    pub(crate) last_update: Option<Box<LastUpdate>>,
    pub(crate) error: Option<NodeError>,
    /// Change-tracking mark (see `Graph::track_changes`).
    pub(super) mark: u64,
}

/// Shared empty lists, so that a node without relations allocates none.
static NO_KEYS: LazyLock<Arc<[Arc<str>]>> = LazyLock::new(|| Arc::from([]));
static NO_DEPS: LazyLock<Arc<[Dependency]>> = LazyLock::new(|| Arc::from([]));

/// The shared empty key list.
pub(crate) fn no_keys() -> Arc<[Arc<str>]> {
    Arc::clone(&NO_KEYS)
}

/// The shared empty dependency list.
pub(crate) fn no_deps() -> Arc<[Dependency]> {
    Arc::clone(&NO_DEPS)
}

impl Node {
    pub(crate) fn new(key: Arc<str>) -> Self {
        Self {
            key,
            value: None,
            descriptor: None,
            origin: Origin::Unknown,
            state: ValueState::Nonexistent,
            available: false,
            base: None,
            derived: no_keys(),
            deps: no_deps(),
            metadata: None,
            last_update: None,
            error: None,
            mark: 0,
        }
    }

    pub(crate) fn deps(&self) -> &Arc<[Dependency]> {
        &self.deps
    }

    pub(crate) fn is_derived(&self) -> bool {
        self.base.is_some()
    }

    /// The key of the base value (itself for a base value).
    pub(crate) fn base_key(&self) -> &Arc<str> {
        self.base.as_ref().unwrap_or(&self.key)
    }

    pub(crate) fn error_message(&self) -> &str {
        self.error.as_ref().map_or("", |e| &e.message)
    }
}
