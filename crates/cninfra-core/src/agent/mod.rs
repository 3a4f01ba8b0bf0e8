//! The [`Agent`]: builds the plugin set, runs the lifecycle, stops on signal or request.

mod order;

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;
use tracing::{Instrument, debug, error, info, info_span, warn};

use crate::AGENT_LOGGER;
use crate::build_info::BuildInfo;
use crate::cli::CommandLine;
use crate::context::{Environment, InitContext};
use crate::error::{AgentError, ErrorChain};
use crate::group::PluginGroup;
use crate::label::ServiceLabel;
use crate::phase::Phase;
use crate::plugin::{IntoPlugin, Plugin, type_of};
use crate::settings::LABEL;
use crate::stop::{self, StopHandle};

/// The default time limit of each plugin's `init`, `after_init` and `close`.
pub const DEFAULT_PHASE_TIMEOUT: Duration = Duration::from_secs(15);

/// Builds an [`Agent`]; see [`Agent::builder`].
#[derive(Debug)]
pub struct AgentBuilder {
    roots: Vec<Arc<dyn Plugin>>,
    name: String,
    build_info: BuildInfo,
    timeouts: HashMap<Phase, Duration>,
    args: Option<Vec<OsString>>,
    env: Option<HashMap<String, String>>,
    label: Option<String>,
}

impl AgentBuilder {
    /// Adds a plugin; the plugins it depends on come in with it.
    pub fn plugin(mut self, plugin: impl IntoPlugin) -> Self {
        self.roots.push(plugin.into_plugin());
        self
    }

    /// Adds several plugins.
    pub fn plugins<I>(mut self, plugins: I) -> Self
    where
        I: IntoIterator,
        I::Item: IntoPlugin,
    {
        self.roots
            .extend(plugins.into_iter().map(IntoPlugin::into_plugin));
        self
    }

    /// Adds a [`PluginGroup`] (such as the facade's `Defaults`), with the changes made to it
    /// through its builder.
    pub fn group(self, group: impl PluginGroup) -> Self {
        self.plugins(group.build())
    }

    /// Sets the time limit of every phase of every plugin (default 15 s).
    pub fn with_phase_timeout(mut self, limit: Duration) -> Self {
        for phase in [Phase::Init, Phase::AfterInit, Phase::Close] {
            self.timeouts.insert(phase, limit);
        }
        self
    }

    /// Sets the time limit of one phase.
    pub fn with_timeout(mut self, phase: Phase, limit: Duration) -> Self {
        self.timeouts.insert(phase, limit);
        self
    }

    /// Names the program in `--help` (default `cninfra-agent`).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the build information shown by `--version` (usually
    /// [`build_info!()`](crate::build_info)).
    pub fn with_build_info(mut self, info: BuildInfo) -> Self {
        self.build_info = info;
        self
    }

    /// Fixes the service label, overriding `--microservice-label` (upstream's `UseLabel`).
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Parses these arguments (the first is the program name) instead of the process's.
    pub fn with_args<I, T>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString>,
    {
        self.args = Some(args.into_iter().map(Into::into).collect());
        self
    }

    /// Reads flag variables from these pairs instead of the process environment.
    pub fn with_env<I, K, V>(mut self, env: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env = Some(env.into_iter().map(|(k, v)| (k.into(), v.into())).collect());
        self
    }

    /// Finds every plugin, orders them, and parses the command line.
    ///
    /// # Errors
    /// [`AgentError::DuplicatePlugin`], [`AgentError::DependencyCycle`],
    /// [`AgentError::MissingDependency`], [`AgentError::AmbiguousDependency`],
    /// [`AgentError::InvalidPluginName`], [`AgentError::DuplicateFlag`] before anything runs;
    /// [`AgentError::Cli`] for a bad command line and for `--help` / `--version` (see
    /// [`AgentError::exit_code`]); [`AgentError::Label`] for a bad service label.
    pub fn build(self) -> Result<Agent, AgentError> {
        let plugins = order::resolve(&self.roots)?;
        let env = self.env.unwrap_or_else(|| std::env::vars().collect());
        let args = self.args.unwrap_or_else(|| std::env::args_os().collect());
        let settings = CommandLine {
            app: &self.name,
            build_info: &self.build_info,
            plugins: &plugins,
            args,
            env: &env,
        }
        .parse()?;
        let label = match self.label {
            Some(label) => ServiceLabel::new(label)?,
            None => match settings.get(LABEL) {
                Some(found) => ServiceLabel::new(found.value.clone())?,
                None => ServiceLabel::default(),
            },
        };
        let limit = |phase| {
            self.timeouts
                .get(&phase)
                .copied()
                .unwrap_or(DEFAULT_PHASE_TIMEOUT)
        };
        Ok(Agent {
            timeouts: [
                limit(Phase::Init),
                limit(Phase::AfterInit),
                limit(Phase::Close),
            ],
            env: Arc::new(Environment {
                settings,
                label,
                build_info: self.build_info,
                started: SystemTime::now(),
                stop: CancellationToken::new(),
                vars: env,
                names: plugins.iter().map(|p| p.name().to_owned()).collect(),
                plugins: plugins
                    .iter()
                    .map(|plugin| Arc::clone(plugin) as Arc<dyn Any + Send + Sync>)
                    .collect(),
            }),
            plugins,
        })
    }
}

