use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use cninfra_core::{BoxError, InitContext, Plugin, Ready, async_trait};
use futures::future::join_all;
use parking_lot::Mutex;
use tokio::sync::{mpsc, watch};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::config::StatusCheckConfig;
use super::probe::Probe;
use super::publisher::{self, Event, Record, StatusPublisher};
use super::registry::Registry;
use super::reporter::StatusReporter;
use crate::error::HealthError;
use crate::state::State;
use crate::status::{AgentStatus, PluginStatus};
use crate::verdict::{Criticality, Health};

/// Default time between two runs of the pull probes (upstream's 5 s).
pub const DEFAULT_PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// Default time limit of one probe run.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(3);
/// Default time limit of one publisher call.
pub const DEFAULT_PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// Default time between two re-publications of every status (upstream's 10 s).
pub const DEFAULT_PUBLISH_INTERVAL: Duration = Duration::from_secs(10);

/// The status check plugin (`status-check`): plugins register and report their state, the
/// agent state aggregates them, and changes go to publishers and subscribers.
///
/// - Push: [`report_state_change`](Self::report_state_change) from anywhere, any time.
/// - Pull: a plugin registered with a [`Probe`] is checked every probe interval (from
///   the status check's `after_init` on), within the probe time limit.
/// - A report changes a status (and its `last_change`) only when the state or the error text
///   differs; `last_update` moves on every report. Only changes reach the
///   [publishers](StatusPublisher) and [subscribers](Self::subscribe).
/// - The agent state is ERROR if any plugin is in ERROR, else INIT while any plugin is in
///   INIT or the status check's `after_init` has not run, else OK. (Upstream took the state
///   of the plugin that changed last; that let one recovering plugin hide another's error.)
///
/// # Examples
/// ```
/// use cninfra_health::{Criticality, State, StatusCheckPlugin};
///
/// let status = StatusCheckPlugin::new();
/// // Normally in a plugin's `init`:
/// status.register("cache", None);
/// status.register_as("etcd", Criticality::Readiness, None);
///
/// status.report_state_change("cache", State::Ok, None)?;
/// status.report_state_change("etcd", State::Error, Some("connection refused".into()))?;
/// assert_eq!(status.agent_status().state, State::Error);
///
/// let health = status.health(&[]);
/// assert!(health.live && !health.ready);   // etcd is external: not ready, still live
/// # Ok::<(), cninfra_health::HealthError>(())
/// ```
#[derive(Debug)]
pub struct StatusCheckPlugin {
    shared: Arc<Shared>,
    preset: Option<StatusCheckConfig>,
    settings: Ready<StatusCheckConfig>,
}

#[derive(Debug)]
struct Shared {
    registry: Mutex<Registry>,
    /// The registry's revision, readable without the lock.
    revision: AtomicU64,
    events: mpsc::UnboundedSender<Event>,
    receiver: Mutex<Option<mpsc::UnboundedReceiver<Event>>>,
    watch: watch::Sender<AgentStatus>,
}

impl Shared {
    /// Runs `change` under the lock, then queues what changed for the publishers and
    /// updates the subscribers, still under the lock so that both see changes in order.
    fn change<T>(&self, change: impl FnOnce(&mut Registry) -> (T, Vec<Record>)) -> T {
        let mut registry = self.registry.lock();
        let (value, records) = change(&mut registry);
        self.revision.store(registry.revision(), Ordering::Release);
        if !records.is_empty() {
            let targets = registry.publishers();
            if !targets.is_empty() {
                for record in records {
                    let event = Event {
                        targets: Arc::clone(targets),
                        record,
                    };
                    // Fails only when the publishing task ended (the agent stopped).
                    let _ = self.events.send(event);
                }
            }
            self.watch.send_replace(registry.agent_status());
        }
        value
    }

    fn report(&self, name: &str, state: State, error: Option<String>) -> Result<(), HealthError> {
        let now = SystemTime::now();
        self.change(|registry| match registry.report(name, state, error, now) {
            Ok(records) => (Ok(()), records),
            Err(err) => (Err(err), Vec::new()),
        })
    }
}

/// Builds a [`StatusCheckPlugin`] with other intervals and time limits.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_health::StatusCheckPlugin;
///
/// let status = StatusCheckPlugin::builder()
///     .with_probe_interval(Duration::from_secs(1))
///     .with_probe_timeout(Duration::from_millis(500))
///     .build();
/// # let _ = status;
/// ```
#[derive(Debug, Clone, Default)]
pub struct StatusCheckBuilder {
    preset: Option<StatusCheckConfig>,
}

impl StatusCheckBuilder {
    /// Uses this config; `status-check.conf` is not read (upstream's `UseConf`). The
    /// `with_*` methods below change it too.
    pub fn with_config(mut self, config: StatusCheckConfig) -> Self {
        self.preset = Some(config);
        self
    }

