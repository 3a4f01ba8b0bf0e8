//! The engine: one thread owns the writes to the graph and processes the transaction
//! queue in order.
//!
//! Descriptor callbacks are synchronous and run on this thread. The thread has a large
//! stack (see `SchedulerConfig::engine_stack_size`) because applying a value is recursive
//! along dependency chains, as upstream's algorithm is.

mod apply;
mod clock_hold;
mod ops;
mod process;
mod ready;
mod refresh;
mod status;

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use tokio::sync::{mpsc, oneshot};

pub(crate) use apply::Kv;
use clock_hold::BusyGuard;
pub(crate) use clock_hold::ClockHold;
pub(crate) use ready::NotReadyCache;
pub(crate) use status::{base_status, value_status};

use crate::descriptor::{DescId, DescriptorError, Registry, RetrievedKv};
use crate::graph::Graph;
use crate::history::History;
use crate::metrics::Metrics;
use crate::stats::Stats;
use crate::txn::{KeyError, RecordedTxnOp, TxnError, TxnOptions};
use crate::value::Value;
use crate::watch::Watchers;

/// Log target of the scheduler.
pub(crate) const LOG: &str = "kvscheduler";

/// Everything the engine writes; readers take the read lock.
#[derive(Debug, Default)]
pub(crate) struct Core {
    pub(crate) graph: Graph,
    pub(crate) registry: Registry,
    pub(crate) history: History,
    pub(crate) stats: Stats,
    pub(crate) not_ready: NotReadyCache,
    /// Sequence number of the next transaction.
    pub(crate) next_seq: u64,
    pub(crate) resync_count: u64,
}

/// What a queued transaction is.
#[derive(Debug)]
pub(crate) enum TxnKind {
    Nb(TxnOptions),
    Sb,
    Retry { for_txn: u64, attempt: u32 },
    RetryUnimpl,
}

/// The answer to a transaction.
#[derive(Debug, Default)]
pub(crate) struct TxnReply {
    pub(crate) seq: u64,
    pub(crate) planned: Vec<RecordedTxnOp>,
    pub(crate) errors: Vec<KeyError>,
}

impl TxnReply {
    pub(crate) fn into_result(self) -> Result<u64, TxnError> {
        if self.errors.is_empty() {
            Ok(self.seq)
        } else {
            Err(TxnError::Failed {
                seq: self.seq,
                errors: self.errors,
            })
        }
    }
}

/// A transaction waiting in the queue.
#[derive(Debug)]
pub(crate) struct QueuedTxn {
    pub(crate) kind: TxnKind,
    pub(crate) values: Vec<(Arc<str>, Option<Value>)>,
    pub(crate) dry_run: bool,
    pub(crate) reply: Option<oneshot::Sender<TxnReply>>,
    pub(crate) enqueued: Instant,
}

impl QueuedTxn {
    pub(crate) fn new(
        kind: TxnKind,
        values: Vec<(Arc<str>, Option<Value>)>,
        dry_run: bool,
    ) -> Self {
        Self {
            kind,
            values,
            dry_run,
            reply: None,
            enqueued: Instant::now(),
        }
    }
}

/// Results of `retrieve` per descriptor (`None`: the descriptor cannot retrieve).
pub(crate) type Retrieved = Vec<(DescId, Option<Result<Vec<RetrievedKv>, DescriptorError>>)>;

/// A message to the engine.
#[derive(Debug)]
pub(crate) enum Request {
    Txn(QueuedTxn),
    /// Answered when every request queued before it is done.
    Barrier(oneshot::Sender<()>),
    /// Calls `retrieve` of these descriptors (the SB view of a dump).
    Retrieve {
        descriptors: Vec<DescId>,
        reply: oneshot::Sender<Retrieved>,
    },
    /// Ends the engine loop.
    Stop,
}

/// A request in the queue, with what keeps a paused test clock still while it waits.
#[derive(Debug)]
pub(crate) struct Envelope {
    pub(crate) request: Request,
    busy: BusyGuard,
}

impl Envelope {
    /// `hold`: see [`ClockHold`].
    pub(crate) fn new(
        request: Request,
        runtime: &tokio::runtime::Handle,
        hold: &ClockHold,
    ) -> Self {
        Self {
            request,
            busy: hold.guard(runtime),
        }
    }
}

/// Engine settings taken from the config.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) print_summary: bool,
    pub(crate) simulation: bool,
}

/// What the engine thread holds besides the core.
#[derive(Debug)]
pub(crate) struct Env {
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) queue: mpsc::WeakSender<Envelope>,
    pub(crate) watchers: Arc<Watchers>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) settings: Settings,
    pub(crate) hold_clock: ClockHold,
}

impl Env {
    /// Queues a retry after `delay`; a full queue makes it wait one more period.
    pub(crate) fn schedule_retry(&self, delay: Duration, txn: QueuedTxn) {
        let queue = self.queue.clone();
        let metrics = Arc::clone(&self.metrics);
        let runtime = self.runtime.clone();
        let hold_clock = self.hold_clock.clone();
        self.runtime.spawn(async move {
            let mut txn = txn;
            loop {
                tokio::time::sleep(delay).await;
                let Some(sender) = queue.upgrade() else {
                    return;
                };
                txn.enqueued = Instant::now();
                match sender.try_send(Envelope::new(Request::Txn(txn), &runtime, &hold_clock)) {
                    Ok(()) => {
                        metrics.queued(&sender);
                        return;
                    }
                    Err(mpsc::error::TrySendError::Full(Envelope {
                        request: Request::Txn(back),
                        ..
                    })) => {
                        metrics.dropped();
                        txn = back;
                    }
                    Err(_) => return,
                }
            }
        });
    }
}

/// The engine loop: runs until every sender is gone.
pub(crate) fn run(core: Arc<RwLock<Core>>, mut queue: mpsc::Receiver<Envelope>, env: Env) {
    while let Some(Envelope { request, busy }) = queue.blocking_recv() {
        env.metrics.dequeued(queue.len());
        let _busy = busy;
        match request {
            Request::Txn(mut txn) => {
                let sender = txn.reply.take();
                let outcome = process::process(&mut core.write(), &env, txn);
                if let Some(sender) = sender {
                    let _ = sender.send(outcome);
                }
            }
            Request::Barrier(done) => {
                let _ = done.send(());
            }
            Request::Retrieve { descriptors, reply } => {
                let found = core.write().retrieve_now(&descriptors);
                let _ = reply.send(found);
            }
            Request::Stop => break,
        }
    }
    tracing::debug!(target: LOG, "scheduler engine stopped");
}

impl Core {
    /// Calls `retrieve` of the descriptors, correlating with the graph's view.
    fn retrieve_now(&mut self, descriptors: &[DescId]) -> Retrieved {
        descriptors
            .iter()
            .map(|&id| {
                let correlate = self.correlate_from_graph(id);
                let descriptor = Arc::clone(self.registry.get(id));
                let started = Instant::now();
                let found = descriptor.retrieve(&correlate);
                self.stats
                    .record_call(id, crate::stats::Method::Retrieve, started.elapsed());
                (id, found)
            })
            .collect()
    }
}
