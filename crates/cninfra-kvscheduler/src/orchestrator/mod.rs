//! The orchestrator: merges the desired state of several labelled NB sources (the KV
//! store through data sync, a local client, gRPC) and hands the merge to the
//! [`Scheduler`], as upstream's `plugins/orchestrator`.
//!
//! - [`Orchestrator`]: the per-source store and the merge; [`Orchestrator::source`] gives a
//!   [`Source`] handle whose [`txn`](Source::txn) changes keys and whose
//!   [`resync`](Source::resync) replaces that source's whole share.
//! - [`OrchestratorPlugin`] (`orchestrator`): the orchestrator in an agent; with the
//!   feature `datasync` it watches the scheduler's NB key prefixes in the KV store through
//!   `cninfra_datasync::KvdbSyncPlugin` as the source `datasync`.
//!
//! # Merging
//! Each source holds its own share (key → value). When several sources hold a key, the
//! source whose label sorts last wins (upstream's rule: `localclient` over `grpc` over
//! `datasync`). A resync of one source replaces only its share and gives the scheduler a
//! full resync of the merge of all sources, so it never wipes the others. A change of one
//! source reaches the scheduler only for keys no later source holds; deleting a key shows
//! the value of the next source that holds it, if any (upstream deletes it from the
//! scheduler even then; here the merge stays the same for changes and resyncs).
//!
//! # Item labels
//! A value may carry item labels (upstream's per-item labels: string pairs with
//! reverse-DNS keys), set with [`SourceTxn::set_labeled`]. They belong to the source that
//! set them and go with its value: a change without labels or a delete drops them, a
//! resync replaces them. [`Orchestrator::desired_items`] shows the winning source's labels
//! of each key.
//!
//! # Results
//! A source transaction answers with the keys of that source that failed in the scheduler
//! (INVALID, FAILED, RETRYING). A value left PENDING waits for its dependencies: that is a
//! normal state, not an error. For KV-store events the answer is the event's
//! acknowledgement, so failures show in the data sync log and the status check under the
//! plugin name `orchestrator`.
//!
//! # Examples
//! ```
//! use cninfra_kvscheduler::orchestrator::{Orchestrator, DATASYNC_SOURCE, LOCAL_SOURCE};
//! use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value};
//! use serde_json::json;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let orchestrator = Orchestrator::new(Scheduler::new(SchedulerConfig::default())?);
//! let (kv, local) = (orchestrator.source(DATASYNC_SOURCE), orchestrator.source(LOCAL_SOURCE));
//! kv.resync().put("config/demo/v1/a", Value::from_json(json!(1))).commit().await?;
//! local.txn().put("config/demo/v1/a", Value::from_json(json!(2))).commit().await?;
//! assert_eq!(orchestrator.desired_state()["config/demo/v1/a"], Value::from_json(json!(2)));
//!
//! // The local value goes away: the KV store's value is desired again.
//! local.txn().delete("config/demo/v1/a").commit().await?;
//! assert_eq!(orchestrator.desired_state()["config/demo/v1/a"], Value::from_json(json!(1)));
//! # Ok(()) }
//! ```

#[cfg(feature = "datasync")]
mod datasync;
mod error;
mod kvstore;
mod plugin;
mod source;
mod store;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

pub use error::OrchestratorError;
pub use kvstore::{STORE_SOURCE_PREFIX, store_source_label};
pub use plugin::{OrchestratorBuilder, OrchestratorPlugin};
pub use source::{Source, SourceTxn};

use crate::scheduler::Scheduler;
use crate::value::Value;
use store::SourceStore;

/// Log target of the orchestrator: its plugin's name.
const LOG: &str = OrchestratorPlugin::NAME;

/// Label of the KV store source (data sync watch events), as upstream.
pub const DATASYNC_SOURCE: &str = "datasync";
/// Label of the in-process local client, as upstream.
pub const LOCAL_SOURCE: &str = "localclient";
/// Label of the gRPC source, as upstream.
pub const GRPC_SOURCE: &str = "grpc";

/// Item labels of a value: string pairs, keys in reverse-DNS form (`com.example.owner`;
/// `io.ligato.*` and `ligato.*` are reserved), as upstream's per-item labels.
pub type ItemLabels = BTreeMap<String, String>;

/// One key of the merged desired state, with the source whose value wins.
#[derive(Debug, Clone, PartialEq)]
pub struct DesiredItem {
    /// The key.
    pub key: String,
    /// The winning value.
    pub value: Value,
    /// The label of the source it comes from.
    pub source: String,
    /// The item labels that source gave it.
    pub labels: ItemLabels,
}

/// Merges the desired state of labelled NB sources and applies it to a [`Scheduler`].
/// Cheap to clone; see the [module docs](self) for the merge rules.
#[derive(Clone)]
pub struct Orchestrator {
    inner: Arc<Inner>,
}

struct Inner {
    scheduler: Scheduler,
    store: parking_lot::Mutex<SourceStore>,
    /// Held across a source transaction's store update and commit.
    commit_lock: tokio::sync::Mutex<()>,
}

impl fmt::Debug for Orchestrator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Orchestrator")
            .field("sources", &self.labels())
            .finish_non_exhaustive()
    }
}

impl Orchestrator {
    /// An orchestrator feeding `scheduler`, with no source holding anything.
    pub fn new(scheduler: Scheduler) -> Self {
        Self {
            inner: Arc::new(Inner {
                scheduler,
                store: parking_lot::Mutex::new(SourceStore::default()),
                commit_lock: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The handle of the source labelled `label` (any text; see the `*_SOURCE`
    /// constants). Handles of one label share the same share.
    pub fn source(&self, label: impl Into<Arc<str>>) -> Source {
        Source::new(self.clone(), label.into())
    }

    /// The scheduler the merge goes to.
    pub fn scheduler(&self) -> &Scheduler {
        &self.inner.scheduler
    }

    /// The merged desired state, sorted by key.
    pub fn desired_state(&self) -> BTreeMap<String, Value> {
        self.inner
            .store
            .lock()
            .merged()
            .into_iter()
            .map(|(key, value)| (key.to_string(), value))
            .collect()
    }

    /// The merged desired state with each key's source and item labels, sorted by key.
    pub fn desired_items(&self) -> Vec<DesiredItem> {
        let store = self.inner.store.lock();
        let mut items: Vec<DesiredItem> = store
            .merged_by_source()
            .into_iter()
            .map(|(key, (source, value))| DesiredItem {
                labels: store.item_labels(source, &key).cloned().unwrap_or_default(),
                source: source.to_string(),
                key: key.to_string(),
                value,
            })
            .collect();
        items.sort_unstable_by(|a, b| a.key.cmp(&b.key));
        items
    }

    /// The winning value of `key` with its source and item labels, if a source holds it.
    pub fn desired_item(&self, key: &str) -> Option<DesiredItem> {
        let store = self.inner.store.lock();
        let (source, value) = store.winner(key)?;
        Some(DesiredItem {
            key: key.to_owned(),
            value: value.clone(),
            source: source.to_string(),
            labels: store.item_labels(source, key).cloned().unwrap_or_default(),
        })
    }

    /// The label of the source whose value of `key` wins, if any holds it.
    pub fn provider(&self, key: &str) -> Option<String> {
        self.inner
            .store
            .lock()
            .winner(key)
            .map(|(label, _)| label.to_string())
    }

    /// The labels of the sources that hold at least one value, in precedence order
    /// (the last wins).
    pub fn labels(&self) -> Vec<String> {
        self.inner.store.lock().labels()
    }
}
