//! The scheduler handle: registration, transactions, notifications.

mod query;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tokio::sync::{mpsc, oneshot};

pub use query::{DumpView, DumpedKv, StatusSelector};

use crate::config::SchedulerConfig;
use crate::descriptor::{TypedDescriptor, erase};
use crate::engine::{
    self, ClockHold, Core, Env, Envelope, LOG, QueuedTxn, Request, Settings, TxnKind, TxnReply,
};
use crate::error::KvSchedulerError;
use crate::metrics::Metrics;
use crate::state::ValueState;
use crate::txn::{Txn, TxnError};
use crate::value::Value;
use crate::watch::{StatusWatch, Watchers};

/// The KVScheduler: reconciles the desired state (NB transactions) with the southbound
/// through registered descriptors, in dependency order.
///
/// A cheap handle (`Clone`); one engine thread owns the graph and processes transactions
/// one at a time, in the order they were queued. Reads (status, dumps, history) take a
/// read lock and see the state after the last finished transaction.
///
/// # Examples
/// ```
/// use cninfra_kvscheduler::{DescriptorError, Scheduler, SchedulerConfig, TypedDescriptor};
/// use cninfra_kvscheduler::{Value, ValueState};
///
/// struct Names;
///
/// impl TypedDescriptor for Names {
///     type Value = String;
///     type Metadata = ();
///     fn name(&self) -> &str { "names" }
///     fn key_prefix(&self) -> &str { "config/demo/v1/names/" }
///     fn create(&self, _key: &str, _name: &String) -> Result<(), DescriptorError> { Ok(()) }
///     fn delete(&self, _key: &str, _name: &String, _: Option<&()>) -> Result<(), DescriptorError> {
///         Ok(())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let scheduler = Scheduler::new(SchedulerConfig::default())?;
/// scheduler.register(Names)?;
/// let key = "config/demo/v1/names/eth0";
/// scheduler.txn().put(key, Value::from_json(serde_json::json!("eth0"))).commit().await?;
/// assert_eq!(scheduler.status(key).value.state, ValueState::Configured);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Scheduler {
    shared: Arc<Shared>,
}

struct Shared {
    core: Arc<RwLock<Core>>,
    queue: mpsc::Sender<Envelope>,
    runtime: tokio::runtime::Handle,
    hold_clock: ClockHold,
    watchers: Arc<Watchers>,
    metrics: Arc<Metrics>,
    config: SchedulerConfig,
    engine: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scheduler")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Scheduler {
    /// Starts a scheduler (its engine thread). Call it inside a tokio runtime.
    ///
    /// # Errors
    /// [`KvSchedulerError::NoRuntime`] outside a runtime, or when the thread cannot start.
    pub fn new(config: SchedulerConfig) -> Result<Self, KvSchedulerError> {
        let runtime =
            tokio::runtime::Handle::try_current().map_err(|_| KvSchedulerError::NoRuntime)?;
        let capacity = config.queue_capacity.max(1);
        let (queue, rx) = mpsc::channel(capacity);
        let metrics = Arc::new(Metrics::new(capacity));
        let watchers = Arc::new(Watchers::new(metrics.status_dropped.clone()));
        let mut core = Core::default();
        core.history.enabled = config.record_transaction_history;
        core.history.age_limit =
            Duration::from_secs(u64::from(config.transaction_history_age_limit) * 60);
        core.history.init_period =
            Duration::from_secs(u64::from(config.permanently_recorded_init_period) * 60);
        let core = Arc::new(RwLock::new(core));
        let hold_clock = ClockHold::default();
        let env = Env {
            runtime: runtime.clone(),
            queue: queue.downgrade(),
            watchers: Arc::clone(&watchers),
            metrics: Arc::clone(&metrics),
            settings: Settings {
                print_summary: config.print_txn_summary,
                simulation: config.enable_txn_simulation,
            },
            hold_clock: hold_clock.clone(),
        };
        let engine_core = Arc::clone(&core);
        let engine = std::thread::Builder::new()
            .name("kvscheduler".into())
            .stack_size(config.engine_stack_size.max(1 << 20))
            .spawn(move || engine::run(engine_core, rx, env))
            .map_err(KvSchedulerError::EngineThread)?;
        Ok(Self {
            shared: Arc::new(Shared {
                core,
                queue,
                runtime,
                hold_clock,
                watchers,
                metrics,
                config,
                engine: Mutex::new(Some(engine)),
            }),
        })
    }