/// An agent: a set of plugins with a lifecycle.
///
/// # Examples
/// ```
/// use std::time::Duration;
/// use cninfra_core::{plugin_fn, Agent};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), cninfra_core::AgentError> {
/// let hello = plugin_fn("hello", |ctx| async move {
///     tracing::info!(label = %ctx.service_label(), "hello");
///     Ok(())
/// });
/// let agent = Agent::builder()
///     .plugin(hello)
///     .with_phase_timeout(Duration::from_secs(5))
///     .with_args(["my-agent"])
///     .build()?;                        // finds, dedups and orders plugins; parses flags
/// let stop = agent.stop_handle();
/// stop.stop();                          // e.g. from another task; `run` then closes
/// agent.run().await?;                   // until SIGINT/SIGTERM or a stop request
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Agent {
    plugins: Vec<Arc<dyn Plugin>>,
    env: Arc<Environment>,
    timeouts: [Duration; 3],
}

impl Agent {
    /// Starts building an agent.
    pub fn builder() -> AgentBuilder {
        AgentBuilder {
            roots: Vec::new(),
            name: "cninfra-agent".to_owned(),
            build_info: BuildInfo::default(),
            timeouts: HashMap::new(),
            args: None,
            env: None,
            label: None,
        }
    }

    /// The plugins' names in start order.
    pub fn plugin_names(&self) -> Vec<&str> {
        self.plugins.iter().map(|p| p.name()).collect()
    }

    /// The service label.
    pub fn service_label(&self) -> &ServiceLabel {
        &self.env.label
    }

    /// A handle that stops the agent, from any task, before or after it started.
    pub fn stop_handle(&self) -> StopHandle {
        StopHandle::new(self.env.stop.clone())
    }

    fn limit(&self, phase: Phase) -> Duration {
        self.timeouts[phase as usize]
    }

    /// Starts the agent: `init` of every plugin in order, then `after_init` of each.
    ///
    /// # Errors
    /// The first failure ([`AgentError::Phase`], [`AgentError::Timeout`] or
    /// [`AgentError::Interrupted`]), after closing, in reverse order, every plugin whose
    /// `init` had succeeded.
    pub async fn start(self) -> Result<RunningAgent, AgentError> {
        let begin = Instant::now();
        info!(target: AGENT_LOGGER,
            version = %self.env.build_info.version,
            commit = %self.env.build_info.commit,
            built = %self.env.build_info.date,
            label = %self.env.label,
            plugins = self.plugins.len(),
            "starting agent"
        );
        let mut started: Vec<(Arc<dyn Plugin>, InitContext)> = Vec::new();
        for plugin in &self.plugins {
            let ctx = InitContext::new(plugin.name(), declared(plugin), Arc::clone(&self.env));
            match self.run_phase(plugin, Phase::Init, &ctx).await {
                Ok(()) => started.push((Arc::clone(plugin), ctx)),
                Err(err) => {
                    ctx.shut_down_tasks().await;
                    return Err(self.abort_start(started, err).await);
                }
            }
        }
        for index in 0..started.len() {
            let (plugin, ctx) = &started[index];
            if let Err(err) = self.run_phase(plugin, Phase::AfterInit, ctx).await {
                return Err(self.abort_start(started, err).await);
            }
        }
        info!(target: AGENT_LOGGER, plugins = started.len(), took = ?begin.elapsed(), "agent started");
        Ok(RunningAgent {
            agent: self,
            started,
        })
    }

    /// Starts, waits for SIGINT, SIGTERM or a stop request, then closes every plugin. A stop
    /// requested while starting ends the start early and counts as a clean stop.
    ///
    /// # Errors
    /// A start error (see [`start`](Self::start)), [`AgentError::Signal`] if the signal
    /// handlers cannot be installed, or [`AgentError::Close`] if plugins failed to close.
    pub async fn run(self) -> Result<(), AgentError> {
        let stop = self.stop_handle();
        let signals = stop::listen_for_signals(stop.clone()).map_err(AgentError::Signal)?;
        let result = match self.start().await {
            Ok(running) => running.wait().await,
            // Asked to stop while starting: what had started is closed; that is a clean stop.
            Err(AgentError::Interrupted { .. }) => Ok(()),
            Err(err) => Err(err),
        };
        signals.abort();
        result
    }

