//! The `supervisor` plugin.

use std::collections::BTreeSet;
use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, Requirement, async_trait};
use cninfra_rpc::prometheus::PrometheusPlugin;
use cninfra_rpc::rest::HttpPlugin;
use tracing::{error, info};

use super::config::SupervisorConfig;
use super::metrics::ProgramGauges;
use super::{LOG, Supervisor, hooks, rest};
use crate::plugin::ProcessManagerPlugin;

/// The supervisor as a plugin (`supervisor`).
///
/// Requires, by type, the [`ProcessManagerPlugin`] (its programs are processes of that
/// manager), the `HttpPlugin` (REST API) and the `PrometheusPlugin` (gauges); the agent must
/// hold one of each. Reads `supervisor.conf` (`--supervisor-config`, `SUPERVISOR_CONFIG`
/// or the file in `--config-dir`); without one the plugin stays disabled (one info line),
/// so an agent can always list it and `--help` shows its flag. In `init` it checks the
/// config (a missing executable is named), pins the agent if `sv-cpu-affinity-mask` says
/// so, registers the programs with the process manager (started with the default settings
/// if that plugin has no config), adds its REST routes and Prometheus gauges, starts the
/// hook loop and starts the programs. On close it stops the programs (SIGTERM, then SIGKILL
/// after their stop timeout).
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_exec::{ProcessManagerPlugin, SupervisorPlugin};
/// use cninfra_rpc::{prometheus::PrometheusPlugin, rest::HttpPlugin};
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// Agent::builder()
///     .plugin(SupervisorPlugin::new())
///     .plugin(ProcessManagerPlugin::new())
///     .plugin(PrometheusPlugin::new())
///     .plugin(HttpPlugin::new())
///     .build()?
///     .run()
///     .await
/// # }
/// ```
#[derive(Debug)]
pub struct SupervisorPlugin {
    preset: Option<SupervisorConfig>,
    supervisor: Ready<Arc<Supervisor>>,
}

impl SupervisorPlugin {
    /// The plugin's name, the stem of its config file and flag, and its log target.
    pub const NAME: &'static str = "supervisor";

    /// The plugin, configured by `supervisor.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code.
    pub fn builder() -> SupervisorPluginBuilder {
        SupervisorPluginBuilder { preset: None }
    }

    /// The running supervisor, once `init` ran with a config.
    ///
    /// # Errors
    /// [`NotReady`] naming the plugin before `init`, or while the plugin is disabled.
    pub fn supervisor(&self) -> Result<Arc<Supervisor>, NotReady> {
        self.supervisor.get().cloned()
    }
}

/// Builds a [`SupervisorPlugin`]; see [`SupervisorPlugin::builder`].
#[derive(Debug)]
#[must_use = "call `build` to get the plugin"]
pub struct SupervisorPluginBuilder {
    preset: Option<SupervisorConfig>,
}

impl SupervisorPluginBuilder {
    /// Uses this config; no file is read and the plugin is enabled.
    pub fn with_config(mut self, config: SupervisorConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<SupervisorPlugin> {
        Arc::new(SupervisorPlugin {
            preset: self.preset,
            supervisor: Ready::new(SupervisorPlugin::NAME),
        })
    }
}

#[async_trait]
impl Plugin for SupervisorPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn requires(&self) -> Vec<Requirement> {
        vec![
            Requirement::of::<ProcessManagerPlugin>(),
            Requirement::of::<HttpPlugin>(),
            Requirement::of::<PrometheusPlugin>(),
        ]
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            info!(target: LOG, "supervisor disabled: no supervisor.conf");
            return Ok(());
        };
        let origin = match (&self.preset, ctx.config_path()) {
            (None, Some(path)) => path.display().to_string(),
            _ => "supervisor config".to_owned(),
        };
        let checked = config.check(&origin)?;
        if let Some(affinity) = &checked.own_affinity {
            affinity.apply_to_current_process()?;
            info!(target: LOG, cpus = %affinity.to_list(), "agent pinned");
        }
        let manager = ctx
            .dep::<ProcessManagerPlugin>()?
            .manager_or_default()?
            .clone();
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
        ctx.dep::<HttpPlugin>()?
            .merge(rest::router(Arc::clone(&supervisor)))?;
        ctx.dep::<PrometheusPlugin>()?
            .register_collector(Box::new(ProgramGauges(Arc::clone(&supervisor))));
        if !checked.hooks.is_empty() {
            let changes = manager.subscribe();
            let programs: BTreeSet<String> = names.iter().cloned().collect();
            let stats = Arc::clone(&supervisor.hook_stats);
            let token = ctx.shutdown_token();
            ctx.spawn(hooks::run(checked.hooks, programs, changes, stats, token));
        }
        self.supervisor.set(supervisor)?;
        for program in &programs {
            match program.start().await {
                Ok(pid) => info!(target: LOG, program = program.name(), pid, "program started"),
                Err(err) => error!(target: LOG, program = program.name(), error = %err,
                    "cannot start program"),
            }
        }
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        let Some(supervisor) = self.supervisor.try_get() else {
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