    /// The settings the scheduler runs with.
    pub fn config(&self) -> &SchedulerConfig {
        &self.shared.config
    }

    /// Registers a descriptor. Values that were UNIMPLEMENTED and that it owns are
    /// re-applied by a "retry unimplemented" transaction. Do not call it from a
    /// descriptor callback (the engine holds the graph then).
    ///
    /// # Errors
    /// [`KvSchedulerError::DescriptorExists`] when the name is taken.
    pub fn register<D: TypedDescriptor>(&self, descriptor: D) -> Result<(), KvSchedulerError> {
        let descriptor = erase(descriptor);
        let name = descriptor.name().to_owned();
        let waiting: Vec<(Arc<str>, Option<Value>)> = {
            let mut core = self.shared.core.write();
            core.registry
                .add(Arc::clone(&descriptor))
                .map_err(|name| KvSchedulerError::DescriptorExists { name })?;
            core.graph
                .with_prefix(descriptor.key_prefix())
                .filter(|n| n.state == ValueState::Unimplemented && descriptor.key_selector(&n.key))
                .map(|n| (Arc::clone(&n.key), None))
                .collect()
        };
        tracing::debug!(target: LOG, descriptor = %name, waiting = waiting.len(), "descriptor registered");
        if !waiting.is_empty() {
            let queued = QueuedTxn::new(TxnKind::RetryUnimpl, waiting, false);
            let queue = self.shared.queue.clone();
            let metrics = Arc::clone(&self.shared.metrics);
            let envelope = self.envelope(Request::Txn(queued));
            if let Err(mpsc::error::TrySendError::Full(request)) = queue.try_send(envelope) {
                tokio::spawn(async move {
                    let _ = queue.send(request).await;
                    metrics.queued(&queue);
                });
            }
        }
        Ok(())
    }

    /// The NB key prefixes of the registered descriptors (what the KV store wiring watches).
    pub fn registered_nb_key_prefixes(&self) -> Vec<String> {
        let core = self.shared.core.read();
        core.registry
            .ids()
            .filter_map(|id| core.registry.get(id).nb_key_prefix().map(str::to_owned))
            .collect()
    }

    /// Starts an NB transaction.
    pub fn txn(&self) -> Txn {
        Txn::new(self.clone())
    }

    /// Reports spontaneous southbound changes (`None` = removed). No descriptor operation
    /// is called; dependants react. Keys without descriptor or owned by NB are ignored.
    ///
    /// # Errors
    /// [`TxnError::QueueFull`] (the notification is dropped and counted).
    pub fn push_sb_notification(
        &self,
        changes: Vec<(String, Option<Value>)>,
    ) -> Result<(), TxnError> {
        let values = changes
            .into_iter()
            .map(|(k, v)| (Arc::from(k), v))
            .collect();
        self.enqueue_nowait(QueuedTxn::new(TxnKind::Sb, values, false))
    }

    /// Waits until every transaction queued before this call is processed.
    pub async fn barrier(&self) {
        let (done, wait) = oneshot::channel();
        if self
            .shared
            .queue
            .send(self.envelope(Request::Barrier(done)))
            .await
            .is_ok()
        {
            let _ = wait.await;
        }
    }