    async fn run_phase(
        &self,
        plugin: &Arc<dyn Plugin>,
        phase: Phase,
        ctx: &InitContext,
    ) -> Result<(), AgentError> {
        let name = plugin.name();
        let limit = self.limit(phase);
        let begin = Instant::now();
        let work = async {
            match phase {
                Phase::Init => plugin.init(ctx).await,
                Phase::AfterInit => plugin.after_init(ctx).await,
                Phase::Close => plugin.close().await,
            }
        }
        .instrument(info_span!("plugin", name, %phase));
        let interrupt = self.env.stop.clone();
        let interrupted = || {
            warn!(target: AGENT_LOGGER, plugin = name, %phase, "stop requested while starting");
            AgentError::Interrupted {
                plugin: name.to_owned(),
                phase,
            }
        };
        if phase != Phase::Close && interrupt.is_cancelled() {
            return Err(interrupted());
        }
        let outcome = tokio::select! {
            biased;
            outcome = tokio::time::timeout(limit, work) => outcome,
            () = interrupt.cancelled(), if phase != Phase::Close => return Err(interrupted()),
        };
        let took = begin.elapsed();
        match outcome {
            Ok(Ok(())) => {
                debug!(target: AGENT_LOGGER, plugin = name, %phase, ?took, "plugin phase done");
                Ok(())
            }
            Ok(Err(source)) => {
                error!(target: AGENT_LOGGER, plugin = name, %phase, ?took, error = %ErrorChain(&*source), "plugin phase failed");
                Err(AgentError::Phase {
                    plugin: name.to_owned(),
                    phase,
                    source,
                })
            }
            Err(_) => {
                error!(target: AGENT_LOGGER, plugin = name, %phase, ?limit, "plugin phase timed out; this plugin hangs");
                Err(AgentError::Timeout {
                    plugin: name.to_owned(),
                    phase,
                    limit,
                })
            }
        }
    }

    async fn abort_start(
        &self,
        started: Vec<(Arc<dyn Plugin>, InitContext)>,
        err: AgentError,
    ) -> AgentError {
        error!(target: AGENT_LOGGER, error = %ErrorChain(&err), "agent start failed; closing the plugins that started");
        if let Err(close) = self.close_all(started).await {
            error!(target: AGENT_LOGGER, error = %ErrorChain(&close), "closing after the failed start");
        }
        err
    }

    /// Closes the plugins in reverse order: each one's tasks are told to stop, `close` runs
    /// within its limit, then its tasks are awaited within the same limit. A failure does not
    /// keep the other plugins from closing.
    async fn close_all(
        &self,
        started: Vec<(Arc<dyn Plugin>, InitContext)>,
    ) -> Result<(), AgentError> {
        let mut failures = Vec::new();
        for (plugin, ctx) in started.into_iter().rev() {
            let tasks = ctx.shutdown_token();
            tasks.cancel();
            if let Err(err) = self.run_phase(&plugin, Phase::Close, &ctx).await {
                failures.push(err);
            }
            let limit = self.limit(Phase::Close);
            if tokio::time::timeout(limit, ctx.shut_down_tasks())
                .await
                .is_err()
            {
                error!(target: AGENT_LOGGER,
                    plugin = plugin.name(),
                    ?limit,
                    "plugin tasks did not stop in time"
                );
                failures.push(AgentError::Timeout {
                    plugin: plugin.name().to_owned(),
                    phase: Phase::Close,
                    limit,
                });
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(AgentError::Close { failures })
        }
    }
}

/// The types whose plugins `plugin` may take from its context: those it requires and those
/// it holds.
fn declared(plugin: &Arc<dyn Plugin>) -> Vec<TypeId> {
    plugin
        .requires()
        .iter()
        .map(|needed| needed.type_id)
        .chain(plugin.deps().iter().map(type_of))
        .collect()
}

/// A started agent; stop it with [`stop`](Self::stop) or wait for a stop request with
/// [`wait`](Self::wait).
#[derive(Debug)]
pub struct RunningAgent {
    agent: Agent,
    started: Vec<(Arc<dyn Plugin>, InitContext)>,
}

impl RunningAgent {
    /// A handle that stops the agent from any task.
    pub fn stop_handle(&self) -> StopHandle {
        self.agent.stop_handle()
    }

    /// The service label.
    pub fn service_label(&self) -> &ServiceLabel {
        self.agent.service_label()
    }

    /// Waits until a stop is requested (by a [`StopHandle`]; [`Agent::run`] also listens
    /// for signals), then closes every plugin in reverse order.
    ///
    /// # Errors
    /// [`AgentError::Close`] listing the plugins that failed or timed out in `close`.
    pub async fn wait(self) -> Result<(), AgentError> {
        self.agent.env.stop.cancelled().await;
        self.close().await
    }

    /// Requests a stop and closes every plugin in reverse order.
    ///
    /// # Errors
    /// As [`wait`](Self::wait).
    pub async fn stop(self) -> Result<(), AgentError> {
        self.agent.env.stop.cancel();
        self.close().await
    }

    async fn close(self) -> Result<(), AgentError> {
        let begin = Instant::now();
        info!(target: AGENT_LOGGER, "stopping agent");
        let result = self.agent.close_all(self.started).await;
        match &result {
            Ok(()) => info!(target: AGENT_LOGGER, took = ?begin.elapsed(), "agent stopped"),
            Err(err) => {
                error!(target: AGENT_LOGGER, error = %ErrorChain(err), "agent stopped with errors")
            }
        }
        result
    }
}
