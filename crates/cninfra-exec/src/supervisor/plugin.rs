//! The `supervisor` plugin.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use cninfra_core::{BoxError, InitContext, Plugin, async_trait};
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::HttpPlugin;
use tracing::{error, info};

use super::config::SupervisorConfig;
use super::metrics::ProgramGauges;
use super::{LOG, Supervisor, hooks, rest};
use crate::error::ExecError;
use crate::plugin::{ProcessManagerPlugin, config_given};

/// The supervisor as a plugin (`supervisor`).
///
/// Needs its config (`--supervisor-config`, `SUPERVISOR_CONFIG` or `supervisor.conf` in
/// the config dir): without one `init` fails, as upstream. In `init` it checks the config
/// (a missing executable is named), pins the agent if `sv-cpu-affinity-mask` says so,
/// registers the programs with the process manager, adds its REST routes and Prometheus
/// gauges, starts the hook loop and starts the programs. On close it stops the programs
/// (SIGTERM, then SIGKILL after their stop timeout).
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_exec::{ProcessManagerPlugin, SupervisorPlugin};
/// use cninfra_rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// let http = HttpPlugin::new();
/// let prometheus = PrometheusPlugin::new();
/// let mut agent = Agent::builder();
/// if SupervisorPlugin::config_given() {
///     let pm = ProcessManagerPlugin::new();
///     agent = agent.plugin(SupervisorPlugin::with_deps(pm, http, prometheus));
/// }
/// agent.build()?.run().await
/// # }
/// ```
#[derive(Debug)]
pub struct SupervisorPlugin {
    pm: Arc<ProcessManagerPlugin>,
    http: Arc<HttpPlugin>,
    prometheus: Arc<PrometheusPlugin>,
    supervisor: OnceLock<Arc<Supervisor>>,
}

impl SupervisorPlugin {
    /// The plugin's name.
    pub const NAME: &'static str = "supervisor";

    /// The plugin with its own process manager, HTTP and Prometheus plugins (share them
    /// with [`with_deps`](Self::with_deps) when the agent has them already).
    pub fn new() -> Arc<Self> {
        let http = HttpPlugin::new();
        let prometheus = PrometheusPlugin::new();
        Self::with_deps(ProcessManagerPlugin::new(), http, prometheus)
    }

    /// The plugin using these process manager, HTTP and Prometheus plugins (the
    /// Prometheus plugin should serve on the same HTTP plugin).
    pub fn with_deps(
        pm: Arc<ProcessManagerPlugin>,
        http: Arc<HttpPlugin>,
        prometheus: Arc<PrometheusPlugin>,
    ) -> Arc<Self> {
        Arc::new(Self {
            pm,
            http,
            prometheus,
            supervisor: OnceLock::new(),
        })
    }

    /// The running supervisor, once `init` ran.
    ///
    /// # Errors
    /// [`ExecError::NotReady`] before `init`.
    pub fn supervisor(&self) -> Result<Arc<Supervisor>, ExecError> {
        self.supervisor
            .get()
            .cloned()
            .ok_or(ExecError::NotReady { plugin: Self::NAME })
    }

    /// Whether this process was given `--supervisor-config` or `SUPERVISOR_CONFIG`
    /// (non-empty): the example agent adds the plugin then.
    pub fn config_given() -> bool {
        config_given(Self::NAME, std::env::args_os(), |var| std::env::var_os(var))
    }
}

#[async_trait]
impl Plugin for SupervisorPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn deps(&self) -> Vec<Arc<dyn Plugin>> {
        vec![self.pm.clone(), self.http.clone(), self.prometheus.clone()]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let config: SupervisorConfig = ctx.config()?.ok_or(ExecError::MissingSupervisorConfig)?;
        let origin = ctx.config_path().map_or_else(
            || "supervisor config".to_owned(),
            |path| path.display().to_string(),
        );
        let checked = config.check(&origin)?;
        if let Some(affinity) = &checked.own_affinity {
            affinity.apply_to_current_process()?;
            info!(target: LOG, cpus = %affinity.to_list(), "agent pinned");
        }
        let manager = self.pm.manager()?.clone();
        let mut programs = Vec::with_capacity(checked.programs.len());
        for program in checked.programs {
            programs.push(manager.new_process(
                &program.name,
                &program.executable,
                program.options,
            )?);
        }
        let names: Vec<String> = programs.iter().map(|p| p.name().to_owned()).collect();
        let supervisor = Arc::new(Supervisor {
            manager: manager.clone(),
            names: names.clone(),
            hook_stats: Arc::default(),
        });
        self.http.merge(rest::router(Arc::clone(&supervisor)))?;
        self.prometheus
            .register_collector(Box::new(ProgramGauges(Arc::clone(&supervisor))));
        if !checked.hooks.is_empty() {
            let changes = manager.subscribe();
            let programs: BTreeSet<String> = names.iter().cloned().collect();
            let stats = Arc::clone(&supervisor.hook_stats);
            let token = ctx.shutdown_token();
            ctx.spawn(hooks::run(checked.hooks, programs, changes, stats, token));
        }
        for program in &programs {
            match program.start().await {
                Ok(pid) => info!(target: LOG, program = program.name(), pid, "program started"),
                Err(err) => error!(target: LOG, program = program.name(), error = %err,
                    "cannot start program"),
            }
        }
        // `init` runs once per agent; a second value could only come from a reused plugin.
        let _ = self.supervisor.set(supervisor);
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        let Some(supervisor) = self.supervisor.get() else {
            return Ok(());
        };
        let programs = supervisor.programs();
        let stops = programs.iter().map(|program| program.stop_and_wait());
        for (program, stopped) in programs.iter().zip(futures::future::join_all(stops).await) {
            if let Err(err) = stopped {
                error!(target: LOG, program = program.name(), error = %err, "cannot stop program");
            }
        }
        Ok(())
    }
}