    fn preset(&mut self) -> &mut StatusCheckConfig {
        self.preset.get_or_insert_with(StatusCheckConfig::default)
    }

    /// Time between two runs of the pull probes (default 5 s).
    pub fn with_probe_interval(mut self, interval: Duration) -> Self {
        self.preset().probe_interval = interval;
        self
    }

    /// Time limit of one probe run (default 3 s); a probe that runs out reports ERROR.
    pub fn with_probe_timeout(mut self, limit: Duration) -> Self {
        self.preset().probe_timeout = limit;
        self
    }

    /// Time limit of one publisher call (default 5 s).
    pub fn with_publish_timeout(mut self, limit: Duration) -> Self {
        self.preset().publish_timeout = limit;
        self
    }

    /// Time between two re-publications of every status (default 10 s; zero: changes
    /// only).
    pub fn with_publish_interval(mut self, interval: Duration) -> Self {
        self.preset().publish_interval = interval;
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<StatusCheckPlugin> {
        let (events, receiver) = mpsc::unbounded_channel();
        let registry = Registry::new(SystemTime::now());
        let (watch, _) = watch::channel(registry.agent_status());
        Arc::new(StatusCheckPlugin {
            shared: Arc::new(Shared {
                registry: Mutex::new(registry),
                revision: AtomicU64::new(0),
                events,
                receiver: Mutex::new(Some(receiver)),
                watch,
            }),
            preset: self.preset,
            settings: Ready::new(StatusCheckPlugin::NAME),
        })
    }
}

impl StatusCheckPlugin {
    /// The plugin's name and log target.
    pub const NAME: &str = "status-check";

    /// The plugin with the default intervals.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, to set the intervals and time limits in code.
    pub fn builder() -> StatusCheckBuilder {
        StatusCheckBuilder::default()
    }

    /// Registers the plugin of `ctx` (under its name) with the given criticality and optional
    /// pull probe, and returns the handle it reports its state through. This is how plugins
    /// register: the name comes from the context, never from a string of their own.
    ///
    /// # Examples
    /// ```
    /// use cninfra_core::InitContext;
    /// use cninfra_health::{Criticality, State, StatusCheckPlugin};
    ///
    /// let status = StatusCheckPlugin::new();
    /// # let ctx = InitContext::for_tests("etcd");
    /// // In the etcd connector's `init`:
    /// let reporter = status.reporter(&ctx, Criticality::Readiness, None);
    /// reporter.report(State::Error, Some("connection refused".into()));
    /// assert_eq!(status.plugin_status("etcd").unwrap().state, State::Error);
    /// ```
    pub fn reporter(
        self: &Arc<Self>,
        ctx: &InitContext,
        criticality: Criticality,
        probe: Option<Probe>,
    ) -> StatusReporter {
        let name = ctx.plugin_name().to_owned();
        self.register_as(name.clone(), criticality, probe);
        StatusReporter::new(name, Arc::clone(self))
    }

    /// Registers a plugin whose ERROR fails liveness and readiness
    /// ([`Criticality::Liveness`]), with an optional pull probe. Its state is INIT until it
    /// reports (or its probe runs). Registering a name again replaces its probe and resets
    /// it to INIT.
    pub fn register(&self, name: impl Into<String>, probe: Option<Probe>) {
        self.register_as(name, Criticality::Liveness, probe);
    }

    /// Registers a plugin with the given criticality; connectors to external servers use
    /// [`Criticality::Readiness`], so losing the server makes the agent not ready but keeps
    /// it live.
    pub fn register_as(
        &self,
        name: impl Into<String>,
        criticality: Criticality,
        probe: Option<Probe>,
    ) {
        let name = name.into();
        debug!(target: StatusCheckPlugin::NAME, plugin = %name, ?criticality, probe = probe.is_some(), "plugin registered");
        let now = SystemTime::now();
        self.shared
            .change(|registry| ((), registry.register(name, criticality, probe, now)));
    }

    /// Reports the state of a registered plugin, with the error text for ERROR.
    ///
    /// # Errors
    /// [`HealthError::NotRegistered`] when no plugin of that name registered.
    pub fn report_state_change(
        &self,
        name: &str,
        state: State,
        error: Option<String>,
    ) -> Result<(), HealthError> {
        self.shared.report(name, state, error)
    }

    /// The agent status with every plugin's status.
    pub fn agent_status(&self) -> AgentStatus {
        self.shared.registry.lock().agent_status()
    }

    /// The status of one plugin, if it registered.
    pub fn plugin_status(&self, name: &str) -> Option<PluginStatus> {
        self.shared.registry.lock().plugin_status(name)
    }

