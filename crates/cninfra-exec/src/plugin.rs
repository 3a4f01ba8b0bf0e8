//! The `process-manager` plugin.

use std::sync::Arc;

use cninfra_core::{BoxError, InitContext, NotReady, Plugin, Ready, async_trait};
use tracing::info;

use crate::LOG;
use crate::error::ExecError;
use crate::manager::{ManagerConfig, ProcessManager};

/// The process manager as a plugin (`process-manager`).
///
/// Reads `process-manager.conf` (`--process-manager-config`, `PROCESS_MANAGER_CONFIG`, or
/// the file in `--config-dir`). Without one the plugin stays disabled (one info line), so
/// an agent can always list it and `--help` shows its flag; a plugin that needs processes
/// whatever the config (the [`SupervisorPlugin`](crate::SupervisorPlugin)) starts the
/// manager with the default settings through [`manager_or_default`](Self::manager_or_default).
/// In `init` it loads the templates (a malformed one fails the start, naming file and field)
/// and starts those marked `run_on_startup`; on close it stops the non-detached children.
///
/// # Examples
/// ```no_run
/// use cninfra_core::Agent;
/// use cninfra_exec::ProcessManagerPlugin;
///
/// # async fn demo() -> Result<(), cninfra_core::AgentError> {
/// Agent::builder().plugin(ProcessManagerPlugin::new()).build()?.run().await
/// # }
/// ```
#[derive(Debug)]
pub struct ProcessManagerPlugin {
    preset: Option<ManagerConfig>,
    manager: Ready<ProcessManager>,
}

impl ProcessManagerPlugin {
    /// The plugin's name, the stem of its config file and flag, and its log target.
    pub const NAME: &'static str = "process-manager";

    /// The plugin, configured by `process-manager.conf`.
    pub fn new() -> Arc<Self> {
        Self::builder().build()
    }

    /// A builder, for a config given in code.
    pub fn builder() -> ProcessManagerPluginBuilder {
        ProcessManagerPluginBuilder { preset: None }
    }

    /// The manager, once `init` ran with a config (or
    /// [`manager_or_default`](Self::manager_or_default) started it).
    ///
    /// # Errors
    /// [`NotReady`] naming the plugin before `init`, or while the plugin is disabled.
    pub fn manager(&self) -> Result<&ProcessManager, NotReady> {
        self.manager.get()
    }

    /// The manager; when the plugin is disabled (no config file), one with the default
    /// settings and no templates is started now and closed with the plugin. For the `init`
    /// of a plugin that requires this one and needs processes whatever the config.
    ///
    /// # Errors
    /// [`ExecError::NoRuntime`] outside a tokio runtime.
    pub fn manager_or_default(&self) -> Result<&ProcessManager, ExecError> {
        if let Some(manager) = self.manager.try_get() {
            return Ok(manager);
        }
        let manager = ProcessManager::new(ManagerConfig::default())?;
        // Plugins are initialised one at a time, so the slot is still empty; if another
        // caller won anyway, its manager is the one in use and ours is dropped unused.
        if self.manager.set(manager).is_ok() {
            info!(target: LOG, "process manager started with the default settings");
        }
        Ok(self.manager.get()?)
    }
}

/// Builds a [`ProcessManagerPlugin`]; see [`ProcessManagerPlugin::builder`].
#[derive(Debug)]
#[must_use = "call `build` to get the plugin"]
pub struct ProcessManagerPluginBuilder {
    preset: Option<ManagerConfig>,
}

impl ProcessManagerPluginBuilder {
    /// Uses this config; no file is read and the plugin is enabled.
    pub fn with_config(mut self, config: ManagerConfig) -> Self {
        self.preset = Some(config);
        self
    }

    /// The plugin.
    pub fn build(self) -> Arc<ProcessManagerPlugin> {
        Arc::new(ProcessManagerPlugin {
            preset: self.preset,
            manager: Ready::new(ProcessManagerPlugin::NAME),
        })
    }
}

#[async_trait]
impl Plugin for ProcessManagerPlugin {
    fn name(&self) -> &str {
        Self::NAME
    }

    async fn init(&self, ctx: &InitContext) -> Result<(), BoxError> {
        let Some(config) = ctx.config_or_preset(self.preset.as_ref())? else {
            info!(target: LOG, "process manager disabled: no process-manager.conf");
            return Ok(());
        };
        let manager = ProcessManager::new(config)?;
        let templates = manager.load_templates()?;
        let started = manager.start_templates_on_startup().await;
        info!(target: LOG, templates, started = started.len(), "process manager ready");
        self.manager.set(manager)?;
        Ok(())
    }

    async fn close(&self) -> Result<(), BoxError> {
        if let Some(manager) = self.manager.try_get() {
            manager.shutdown().await;
        }
        Ok(())
    }
}