    /// Stops the engine (after the queued work) and waits for it, at most `limit`.
    /// Transactions committed afterwards fail with [`TxnError::Closed`].
    pub async fn stop(&self, limit: Duration) {
        let _ =
            tokio::time::timeout(limit, self.shared.queue.send(self.envelope(Request::Stop))).await;
        let handle = self.shared.engine.lock().take();
        if let Some(handle) = handle {
            let joined = tokio::task::spawn_blocking(move || handle.join());
            if tokio::time::timeout(limit, joined).await.is_err() {
                tracing::warn!(target: LOG, ?limit, "scheduler engine did not stop in time");
            }
        }
    }

    /// Subscribes to status changes of base values under `prefixes` (all when empty).
    pub fn watch_status(&self, prefixes: &[&str]) -> StatusWatch {
        self.watch_status_with_capacity(prefixes, self.shared.config.status_watch_capacity)
    }

    /// As [`watch_status`](Self::watch_status) with a channel of `capacity` updates.
    pub fn watch_status_with_capacity(&self, prefixes: &[&str], capacity: usize) -> StatusWatch {
        self.shared
            .watchers
            .add(prefixes.iter().map(|p| (*p).to_owned()).collect(), capacity)
    }

    /// For tests on tokio's paused clock (`start_paused`): every queued request holds the
    /// clock still until the engine thread has processed it (the engine runs on its own
    /// thread, so the runtime would otherwise see itself idle and jump to the next timer
    /// while a transaction is being applied). Costs a blocking-pool task per request.
    #[cfg(feature = "test-util")]
    #[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
    pub fn hold_paused_clock(&self) {
        self.shared.hold_clock.enable();
    }

    /// Exports the metrics through a Prometheus plugin (feature `rest`).
    #[cfg(feature = "rest")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rest")))]
    pub fn register_metrics(&self, prometheus: &cninfra_rpc::prometheus::PrometheusPlugin) {
        self.shared.metrics.register(prometheus);
    }

    fn envelope(&self, request: Request) -> Envelope {
        Envelope::new(request, &self.shared.runtime, &self.shared.hold_clock)
    }

    pub(crate) fn core(&self) -> &RwLock<Core> {
        &self.shared.core
    }

    pub(crate) async fn run_queued(&self, mut queued: QueuedTxn) -> Result<TxnReply, TxnError> {
        let (reply, wait) = oneshot::channel();
        queued.reply = Some(reply);
        self.shared
            .queue
            .send(self.envelope(Request::Txn(queued)))
            .await
            .map_err(|_| TxnError::Closed)?;
        self.shared.metrics.queued(&self.shared.queue);
        wait.await.map_err(|_| TxnError::Closed)
    }

    pub(crate) fn enqueue_nowait(&self, queued: QueuedTxn) -> Result<(), TxnError> {
        match self
            .shared
            .queue
            .try_send(self.envelope(Request::Txn(queued)))
        {
            Ok(()) => {
                self.shared.metrics.queued(&self.shared.queue);
                Ok(())
            }
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.metrics.dropped();
                tracing::warn!(target: LOG, "transaction queue is full: transaction dropped");
                Err(TxnError::QueueFull {
                    capacity: self.shared.queue.max_capacity(),
                })
            }
            Err(mpsc::error::TrySendError::Closed(_)) => Err(TxnError::Closed),
        }
    }

    pub(crate) fn dropped_txns(&self) -> u64 {
        self.shared.metrics.dropped_count()
    }

    pub(crate) fn dropped_status_updates(&self) -> u64 {
        self.shared.watchers.dropped()
    }

    pub(crate) fn queue_capacity(&self) -> usize {
        self.shared.queue.max_capacity()
    }

    pub(crate) async fn retrieve(
        &self,
        descriptors: Vec<crate::descriptor::DescId>,
    ) -> Result<engine::Retrieved, KvSchedulerError> {
        let (reply, wait) = oneshot::channel();
        self.shared
            .queue
            .send(self.envelope(Request::Retrieve { descriptors, reply }))
            .await
            .map_err(|_| KvSchedulerError::Stopped)?;
        wait.await.map_err(|_| KvSchedulerError::Stopped)
    }
}