    /// The status of every registered plugin, by name.
    pub fn all_plugin_statuses(&self) -> Vec<PluginStatus> {
        self.shared.registry.lock().plugin_statuses()
    }

    /// The agent status with the liveness and readiness verdicts; errors of the plugins named
    /// in `non_fatal` count for neither (see [`Criticality`] for the rule).
    pub fn health(&self, non_fatal: &[String]) -> Health {
        self.shared.registry.lock().health(non_fatal)
    }

    /// As [`health`](Self::health), with the [`revision`](Self::revision) it was read at
    /// (for answers cached until a status changes).
    pub fn health_at(&self, non_fatal: &[String]) -> (u64, Health) {
        let registry = self.shared.registry.lock();
        (registry.revision(), registry.health(non_fatal))
    }

    /// A number that changes whenever any status would read differently.
    pub fn revision(&self) -> u64 {
        self.shared.revision.load(Ordering::Acquire)
    }

    /// Adds a publisher. It first gets the current agent status and every plugin status,
    /// then each change.
    pub fn add_publisher(&self, publisher: Arc<dyn StatusPublisher>) {
        self.shared
            .change(|registry| ((), registry.add_publisher(publisher)));
    }

    /// A receiver of the agent status, updated on every change of the agent's or a plugin's
    /// status (for the gRPC health service, say).
    ///
    /// # Examples
    /// ```
    /// # use cninfra_health::{State, StatusCheckPlugin};
    /// # async fn demo(status: &StatusCheckPlugin) {
    /// let mut changes = status.subscribe();
    /// while changes.changed().await.is_ok() {
    ///     let state = changes.borrow_and_update().state;
    ///     tracing::info!(%state, "agent state");
    /// }
    /// # }
    /// ```
    pub fn subscribe(&self) -> watch::Receiver<AgentStatus> {
        self.shared.watch.subscribe()
    }
}

/// Publishes every status again, with `last_update` stamped now, every `interval` until
/// `stop` (upstream's periodic write, which keeps `last_update` fresh in the store).
async fn republish(shared: Arc<Shared>, interval: Duration, stop: CancellationToken) {
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let registry = shared.registry.lock();
        let targets = registry.publishers();
        if targets.is_empty() {
            continue;
        }
        for record in registry.snapshot(SystemTime::now()) {
            let event = Event {
                targets: Arc::clone(targets),
                record,
            };
            // Fails only when the publishing task ended (the agent stops).
            let _ = shared.events.send(event);
        }
    }
}

/// Runs the pull probes every interval until `stop`.
async fn poll_probes(shared: Arc<Shared>, settings: StatusCheckConfig, stop: CancellationToken) {
    let interval = settings.probe_interval.max(Duration::from_millis(1));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let probes = shared.registry.lock().probes();
        if probes.is_empty() {
            continue;
        }
        let limit = settings.probe_timeout;
        let runs = probes.into_iter().map(|(name, probe)| async move {
            let outcome = match tokio::time::timeout(limit, probe.check()).await {
                Ok(Ok(())) => (State::Ok, None),
                Ok(Err(error)) => (State::Error, Some(error)),
                Err(_) => (
                    State::Error,
                    Some(format!("probe timed out after {limit:?}")),
                ),
            };
            (name, outcome)
        });
        let results = tokio::select! {
            () = stop.cancelled() => return,
            results = join_all(runs) => results,
        };
        for (name, (state, error)) in results {
            if let Err(err) = shared.report(&name, state, error) {
                warn!(target: StatusCheckPlugin::NAME, error = %err, "probe result dropped");
            }
        }
    }
}

#[async_trait]
impl Plugin for StatusCheckPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let settings = ctx
            .config_or_preset(self.preset.as_ref())?
            .unwrap_or_default();
        self.settings.set(settings)?;
        let (build, started) = (ctx.build_info().clone(), ctx.start_time());
        self.shared
            .change(|registry| (registry.set_agent(build, started), Vec::new()));
        if let Some(receiver) = self.shared.receiver.lock().take() {
            ctx.spawn(publisher::run(
                receiver,
                settings.publish_timeout,
                ctx.shutdown_token(),
            ));
        }
        Ok(())
    }

    async fn after_init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let now = SystemTime::now();
        self.shared
            .change(|registry| ((), registry.mark_started(now)));
        let settings = *self.settings.get()?;
        ctx.spawn(poll_probes(
            Arc::clone(&self.shared),
            settings,
            ctx.shutdown_token(),
        ));
        if !settings.publish_interval.is_zero() {
            ctx.spawn(republish(
                Arc::clone(&self.shared),
                settings.publish_interval,
                ctx.shutdown_token(),
            ));
        }
        info!(target: StatusCheckPlugin::NAME, state = %self.agent_status().state, "status check started");
        Ok(())
    }
}
