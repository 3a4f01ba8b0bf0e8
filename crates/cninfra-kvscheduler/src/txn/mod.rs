//! NB transactions: the builder, its options and errors, and the records of processed
//! transactions with their log format.

mod format;
mod options;
mod record;

use std::fmt;
use std::sync::Arc;

pub use options::{ResyncKind, RetryOptions, TxnOptions, TxnType};
pub(crate) use record::rfc3339;
pub use record::{RecordedKv, RecordedTxn, RecordedTxnOp};

use crate::descriptor::DescriptorError;
use crate::engine::{QueuedTxn, TxnKind};
use crate::scheduler::Scheduler;
use crate::state::TxnOperation;
use crate::value::Value;

/// The error of one key in a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyError {
    /// The key.
    pub key: String,
    /// The operation that failed.
    pub operation: TxnOperation,
    /// The error.
    pub error: DescriptorError,
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} `{}`: {}", self.operation, self.key, self.error)
    }
}

/// Why a transaction did not (fully) apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TxnError {
    /// The queue had no room (non-blocking commits, SB notifications).
    #[error("transaction queue is full (capacity {capacity})")]
    QueueFull {
        /// Queue capacity.
        capacity: usize,
    },
    /// The scheduler stopped.
    #[error("the scheduler is stopped")]
    Closed,
    /// Revert cannot be combined with a resync.
    #[error("revert is not supported with a resync")]
    RevertWithResync,
    /// A downstream resync takes its values from the graph.
    #[error("a downstream resync cannot carry values ({count} given)")]
    DownstreamResyncWithValues {
        /// Number of values given.
        count: usize,
    },
    /// Some keys failed (best effort: the others stayed applied unless reverted).
    #[error("transaction #{seq} failed: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Failed {
        /// Sequence number of the transaction.
        seq: u64,
        /// The keys that failed.
        errors: Vec<KeyError>,
    },
}

/// An NB transaction: values to set (`None` deletes), options, then `commit`.
///
/// Setting a key twice keeps the last value. Values are applied in upstream's order:
/// sorted by key, then deletes, re-creates, creates, updates; dependencies reorder the
/// actual southbound calls.
///
/// # Examples
/// ```
/// # use cninfra_kvscheduler::{Scheduler, SchedulerConfig, Value};
/// # async fn demo(scheduler: Scheduler) -> Result<(), cninfra_kvscheduler::TxnError> {
/// let seq = scheduler
///     .txn()
///     .put("config/vpp/v2/interfaces/eth0", Value::from_json(serde_json::json!(
///         {"name": "eth0", "type": "DPDK", "enabled": true})))
///     .delete("config/vpp/v2/interfaces/old")
///     .with_description("rename eth")
///     .with_retry_default()
///     .commit()
///     .await?;
/// # let _ = seq; Ok(()) }
/// ```
#[derive(Debug)]
#[must_use = "a transaction does nothing until committed"]
pub struct Txn {
    scheduler: Scheduler,
    values: Vec<(Arc<str>, Option<Value>)>,
    options: TxnOptions,
}

impl Txn {
    pub(crate) fn new(scheduler: Scheduler) -> Self {
        Self {
            scheduler,
            values: Vec::new(),
            options: TxnOptions::default(),
        }
    }

    /// Sets `key` to `value` (`None` = delete).
    pub fn set(&mut self, key: impl Into<Arc<str>>, value: Option<Value>) -> &mut Self {
        self.values.push((key.into(), value));
        self
    }

    /// Sets `key` to `value`.
    pub fn put(mut self, key: impl Into<Arc<str>>, value: Value) -> Self {
        self.set(key, Some(value));
        self
    }

    /// Deletes `key`.
    pub fn delete(mut self, key: impl Into<Arc<str>>) -> Self {
        self.set(key, None);
        self
    }

    /// Number of values set so far.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether no value was set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Makes the transaction a resync of this kind.
    pub fn with_resync(mut self, kind: ResyncKind) -> Self {
        self.options.resync = Some(kind);
        self
    }

    /// Logs what the resync's refresh found.
    pub fn with_verbose_refresh(mut self) -> Self {
        self.options.verbose_refresh = true;
        self
    }

    /// Retries failed operations with these settings.
    pub fn with_retry(mut self, retry: RetryOptions) -> Self {
        self.options.retry = Some(retry);
        self
    }

    /// Retries failed operations with [`RetryOptions::default`] (1 s, 3, back-off).
    pub fn with_retry_default(self) -> Self {
        self.with_retry(RetryOptions::default())
    }

    /// Undoes the transaction on its first failure.
    pub fn with_revert(mut self) -> Self {
        self.options.revert = true;
        self
    }

    /// A description printed with the transaction (may have several lines).
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.options.description = Some(description.into());
        self
    }

    /// Simulates the transaction first and logs (and records) the planned operations.
    pub fn with_simulation(mut self) -> Self {
        self.options.simulation = true;
        self
    }

    /// The options set so far.
    pub fn options(&self) -> &TxnOptions {
        &self.options
    }

    fn check(&self) -> Result<(), TxnError> {
        if self.options.revert && self.options.resync.is_some() {
            return Err(TxnError::RevertWithResync);
        }
        if self.options.resync == Some(ResyncKind::Downstream) && !self.values.is_empty() {
            return Err(TxnError::DownstreamResyncWithValues {
                count: self.values.len(),
            });
        }
        Ok(())
    }

    fn into_queued(self, dry_run: bool) -> (Scheduler, QueuedTxn) {
        let queued = QueuedTxn::new(TxnKind::Nb(self.options), self.values, dry_run);
        (self.scheduler, queued)
    }

    /// Applies the transaction and waits for the outcome; returns its sequence number.
    /// Waits for room in the queue when it is full.
    ///
    /// # Errors
    /// [`TxnError::Failed`] with the keys that failed (the rest stays applied unless
    /// `with_revert`), or why the transaction could not run.
    pub async fn commit(self) -> Result<u64, TxnError> {
        self.check()?;
        let (scheduler, queued) = self.into_queued(false);
        scheduler.run_queued(queued).await?.into_result()
    }

    /// Queues the transaction and returns at once (upstream's `WithoutBlocking`): the
    /// outcome is seen through the value-status watch and the history.
    ///
    /// # Errors
    /// [`TxnError::QueueFull`] when the queue has no room, or an invalid option mix.
    pub fn commit_nowait(self) -> Result<(), TxnError> {
        self.check()?;
        let (scheduler, queued) = self.into_queued(false);
        scheduler.enqueue_nowait(queued)
    }

    /// Plans the transaction without applying it (a dry run on the current graph): the
    /// operations that a commit would execute if every southbound call succeeded.
    ///
    /// # Errors
    /// Why the transaction could not be planned.
    pub async fn simulate(self) -> Result<Vec<RecordedTxnOp>, TxnError> {
        self.check()?;
        let (scheduler, queued) = self.into_queued(true);
        scheduler
            .run_queued(queued)
            .await
            .map(|reply| reply.planned)
    }
}
