//! The resync orchestrator: the plugin `resync` that starts resync rounds and reports them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use cninfra_core::{BoxError, ErrorChain, InitContext, Plugin, Ready, Requirement, async_trait};
use cninfra_health::{Criticality, State, StatusCheckPlugin, StatusReporter};
use parking_lot::Mutex;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::info;

use crate::error::DatasyncError;
use crate::event::ResyncCause;

/// Log target of the orchestrator: its plugin name.
const LOG: &str = ResyncPlugin::NAME;

/// Something the orchestrator resyncs: a transport with watches (the
/// [`KvdbSyncPlugin`](crate::KvdbSyncPlugin) adds itself in its `init`).
#[async_trait]
pub trait ResyncParticipant: Send + Sync + fmt::Debug + 'static {
    /// Name in logs.
    fn name(&self) -> &str;

    /// Re-reads the state and delivers a resync event to each watch, in registration
    /// order, waiting for each acknowledgement; returns the outcome per watch.
    async fn resync(&self, cause: &ResyncCause) -> Vec<WatchOutcome>;
}

/// The outcome of delivering events (a resync, or a local transaction's changes) to one
/// watch.
#[derive(Debug)]
pub struct WatchOutcome {
    /// The watch name.
    pub watch: String,
    /// `Ok` when the plugin acknowledged success, else the first failure.
    pub result: Result<(), DatasyncError>,
}

/// What the orchestrator did so far, from [`ResyncPlugin::subscribe`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResyncStatus {
    /// Rounds started (the first one right after the agent's `init` phase).
    pub rounds_started: u64,
    /// Rounds finished.
    pub rounds_done: u64,
    /// Whether a round runs now.
    pub running: bool,
    /// Why the last round started.
    pub last_cause: Option<String>,
    /// How long the last finished round took.
    pub last_duration: Option<Duration>,
    /// Watches whose last resync could not be delivered (store failure, request not
    /// taken), with the error; the orchestrator's status is ERROR while this is not empty.
    pub failing: BTreeMap<String, String>,
}

#[derive(Debug)]
struct Shared {
    /// Found by type in `init`.
    status: Ready<StatusReporter>,
    participants: Mutex<Vec<Arc<dyn ResyncParticipant>>>,
    requests: Mutex<Vec<String>>,
    wake: Notify,
    state: watch::Sender<ResyncStatus>,
}

impl Shared {
    /// Notes the outcome of one watch's resync and updates the status check.
    fn record(&self, watch: &str, result: &Result<(), DatasyncError>) {
        self.state.send_if_modified(|state| match result {
            Err(err) if !err.is_plugin_fault() => {
                let text = ErrorChain(err).to_string();
                state.failing.insert(watch.to_owned(), text.clone()) != Some(text)
            }
            // Plugin faults show on the plugin's own status.
            _ => state.failing.remove(watch).is_some(),
        });
        self.refresh_status();
    }

    /// OK once a round finished and nothing fails; ERROR naming what fails.
    fn refresh_status(&self) {
        let (state, error) = {
            let current = self.state.borrow();
            if !current.failing.is_empty() {
                let text = current
                    .failing
                    .iter()
                    .map(|(watch, err)| format!("watch `{watch}`: {err}"))
                    .collect::<Vec<_>>()
                    .join("; ");
                (State::Error, Some(text))
            } else if current.rounds_done > 0 {
                (State::Ok, None)
            } else {
                return;
            }
        };
        if let Ok(reporter) = self.status.get() {
            reporter.report(state, error);
        }
    }

    async fn round(&self, why: String) {
        self.state.send_modify(|state| {
            state.rounds_started += 1;
            state.running = true;
            state.last_cause = Some(why.clone());
        });
        info!(target: LOG, cause = %why, "resync started");
        let started = Instant::now();
        let cause = ResyncCause::Requested(why);
        let participants = self.participants.lock().clone();
        let mut failed = 0_usize;
        let mut delivered = 0_usize;
        for participant in participants {
            for outcome in participant.resync(&cause).await {
                match &outcome.result {
                    Ok(()) => delivered += 1,
                    Err(_) => failed += 1,
                }
                self.record(&outcome.watch, &outcome.result);
            }
        }
        let took = started.elapsed();
        self.state.send_modify(|state| {
            state.rounds_done += 1;
            state.running = false;
            state.last_duration = Some(took);
        });
        self.refresh_status();
        info!(target: LOG, ?took, delivered, failed, "resync done");
    }
}

/// A handle to the orchestrator for connectors and transports: ask for a resync round,
/// report the outcome of a resync a watch did by itself. Cheap to clone; does nothing once
/// the orchestrator is gone.
#[derive(Debug, Clone)]
pub struct ResyncHandle {
    shared: Weak<Shared>,
}

impl ResyncHandle {
    /// Asks for a resync round (upstream's `DoResync`), e.g. after a connector reconnected
    /// without being able to resume its watches. Requests made while a round runs are
    /// served by one more round after it; requests before the first round are covered by
    /// it.
    pub fn request_resync(&self, cause: impl Into<String>) {
        if let Some(shared) = self.shared.upgrade() {
            shared.requests.lock().push(cause.into());
            shared.wake.notify_one();
        }
    }

    /// Reports the outcome of a resync a watch ran outside a round (after a store signal);
    /// the orchestrator's status follows it.
    pub fn record_outcome(&self, watch: &str, result: &Result<(), DatasyncError>) {
        if let Some(shared) = self.shared.upgrade() {
            shared.record(watch, result);
        }
    }
}

/// The resync orchestrator (plugin `resync`). Once every plugin finished `init` (so every
/// watch registered in `init` exists) it starts the first resync round from its
/// `after_init`, in the background; later rounds run on
/// [`request_resync`](ResyncHandle::request_resync). A round asks each
/// [`ResyncParticipant`] in turn, and each resyncs its watches one after the other in
/// registration order (which is dependency order when watches register in `init`).
///
/// It registers `resync` with the status check (readiness): INIT until the first round
/// finished, then OK, or ERROR while a watch's resync could not be delivered. Upstream v2
/// left the first resync to the application; here it is automatic.
///
/// # Examples
/// ```
/// use cninfra_datasync::ResyncPlugin;
///
/// let resync = ResyncPlugin::new();
/// let handle = resync.handle();          // give this to a connector
/// handle.request_resync("etcd reconnected");
/// assert_eq!(resync.resync_status().rounds_done, 0, "nothing runs before the agent starts");
/// ```
#[derive(Debug)]
pub struct ResyncPlugin {
    shared: Arc<Shared>,
}

impl ResyncPlugin {
    /// The plugin's name (and log target), as upstream.
    pub const NAME: &'static str = "resync";

    /// The orchestrator, reporting to the agent's [`StatusCheckPlugin`] (found by type).
    pub fn new() -> Arc<Self> {
        let (state, _) = watch::channel(ResyncStatus::default());
        Arc::new(Self {
            shared: Arc::new(Shared {
                status: Ready::new(Self::NAME),
                participants: Mutex::new(Vec::new()),
                requests: Mutex::new(Vec::new()),
                wake: Notify::new(),
                state,
            }),
        })
    }

    /// A handle to request rounds and report outcomes.
    pub fn handle(&self) -> ResyncHandle {
        ResyncHandle {
            shared: Arc::downgrade(&self.shared),
        }
    }

    /// Adds a participant to every later round (normally from its `init`).
    pub fn add_participant(&self, participant: Arc<dyn ResyncParticipant>) {
        self.shared.participants.lock().push(participant);
    }

    /// Asks for a resync round; see [`ResyncHandle::request_resync`].
    pub fn request_resync(&self, cause: impl Into<String>) {
        self.handle().request_resync(cause);
    }

    /// What the orchestrator did so far.
    pub fn resync_status(&self) -> ResyncStatus {
        self.shared.state.borrow().clone()
    }

    /// A receiver of [`ResyncStatus`], changed when a round starts or ends and when a
    /// watch's resync fails or recovers.
    pub fn subscribe(&self) -> watch::Receiver<ResyncStatus> {
        self.shared.state.subscribe()
    }
}

/// Runs the first round, then one per batch of requests, until `stop`.
async fn run(shared: Arc<Shared>, stop: CancellationToken) {
    // Requests made before the start are covered by the first round.
    shared.requests.lock().clear();
    let mut why = "startup".to_owned();
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = shared.round(why) => {}
        }
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = shared.wake.notified() => {}
            }
            let requests = std::mem::take(&mut *shared.requests.lock());
            if !requests.is_empty() {
                why = requests.join("; ");
                break;
            }
        }
    }
}

#[async_trait]
impl Plugin for ResyncPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![Requirement::of::<StatusCheckPlugin>()]
    }

    fn has_config(&self) -> bool {
        false
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let status = ctx.dep::<StatusCheckPlugin>()?;
        let reporter = status.reporter(ctx, Criticality::Readiness, None);
        self.shared.status.set(reporter)?;
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        // Every `init` is done, so every watch registered in `init` exists. The round runs
        // in the background: plugins after this one have not run `after_init` yet.
        ctx.spawn(run(Arc::clone(&self.shared), ctx.shutdown_token()));
        Ok(())
    }
}
